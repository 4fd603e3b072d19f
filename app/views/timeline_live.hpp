// The Timeline view's live parts (app/views/timeline_view.cpp): the capture's toolbar line,
// the seq facts of a store for script reports, and the Chrome JSON export on a worker.
#pragma once

#include <string>

#include "../core/worker_pool.hpp"
#include "../sources/live_timeline.hpp"

namespace waitscope::app {

class App;

/// "Live: lab VM X, capturing | N captured, D dropped, R events/s | ring of C" and the Follow
/// checkbox; true when the user turned following on.
bool drawLiveBar(const std::string& vm, const LiveStatus& status, bool& follow);

/// " timeline_dropped=... timeline_seq_first=... timeline_seq_last=... timeline_seq_gaps=...
/// timeline_seq_dups=...": where the recorder's seq numbers (low 32 bits) start and end, how
/// many are missing between them and how many repeat (a lossless capture has neither).
/// O(n log n).
[[nodiscard]] std::string seqFacts(const timeline::EventStore& store);

/// Write `data`'s events to `path` as Chrome Trace Event JSON on a worker; the outcome goes
/// to the log.
JobPtr exportTimeline(App& app, TimelinePtr data, const std::string& path);

} // namespace waitscope::app
