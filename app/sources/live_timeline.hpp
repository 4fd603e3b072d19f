// The live timeline of a running lab VM: a thread of its own runs timeline::LiveCapture on
// the VM's guest RAM file (the guest is never paused) and publishes what it captured as
// immutable TimelineData about every 100 ms. Two stores take turns (left-right): each batch
// of new events goes into the store the UI no longer holds, which is then settled and
// published, so a publish costs the new events (not a copy of the whole capture) and the UI
// thread never waits for the capture or for guest I/O. The capture stops by itself when the
// VM goes away (its QEMU exits or its RAM file is removed); the destructor joins the thread.
// No ImGui here.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "timeline_source.hpp"

namespace waitscope::app {

/// What the capture is doing, for the Timeline view's toolbar and the script report.
struct LiveStatus {
    enum class State {
        Starting,  ///< finding the VM, mapping its RAM
        Waiting,   ///< mapped, no vpoll ring in guest memory (yet)
        Capturing, ///< following the ring
        Stopped,   ///< the VM went away, or stop() was called: the events stay
        Failed,    ///< could not start (no such VM, RAM file unreadable)
    } state = State::Starting;
    std::string message;        ///< why it stopped or failed; the capture's own error
    std::uint64_t captured = 0; ///< records read from the ring so far
    std::uint64_t dropped = 0;  ///< records overwritten before they were read
    double eventsPerSec = 0;    ///< captured records per second over the last ~second
    std::uint32_t capacity = 0; ///< ring size in records (0 until found)
    std::uint64_t publishes = 0;
};
[[nodiscard]] const char* toString(LiveStatus::State s);

/// The live timeline's publisher (its thread's core, on its own for tests and benchmarks):
/// batches of new events go into whichever of two stores no reader holds, which is then
/// settled and handed out as the newest version. Every version holds every event added
/// before its publish, and a ref (EventStore::Ref) of an older version names the same event in
/// newer ones while events arrive in time order per CPU. One thread only.
class LeftRightTimeline {
public:
    explicit LeftRightTimeline(std::string origin);
    LeftRightTimeline(const LeftRightTimeline&) = delete;
    LeftRightTimeline& operator=(const LeftRightTimeline&) = delete;

    /// Queue the events of `batch` (LiveCapture::takeNew(): events, tasks, dropped) for the
    /// next publish; `sync` is the sync request it answers (0: none).
    void add(timeline::EventStore batch, std::uint64_t sync = 0);
    /// A version with everything added so far, or null when nothing is new since the last
    /// one or the store it would go into is still held by a reader (try again later).
    /// Costs the events added since that store's last publish (O(batch log n)), plus the
    /// wakeup latencies of the whole store at most once a second and at most 1/40 of the
    /// time (5% for both stores).
    [[nodiscard]] TimelinePtr publish();
    /// The highest sync request the last published version answers.
    [[nodiscard]] std::uint64_t publishedSync() const;
    /// Batches queued for either store.
    [[nodiscard]] std::size_t queued() const { return m_pending.size(); }

private:
    struct Batch {
        std::vector<timeline::Event> events; ///< in time order
        std::vector<timeline::TaskInfo> tasks;
        std::uint64_t dropped = 0;
        std::uint64_t sync = 0;
    };
    struct Slot {
        std::shared_ptr<TimelineData> data;
        std::uint64_t applied = 0; ///< batches in it (absolute count)
        std::uint64_t sync = 0;
        std::chrono::steady_clock::time_point latencyAt{};
        std::chrono::steady_clock::duration latencyCost{};
    };
    static void apply(TimelineData& d, const Batch& b);

    Slot m_slots[2];
    int m_pub = -1; ///< the slot published last
    std::deque<Batch> m_pending;
    std::uint64_t m_base = 0; ///< batch number of m_pending.front()
};

class LiveTimeline {
public:
    /// Start capturing the lab VM `vm` (a name under the lab runtime directory, or a state
    /// directory with a vm.json), publishing every `period`. `wake` runs after each
    /// publish (any thread: it redraws the UI).
    LiveTimeline(std::string vm, std::function<void()> wake,
                 std::chrono::milliseconds period = std::chrono::milliseconds(100));
    /// Stops and joins the thread (which never waits on anything but its own timer and the
    /// capture's short poll).
    ~LiveTimeline();
    LiveTimeline(const LiveTimeline&) = delete;
    LiveTimeline& operator=(const LiveTimeline&) = delete;

    [[nodiscard]] const std::string& vm() const { return m_vm; }
    /// The newest published events (null before the first publish). Thread-safe; the
    /// result never changes while it is held.
    [[nodiscard]] TimelinePtr data() const;
    /// A copy of the status (thread-safe).
    [[nodiscard]] LiveStatus status() const;
    /// Ask for a publish holding every record the ring has now (scripts, tests);
    /// synced() says when data() has it. Thread-safe.
    void requestSync();
    [[nodiscard]] bool synced() const { return m_syncDone.load() >= m_syncRequested.load(); }
    /// Ask the capture to stop (does not wait); the events captured so far stay published.
    void stop();
    /// The thread has ended (after stop(), or a failed start).
    [[nodiscard]] bool finished() const { return m_finished.load(); }

private:
    void run();

    const std::string m_vm;
    const std::function<void()> m_wake;
    const std::chrono::milliseconds m_period;

    mutable std::mutex m_mutex; ///< guards m_published, m_status, m_stop (briefly held)
    std::condition_variable m_cv;
    TimelinePtr m_published;
    LiveStatus m_status;
    bool m_stop = false;

    std::atomic<std::uint64_t> m_syncRequested{0}, m_syncDone{0};
    std::atomic<bool> m_finished{false};
    std::thread m_thread;
};

} // namespace waitscope::app
