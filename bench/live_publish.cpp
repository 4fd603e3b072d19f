// bench/run live_publish [TRACE] [EVENTS] [BATCH]: what one publish of the app's live timeline
// costs once the capture holds EVENTS events (default 2,000,000): the left-right publisher
// (LeftRightTimeline: append the new BATCH events, default 1,000 = 10,000 events/s for 100 ms,
// to the store the UI let go, settle, publish), median over 41 publishes with the UI holding
// the newest version each time; baseline = publishing a fresh copy instead (a new store with
// all EVENTS + BATCH events, makeTimeline), the simple way, on the same events in the same run.
// Also prints the whole-store wakeup latency pass the publisher runs at most once a second.
//
// The events are a real capture (TRACE, default tests/fixtures/timeline/trace_vpoll.txt:
// vpoll, sched and ep_poll_callback events recorded in the lab VM) replicated shifted in time
// until there are EVENTS + 43 * BATCH of them, fed in time order (the first two publishes,
// which bring each store the whole capture, are not counted).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/io.hpp>
#include <waitscope/timeline/latency.hpp>

#include "sources/live_timeline.hpp"

namespace tl = waitscope::timeline;
using namespace waitscope::app;

namespace {

double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

tl::EventStore storeOf(const std::vector<tl::Event>& events, std::size_t from, std::size_t to) {
    tl::EventStore s;
    for (std::size_t i = from; i < to; ++i)
        s.append(events[i]);
    s.setTask({1, 1, "bench"});
    return s;
}

} // namespace

int main(int argc, char** argv) {
    std::string trace =
        argc > 1 ? argv[1]
                 : std::string(WAITSCOPE_SOURCE_DIR) + "/tests/fixtures/timeline/trace_vpoll.txt";
    const std::size_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2'000'000;
    const std::size_t batch = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1'000;
    constexpr int Publishes = 41;
    std::vector<tl::Event> seed;
    try {
        seed = tl::loadTimelineFile(trace).all();
    } catch (const waitscope::base::Error& e) {
        std::fprintf(stderr, "live_publish: %s\n", e.what());
        return 1;
    }
    if (seed.empty() || total == 0 || batch == 0) {
        std::fprintf(stderr, "live_publish: no events in %s\n", trace.c_str());
        return 1;
    }
    const std::uint64_t span = seed.back().tsNs - seed.front().tsNs + 1000;
    std::vector<tl::Event> events;
    constexpr int WarmUp = 2; // the first publish into each store brings it the whole capture
    const std::size_t want = total + (WarmUp + Publishes) * batch;
    events.reserve(want);
    for (std::uint64_t rep = 0; events.size() < want; ++rep)
        for (const tl::Event& e : seed) {
            if (events.size() == want)
                break;
            tl::Event c = e;
            c.tsNs += rep * span;
            c.seq = static_cast<std::uint32_t>(events.size());
            events.push_back(c);
        }

    // The capture so far, then batch after batch.
    LeftRightTimeline lr("bench");
    lr.add(storeOf(events, 0, total));
    TimelinePtr held = lr.publish();
    std::vector<double> times;
    std::size_t at = total;
    for (int i = 0; i < WarmUp + Publishes; ++i, at += batch) {
        tl::EventStore b = storeOf(events, at, at + batch); // what takeNew() hands over
        double t0 = threadCpuMs();
        lr.add(std::move(b));
        TimelinePtr next = lr.publish();
        if (i >= WarmUp)
            times.push_back(threadCpuMs() - t0);
        if (!next) {
            std::fprintf(stderr, "live_publish: a publish was refused\n");
            return 1;
        }
        held = std::move(next); // the UI takes the newest, lets the previous one go
    }
    std::sort(times.begin(), times.end());
    const double value = times[times.size() / 2];

    // The simple way: a fresh store of everything, every publish.
    std::vector<double> copies;
    for (int r = 0; r < 3; ++r) {
        double t0 = threadCpuMs();
        TimelinePtr fresh = makeTimeline(storeOf(events, 0, total + batch), "copy");
        copies.push_back(threadCpuMs() - t0);
    }
    std::sort(copies.begin(), copies.end());
    const double baseline = copies[1];

    double t0 = threadCpuMs();
    tl::LatencyStats l = tl::wakeupLatencies(held->store);
    const double latencyMs = threadCpuMs() - t0;
    std::printf("live_publish: %zu events held, batches of %zu: publish median %.3f ms (max %.3f), "
                "a fresh copy %.1f ms; whole-store latency pass %.1f ms (%zu wakeups), run at "
                "most once a second per store\n",
                held->store.size(), batch, value, times.back(), baseline, latencyMs,
                l.wakeups.size());
    std::printf("RESULT name=live_publish value=%.3f unit=ms baseline=%.1f ratio=%.5f\n", value,
                baseline, value / baseline);
    return 0;
}
