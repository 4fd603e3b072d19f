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

namespace {

namespace tl = waitscope::timeline;

/// `n` vpoll ADD/DEL events from `seq` on, 1 µs apart, alternating between CPUs 0 and 1.
tl::EventStore batch(std::uint32_t seq, std::uint32_t n, std::uint64_t dropped = 0) {
    tl::EventStore s;
    s.setTask({42, 42, "vpoll_rate"});
    for (std::uint32_t i = 0; i < n; ++i) {
        tl::Event e;
        e.seq = seq + i;
        e.tsNs = 1'000'000 + 1000ull * (seq + i);
        e.pid = 42;
        e.instance = 1;
        e.cpu = static_cast<std::uint16_t>((seq + i) % 2);
        e.kind = (seq + i) % 2 ? tl::Kind::VpollDel : tl::Kind::VpollAdd;
        s.append(e);
    }
    s.addDropped(dropped);
    return s;
}

} // namespace

TEST(LeftRightTimeline, PublishesIntoTheStoreNoReaderHolds) {
    LeftRightTimeline lr("test");
    lr.add(batch(0, 100, 3));
    TimelinePtr v1 = lr.publish();
    ASSERT_NE(v1, nullptr);
    EXPECT_EQ(v1->store.size(), 100u);
    EXPECT_EQ(v1->store.dropped(), 3u);
    EXPECT_EQ(v1->origin, "test");
    EXPECT_EQ(lr.publish(), nullptr); // nothing new

    lr.add(batch(100, 50), 7);
    TimelinePtr v2 = lr.publish(); // the other store
    ASSERT_NE(v2, nullptr);
    EXPECT_NE(v2.get(), v1.get());
    EXPECT_EQ(v2->store.size(), 150u);
    EXPECT_EQ(lr.publishedSync(), 7u);
    EXPECT_EQ(v1->store.size(), 100u); // a held version never changes

    // v1's store is held: nothing can be published until it is let go.
    lr.add(batch(150, 10));
    EXPECT_EQ(lr.publish(), nullptr);
    const tl::EventStore::Ref ref = v1->store.cpuLane(1).ref(7);
    const std::uint32_t seq = v1->store.packed(ref).seq;
    const TimelineData* old = v1.get();
    v1.reset();
    TimelinePtr v3 = lr.publish();
    ASSERT_NE(v3, nullptr);
    EXPECT_EQ(v3.get(), old); // the same store, caught up with both batches
    EXPECT_EQ(v3->store.size(), 160u);
    EXPECT_EQ(v3->store.dropped(), 3u);
    EXPECT_EQ(v3->store.packed(ref).seq, seq); // refs of older versions still name their event
    EXPECT_GT(v3->serial, v2->serial);
    // Derived data counts every event once.
    std::uint64_t counted = 0;
    for (std::uint64_t c : v3->kindCounts)
        counted += c;
    EXPECT_EQ(counted, 160u);
    EXPECT_EQ(v3->cpus, (std::vector<std::uint16_t>{0, 1}));
    ASSERT_NE(v3->store.task(42), nullptr);
    EXPECT_EQ(v3->store.task(42)->comm, "vpoll_rate");
    EXPECT_EQ(v3->firstNs, 1'000'000u);
    EXPECT_EQ(v3->lastNs, 1'000'000u + 159'000u);

    // The queue empties once both stores have every batch.
    v2.reset();
    lr.add(batch(160, 1));
    TimelinePtr v4 = lr.publish();
    ASSERT_NE(v4, nullptr);
    EXPECT_EQ(v4->store.size(), 161u);
    v3.reset();
    lr.add({});
    EXPECT_LE(lr.queued(), 1u);
}
