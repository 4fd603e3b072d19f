// Timeline files: Chrome Trace Event JSON (opens in Perfetto UI and
// chrome://tracing; waitscope re-imports its own losslessly), CSV, and the
// text format of tracefs's `trace` file / `trace-cmd report` (docs/timeline.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

/// Extra facts written with a Chrome trace ("otherData").
struct TraceMeta {
    std::string source; ///< e.g. "lab-ram live", "vmcore", "tracefs"
    std::string kernel; ///< release
};

/// Chrome Trace Event JSON: instant events ("ph": "i") named by kind, "ts" in
/// µs, "pid"/"tid" = tgid/tid, exact values in "args" (ts_ns, seq, instance,
/// events, arg, cpu, flags), process/thread names as metadata events.
std::string toChromeJson(const EventStore& store, const TraceMeta& meta = {});
/// Parse Chrome JSON written by toChromeJson() (other producers' instant and
/// complete events are read too, by name). Throws base::Error on bad input.
EventStore fromChromeJson(std::string_view json);

/// One CSV row per event: ts_ns,cpu,tid,tgid,comm,kind,instance,events,arg,flags,seq.
std::string toCsv(const EventStore& store);

/// What importing trace text found.
struct TextImport {
    size_t events = 0;  ///< lines turned into events
    size_t skipped = 0; ///< event lines of kinds waitscope does not know
    size_t bad = 0;     ///< lines that look like events but do not parse
};
/// Append the vpoll, sched_wakeup, sched_switch and ep_poll_callback (kprobe)
/// events of a tracefs/trace-cmd text report to `store`. Timestamps are taken
/// as printed (set trace_clock to "mono" to line them up with vpoll's ring).
TextImport importTraceText(std::string_view text, EventStore& store);

/// Read any timeline file by content: Chrome JSON, trace text, or a waitscope
/// snapshot (JSON or CBOR: its vpoll_ring records, the post-mortem timeline).
/// Throws base::Error.
EventStore loadTimelineFile(const std::filesystem::path& path);

} // namespace waitscope::timeline
