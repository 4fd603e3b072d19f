// The live timeline's thread without a kernel: how it starts, waits and stops. (Capturing a
// real ring is app.timeline_live, label lab.) A "VM" here is a state directory with a vm.json
// whose RAM file holds no vpoll ring.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sources/live_timeline.hpp"

using namespace waitscope::app;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// Wait (up to 10 s) until `pred` holds.
template <typename P>
bool eventually(P pred) {
    for (auto until = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(5ms))
        if (pred())
            return true;
    return pred();
}

struct FakeVm {
    fs::path dir, ram;
    explicit FakeVm(const char* name) {
        dir = fs::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        ram = dir / "ram";
        std::ofstream(ram, std::ios::binary) << std::string(1 << 20, '\0'); // 1 MiB, no ring
        std::ofstream(dir / "vm.json")
            << "{\"ram_path\": \"" << ram.string() << "\", \"qemu_pid\": " << ::getpid() << "}";
    }
    ~FakeVm() { fs::remove_all(dir); }
};

} // namespace

TEST(LiveTimeline, NoSuchVmFailsAndSaysWhy) {
    int wakes = 0;
    LiveTimeline live("no-such-vm-" + std::to_string(::getpid()), [&] { ++wakes; });
    ASSERT_TRUE(eventually([&] { return live.finished(); }));
    LiveStatus s = live.status();
    EXPECT_EQ(s.state, LiveStatus::State::Failed);
    EXPECT_NE(s.message.find("no running lab VM"), std::string::npos) << s.message;
    EXPECT_EQ(live.data(), nullptr);
    live.requestSync();
    EXPECT_TRUE(live.synced()); // nothing will come: a script waiting for it goes on
}

TEST(LiveTimeline, WaitsForTheRingThenStopsWhenTheVmGoesAway) {
    FakeVm vm("ws-live-test");
    LiveTimeline live(
        vm.dir.string(), [] {}, 20ms);
    ASSERT_TRUE(eventually([&] { return live.status().state == LiveStatus::State::Waiting; }))
        << toString(live.status().state) << " " << live.status().message;
    // A sync is answered by a publish (of no events) once the capture polled again.
    live.requestSync();
    ASSERT_TRUE(eventually([&] { return live.synced(); }));
    ASSERT_NE(live.data(), nullptr);
    EXPECT_EQ(live.data()->store.size(), 0u);
    EXPECT_EQ(live.status().capacity, 0u);
    // The VM goes away (its RAM file is removed): the capture stops, the thread waits to be
    // stopped, and stopping it takes no time.
    fs::remove(vm.ram);
    ASSERT_TRUE(eventually([&] { return live.status().state == LiveStatus::State::Stopped; }));
    EXPECT_EQ(live.status().message, "the lab VM exited");
    EXPECT_FALSE(live.finished());
    auto t0 = std::chrono::steady_clock::now();
    live.stop();
    ASSERT_TRUE(eventually([&] { return live.finished(); }));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(LiveTimeline, DestructorJoinsWhileCapturing) {
    FakeVm vm("ws-live-test2");
    auto t0 = std::chrono::steady_clock::now();
    {
        LiveTimeline live(vm.dir.string(), [] {});
        ASSERT_TRUE(eventually([&] { return live.status().state == LiveStatus::State::Waiting; }));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}
