// Wakeup latency from a timeline: from a vpoll WAKE (an ADD/DEL that found
// waiters) to another task harvesting the instance's readiness, seen as its
// next poll without a poll table (epoll_wait's ep_send_events re-polling the
// item, or poll() returning): "wake_up_locked_poll -> the waiter back".
#pragma once

#include <cstdint>
#include <vector>

#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

struct Wakeup {
    uint64_t wakeNs = 0; ///< the WAKE event
    uint64_t backNs = 0; ///< the harvesting poll
    uint32_t instance = 0;
    int32_t waker = 0;  ///< tid that woke
    int32_t waiter = 0; ///< tid that came back
    uint64_t latencyNs() const { return backNs - wakeNs; }
};

struct LatencyStats {
    std::vector<Wakeup> wakeups; ///< in time order
    uint64_t unmatched = 0; ///< wakes that no other task harvested (self-answered or left over)
    std::vector<uint64_t> log2Histogram; ///< [i] = wakeups with latency in [2^i, 2^(i+1)) ns
    uint64_t minNs = 0, medianNs = 0, p99Ns = 0, maxNs = 0;
};

/// Match every WAKE with waiters to the waiter's return. O(n log n).
LatencyStats wakeupLatencies(const EventStore& store);

} // namespace waitscope::timeline
