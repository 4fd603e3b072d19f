// The app's non-GUI core: worker pool (progress, cancel, wake), run queue, settings under
// XDG config, and the action script parser.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/run_queue.hpp"
#include "core/script.hpp"
#include "core/settings.hpp"
#include "core/worker_pool.hpp"

using namespace waitscope::app;
namespace fs = std::filesystem;

TEST(WorkerPool, RunsJobsWakesAndCancels) {
    std::atomic<int> wakes{0};
    WorkerPool pool(2, [&] { ++wakes; });
    std::atomic<int> ran{0};
    for (int i = 0; i < 20; ++i)
        pool.submit("job", [&](Job& j) {
            j.setProgress(0.5);
            ++ran;
        });
    pool.waitIdle();
    EXPECT_EQ(ran.load(), 20);
    EXPECT_EQ(wakes.load(), 20);
    EXPECT_TRUE(pool.idle());
    EXPECT_TRUE(pool.active().empty());

    // A long job sees its cancel flag; a queued one that was cancelled never runs.
    std::atomic<bool> sawCancel{false}, started{false};
    JobPtr slow = pool.submit("slow", [&](Job& j) {
        started = true;
        while (!j.cancelled())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        sawCancel = true;
    });
    JobPtr blocker = pool.submit("blocker", [&](Job& j) {
        while (!j.cancelled())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    std::atomic<bool> queuedRan{false};
    JobPtr queued = pool.submit("queued", [&](Job&) { queuedRan = true; });
    while (!started)
        std::this_thread::yield();
    EXPECT_FALSE(pool.idle());
    EXPECT_GE(pool.active().size(), 2u);
    queued->cancel();
    slow->cancel();
    blocker->cancel();
    pool.waitIdle();
    EXPECT_TRUE(sawCancel.load());
    EXPECT_FALSE(queuedRan.load());
    EXPECT_TRUE(queued->done());
}

TEST(RunQueue, DrainsInOrderOnTheCallingThread) {
    int wakes = 0;
    RunQueue q([&] { ++wakes; });
    std::vector<int> seen;
    std::thread t([&] {
        for (int i = 0; i < 5; ++i)
            q.post([&seen, i] { seen.push_back(i); });
    });
    t.join();
    EXPECT_EQ(wakes, 5);
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(q.drain(), 5u);
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(q.empty());
}

TEST(Settings, LiveUnderXdgConfigAndRoundTrip) {
    fs::path dir = fs::temp_directory_path() / ("ws-settings-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
    EXPECT_EQ(Settings::directory(), dir / "waitscope");
    Settings s;
    s.leftWidth = 222;
    s.lecture = true;
    s.openViews["Log"] = false;
    s.imguiIni = "[Window][x]\nPos=1,2\n";
    for (int i = 0; i < 15; ++i)
        s.addRecent("/tmp/snap" + std::to_string(i) + ".json");
    s.addRecent("/tmp/snap3.json");
    fs::path file = Settings::directory() / "settings.json";
    s.save(file);
    std::string error;
    Settings t = Settings::load(file, &error);
    EXPECT_TRUE(error.empty());
    EXPECT_EQ(t.leftWidth, 222);
    EXPECT_TRUE(t.lecture);
    EXPECT_EQ(t.openViews["Log"], false);
    EXPECT_EQ(t.imguiIni, s.imguiIni);
    ASSERT_EQ(t.recent.size(), 12u);
    EXPECT_EQ(t.recent[0], "/tmp/snap3.json");
    EXPECT_EQ(t.recent[1], "/tmp/snap14.json");
    // A damaged file gives defaults and says why.
    std::FILE* f = std::fopen(file.c_str(), "w");
    std::fputs("{not json", f);
    std::fclose(f);
    Settings d = Settings::load(file, &error);
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(d.leftWidth, Settings{}.leftWidth);
    fs::remove_all(dir);
    ::unsetenv("XDG_CONFIG_HOME");
}

TEST(Script, ParsesActionsAndRejectsMistakes) {
    std::vector<ScriptAction> a;
    std::string error;
    ASSERT_TRUE(parseScript("# a comment\n\nselect type eventpoll 2  # trailing\nexpand\n"
                            "view inspector\nscreenshot /tmp/x.png\nexpect rbtree_nodes 7\n",
                            a, error))
        << error;
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(a[0].verb, "select");
    EXPECT_EQ(a[0].args, (std::vector<std::string>{"type", "eventpoll", "2"}));
    EXPECT_EQ(a[0].line, 3);
    EXPECT_EQ(a[4].args, (std::vector<std::string>{"rbtree_nodes", "7"}));
    std::vector<ScriptAction> b;
    EXPECT_FALSE(parseScript("expand\nfly away\n", b, error));
    EXPECT_EQ(error, "line 2: unknown action 'fly'");
    EXPECT_FALSE(parseScript("resize 100\n", b, error));
    EXPECT_EQ(error, "line 1: 'resize' takes 2 argument(s)");
    EXPECT_FALSE(parseScript("zoom-fit now\n", b, error));
    EXPECT_FALSE(parseScript("select id\n", b, error));
    // wait-file PATH [SECONDS]: another process says when to go on.
    std::vector<ScriptAction> c;
    ASSERT_TRUE(parseScript("wait-file /tmp/go\nwait-file /tmp/go 30\n", c, error)) << error;
    EXPECT_EQ(c[1].args, (std::vector<std::string>{"/tmp/go", "30"}));
    EXPECT_FALSE(parseScript("wait-file\n", c, error));
    EXPECT_EQ(error, "line 1: 'wait-file' takes 1-2 argument(s)");
}
