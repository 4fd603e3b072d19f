// bench/run timeline10m [TRACE] [EVENTS]: CPU time to compute one frame of the timeline view
// (buildFrame: cull + fold) over an event store of >= 10M events, zoomed fully out and zoomed
// in to a 50 us window, 1920 px wide, every CPU and task lane (value = the sum of both);
// baseline = buildFrameUnfolded (one glyph per event, no folding) on the same viewports in the
// same run. Also prints the store's bytes per event.
//
// The events are derived from a real capture (TRACE, default
// tests/fixtures/timeline/trace_vpoll.txt: vpoll, sched and ep_poll_callback events recorded
// by the kernel's tracer in the lab VM) replicated shifted in time across 8 CPUs and 64 task
// groups until the store holds EVENTS (default 10,000,000) events.
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/timeline/frame.hpp>
#include <waitscope/timeline/io.hpp>

namespace tl = waitscope::timeline;

namespace {

double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Measured {
    double ms = 0;
    size_t glyphs = 0;
    uint64_t events = 0;
};

/// Median CPU time of `reps` frame builds.
template <typename Build>
Measured measure(Build build, int reps) {
    std::vector<double> times;
    Measured m;
    for (int r = 0; r < reps; ++r) {
        double t0 = threadCpuMs();
        std::vector<tl::LaneFrame> frame = build();
        times.push_back(threadCpuMs() - t0);
        m.glyphs = 0;
        m.events = 0;
        for (const auto& f : frame) {
            m.glyphs += f.glyphs.size();
            m.events += f.events;
        }
    }
    std::sort(times.begin(), times.end());
    m.ms = times[times.size() / 2];
    return m;
}

} // namespace

