// Live capture of vpoll's flight recorder from a running lab VM: a thread that
// polls the ring in the guest's shared RAM file (never pausing the guest) and
// appends to an EventStore. The app's event source and `waitscope lab run
// --events` use it.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <waitscope/timeline/ring_reader.hpp>
#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

struct CaptureStats {
    uint64_t records = 0;
    uint64_t dropped = 0;
    uint64_t polls = 0;
    uint32_t capacity = 0;
    uint64_t ringPhys = 0;
    std::string error; ///< why the capture stopped early, if it did
};

class LiveCapture {
public:
    /// Map the guest RAM file, look for the ring (once here, so that events
    /// from now on are not missed when it is there already; then on every
    /// poll until it appears) and start polling every `period`. Throws
    /// base::Error when the file cannot be mapped.
    LiveCapture(const std::filesystem::path& ramPath,
                std::chrono::microseconds period = std::chrono::microseconds(500));
    ~LiveCapture();
    LiveCapture(const LiveCapture&) = delete;
    LiveCapture& operator=(const LiveCapture&) = delete;

    /// Poll once more, stop the thread and hand over what was captured.
    EventStore finish();
    /// A copy of the counters so far (thread-safe).
    CaptureStats stats() const;
    /// Move out the events captured since the last take (thread-safe): for a
    /// consumer that wants them while the capture goes on.
    EventStore takeNew();

private:
    void loop();
    void pollOnce();

    GuestMemory m_mem;
    std::chrono::microseconds m_period;
    std::optional<RingReader> m_reader;
    mutable std::mutex m_mutex; ///< guards m_store, m_stats
    EventStore m_store;
    CaptureStats m_stats;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

} // namespace waitscope::timeline
