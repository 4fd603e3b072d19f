// `waitscope timeline capture|show|convert`: vpoll's flight recorder, live
// from a lab VM, and timeline files (Chrome JSON, trace text, CSV).
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/base/signals.hpp>
#include <waitscope/lab/vm.hpp>
#include <waitscope/timeline/io.hpp>
#include <waitscope/timeline/latency.hpp>
#include <waitscope/timeline/live_capture.hpp>

#include "commands.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using waitscope::base::Error;
namespace tl = waitscope::timeline;

namespace waitscope::cli {

namespace {

void writeTimeline(const tl::EventStore& store, const fs::path& out, const std::string& format,
                   const tl::TraceMeta& meta) {
    base::writeFileAtomic(out, format == "csv" ? tl::toCsv(store) : tl::toChromeJson(store, meta));
}

json summary(const tl::EventStore& store) {
    std::map<std::string, uint64_t> kinds;
    for (uint16_t cpu : store.cpus()) {
        const auto& lane = store.cpuLane(cpu);
        for (size_t i = 0; i < lane.size(); ++i)
            ++kinds[std::string(tl::kindName(lane[i].kind()))];
    }
    tl::LatencyStats lat = tl::wakeupLatencies(store);
    json j = {{"events", store.size()},
              {"dropped", store.dropped()},
              {"first_ns", store.firstNs()},
              {"last_ns", store.lastNs()},
              {"kinds", kinds},
              {"cpus", store.cpus().size()},
              {"tasks", store.tids().size()},
              {"bytes_per_event",
               store.size() ? static_cast<double>(store.memoryBytes()) / store.size() : 0.0}};
    json w = {{"count", lat.wakeups.size()}, {"unmatched", lat.unmatched}};
    if (!lat.wakeups.empty()) {
        w["min_ns"] = lat.minNs;
        w["median_ns"] = lat.medianNs;
        w["p99_ns"] = lat.p99Ns;
        w["max_ns"] = lat.maxNs;
        w["log2_histogram"] = lat.log2Histogram;
    }
    j["wakeup_latency"] = w;
    return j;
}

void printSummary(const json& j) {
    double span = (j["last_ns"].get<uint64_t>() - j["first_ns"].get<uint64_t>()) / 1e9;
    std::printf(
        "%" PRIu64 " events over %.3f s (%.0f/s), %" PRIu64 " dropped, %zu CPUs, %zu tasks\n",
        j["events"].get<uint64_t>(), span, span > 0 ? j["events"].get<uint64_t>() / span : 0.0,
        j["dropped"].get<uint64_t>(), j["cpus"].get<size_t>(), j["tasks"].get<size_t>());
    for (const auto& [k, n] : j["kinds"].items())
        std::printf("  %-18s %" PRIu64 "\n", k.c_str(), n.get<uint64_t>());
    const json& w = j["wakeup_latency"];
    std::printf(
        "wakeup latency (WAKE -> another task harvesting the instance): %zu matched, %" PRIu64
        " unmatched\n",
        w["count"].get<size_t>(), w["unmatched"].get<uint64_t>());
    if (w.contains("median_ns")) {
        std::printf("  min %.1f us, median %.1f us, p99 %.1f us, max %.1f us\n",
                    w["min_ns"].get<uint64_t>() / 1e3, w["median_ns"].get<uint64_t>() / 1e3,
                    w["p99_ns"].get<uint64_t>() / 1e3, w["max_ns"].get<uint64_t>() / 1e3);
        const json& h = w["log2_histogram"];
        for (size_t i = 0; i < h.size(); ++i)
            if (h[i].get<uint64_t>())
                std::printf("  [%8.1f us, %8.1f us) %" PRIu64 "\n", (1ull << i) / 1e3,
                            (2ull << i) / 1e3, h[i].get<uint64_t>());
    }
}

int capture(const std::string& name, double seconds, const std::string& out,
            const std::string& format) {
    lab::cleanupStaleLabs();
    fs::path vmJson = lab::labRuntimeDir() / "lab" / name / "vm.json";
    if (!fs::exists(vmJson))
        throw Error("no lab VM '" + name + "' is running (waitscope lab boot --name " + name + ")");
    json vm = json::parse(base::readFile(vmJson));
    base::installStopSignals();
    tl::LiveCapture cap(vm["ram_path"].get<std::string>());
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end && !base::stopRequested())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    tl::EventStore store = cap.finish();
    tl::CaptureStats st = cap.stats();
    writeTimeline(store, out, format, {"lab-ram live", vm["release"].get<std::string>()});
    std::printf("timeline: %zu events, %" PRIu64 " dropped (ring of %u at phys 0x%" PRIx64
                ") -> %s\n",
                store.size(), store.dropped(), st.capacity, st.ringPhys, out.c_str());
    return 0;
}

} // namespace