int main(int argc, char** argv) {
    std::string src = std::getenv("WAITSCOPE_SRC") ? std::getenv("WAITSCOPE_SRC") : ".";
    std::filesystem::path trace =
        argc > 1 ? argv[1] : src + "/tests/fixtures/timeline/trace_vpoll.txt";
    size_t target = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10'000'000;
    std::vector<tl::Event> seed;
    try {
        seed = tl::loadTimelineFile(trace).all();
    } catch (const waitscope::base::Error& e) {
        std::fprintf(stderr, "bench timeline10m: %s\n", e.what());
        return 1;
    }
    if (seed.empty() || target == 0) {
        std::fprintf(stderr, "bench timeline10m: no events in %s\n", trace.c_str());
        return 1;
    }
    const uint64_t t0 = seed.front().tsNs;
    const uint64_t span = seed.back().tsNs - t0 + 1'000'000; // + 1 ms between copies
    constexpr unsigned CpuGroups = 4;                        // the capture has CPUs 0-1
    constexpr int32_t TaskGroups = 8;
    constexpr int32_t TidStride = 100'000;

    tl::EventStore store;
    size_t copies = 0;
    double buildStart = threadCpuMs();
    while (store.size() < target) {
        // Copy k runs on CPUs 2*(k%4)..+1, as task group k%64, in time slot k/4.
        const uint64_t shift = (copies / CpuGroups) * span;
        const auto cpuOff = static_cast<uint16_t>(2 * (copies % CpuGroups));
        const int32_t tidOff = static_cast<int32_t>(copies % TaskGroups) * TidStride;
        for (const tl::Event& s : seed) {
            if (store.size() >= target)
                break;
            tl::Event e = s;
            e.tsNs = s.tsNs - t0 + shift;
            e.cpu = static_cast<uint16_t>(s.cpu + cpuOff);
            if (e.pid > 0)
                e.pid += tidOff;
            e.seq = static_cast<uint32_t>(store.size());
            store.append(e);
        }
        ++copies;
    }
    store.shrinkToFit();
    std::vector<tl::LaneId> lanes;
    for (uint16_t cpu : store.cpus())
        lanes.push_back({tl::LaneId::Type::Cpu, cpu});
    for (int32_t tid : store.tids())
        lanes.push_back({tl::LaneId::Type::Task, tid});
    double buildMs = threadCpuMs() - buildStart;

    const uint64_t first = store.firstNs(), last = store.lastNs() + 1;
    std::printf("input: %s (%zu events) replicated %zu times, shifted in time across %zu CPUs "
                "and %d task groups\n",
                trace.c_str(), seed.size(), copies, store.cpus().size(), TaskGroups);
    std::printf("store: %zu events over %.1f s, %zu lanes (%zu CPU + %zu task), %.2f bytes/event "
                "(built in %.0f ms)\n",
                store.size(), static_cast<double>(last - first) / 1e9, lanes.size(),
                store.cpus().size(), lanes.size() - store.cpus().size(),
                static_cast<double>(store.memoryBytes()) / static_cast<double>(store.size()),
                buildMs);

    // Zoomed in: the capture's busiest 50 us (most events), in the time slot in the
    // middle of the store, so the window holds events on every CPU group's lanes.
    constexpr uint64_t InNs = 50'000;
    size_t busiest = 0, most = 0;
    for (size_t a = 0, b = 0; a < seed.size(); ++a) {
        while (b < seed.size() && seed[b].tsNs < seed[a].tsNs + InNs)
            ++b;
        if (b - a > most) {
            most = b - a;
            busiest = a;
        }
    }
    const uint64_t mid = first + (last - first) / 2;
    const uint64_t midSlot = (mid - first) / span * span + first;
    const uint64_t inT0 = midSlot + (seed[busiest].tsNs - t0) + InNs / 2;
    struct Case {
        const char* name;
        tl::Viewport view;
    } cases[] = {
        {"zoomed out (whole store)", {first, last, 1920.0f, 3.0f}},
        {"zoomed in (50 us window)", {inT0 - 25'000, inT0 + 25'000, 1920.0f, 3.0f}},
    };
    double value = 0, baseline = 0;
    for (const Case& c : cases) {
        Measured folded = measure([&] { return tl::buildFrame(store, lanes, c.view); }, 9);
        Measured flat = measure([&] { return tl::buildFrameUnfolded(store, lanes, c.view); }, 3);
        std::printf("%-26s buildFrame %8.3f ms (%zu glyphs for %" PRIu64
                    " events in lanes) | unfolded %9.3f ms (%zu glyphs)\n",
                    c.name, folded.ms, folded.glyphs, folded.events, flat.ms, flat.glyphs);
        value += folded.ms;
        baseline += flat.ms;
    }
    // Where the zoomed-out time goes: CPU lanes and task lanes alone, and the task
    // lanes by size.
    {
        std::vector<tl::LaneId> cpuLanes(lanes.begin(), lanes.begin() + store.cpus().size());
        std::vector<tl::LaneId> big, small;
        for (size_t l = store.cpus().size(); l < lanes.size(); ++l)
            (store.taskLane(lanes[l].id).size() > 100'000 ? big : small).push_back(lanes[l]);
        for (auto [name, ls] : {std::pair{"CPU lanes", &cpuLanes}, std::pair{"big tasks", &big},
                                std::pair{"small tasks", &small}}) {
            Measured m = measure([&] { return tl::buildFrame(store, *ls, cases[0].view); }, 9);
            std::printf("  zoomed out, %zu %-12s %8.3f ms (%zu glyphs for %" PRIu64 " events)\n",
                        ls->size(), name, m.ms, m.glyphs, m.events);
        }
    }
    std::printf("value = sum of both viewports' buildFrame; baseline = the same with "
                "buildFrameUnfolded (goal: value <= 8 ms)\n");
    std::printf("RESULT name=timeline10m value=%.3f unit=ms baseline=%.3f ratio=%.4f\n", value,
                baseline, baseline > 0 ? value / baseline : 0.0);
    return 0;
}