void addTimelineCommands(CLI::App& app, int& status) {
    auto* tlc = app.add_subcommand("timeline", "vpoll's flight recorder: capture live from a lab "
                                               "VM, summarise, convert");
    tlc->require_subcommand(1);

    static std::string capName = "default", capOut, capFormat = "chrome";
    static double capSeconds = 10;
    auto* cap = tlc->add_subcommand("capture", "Read the ring from a running lab VM's RAM "
                                               "(without pausing it) for a while");
    cap->add_option("--name", capName, "Lab VM name")->capture_default_str();
    cap->add_option("--seconds", capSeconds, "How long (Ctrl-C ends early)")->capture_default_str();
    cap->add_option("--out", capOut, "Output file")->required();
    cap->add_option("--format", capFormat, "chrome (Chrome Trace Event JSON) or csv")
        ->check(CLI::IsMember({"chrome", "csv"}))
        ->capture_default_str();
    cap->callback([&status] {
        try {
            status = capture(capName, capSeconds, capOut, capFormat);
        } catch (const Error& e) {
            std::fprintf(stderr, "waitscope timeline: %s\n", e.what());
            status = 1;
        }
    });

    static std::string showFile, showFormat = "text";
    auto* show = tlc->add_subcommand("show", "Summarise a timeline file (Chrome JSON, "
                                             "tracefs/trace-cmd text, or a snapshot: its "
                                             "vpoll_ring records): counts, drops, wakeup "
                                             "latency histogram");
    show->add_option("file", showFile, "Timeline file or snapshot (JSON/CBOR)")->required();
    show->add_option("--format", showFormat, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    show->callback([&status] {
        try {
            json j = summary(tl::loadTimelineFile(showFile));
            if (showFormat == "json")
                std::printf("%s\n", j.dump(2).c_str());
            else
                printSummary(j);
            status = 0;
        } catch (const Error& e) {
            std::fprintf(stderr, "waitscope timeline: %s\n", e.what());
            status = 1;
        }
    });

    static std::string convIn, convOut, convFormat = "chrome";
    auto* conv = tlc->add_subcommand("convert", "Convert a timeline file to Chrome JSON or CSV");
    conv->add_option("file", convIn,
                     "Timeline file (Chrome JSON or trace text) or snapshot (its vpoll_ring)")
        ->required();
    conv->add_option("--out", convOut, "Output file")->required();
    conv->add_option("--format", convFormat, "chrome or csv")
        ->check(CLI::IsMember({"chrome", "csv"}))
        ->capture_default_str();
    conv->callback([&status] {
        try {
            tl::EventStore store = tl::loadTimelineFile(convIn);
            writeTimeline(store, convOut, convFormat, {"converted from " + convIn, ""});
            std::printf("timeline: %zu events -> %s\n", store.size(), convOut.c_str());
            status = 0;
        } catch (const Error& e) {
            std::fprintf(stderr, "waitscope timeline: %s\n", e.what());
            status = 1;
        }
    });
}

} // namespace waitscope::cli
