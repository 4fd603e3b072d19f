// Opening targets from files on the worker pool: a snapshot (JSON/CBOR), a session
// directory (a `waitscope lab run` output), a session file (.wss, docs/session-format.md),
// or the bundled demo.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <waitscope/model/session.hpp>

#include "../core/run_queue.hpp"
#include "../core/worker_pool.hpp"

namespace waitscope::app {

/// What a path holds, from its first bytes.
enum class TargetKind { Snapshot, SessionDir, SessionFile, Vmcore, Missing, Unknown };

/// Classify `path` (reads at most 8 bytes; call off the UI thread).
[[nodiscard]] TargetKind classifyTarget(const std::filesystem::path& path);

using SessionCallback = std::function<void(model::Result<model::Session>)>;

/// Load `path` on the pool; `done` runs on the UI thread through `queue`. A vmcore is not
/// loaded here: `onVmcore` gets its path (UI thread) to hand to the introspection worker.
JobPtr loadTarget(WorkerPool& pool, RunQueue& queue, const std::filesystem::path& path,
                  SessionCallback done, std::function<void(std::filesystem::path)> onVmcore);

/// Where the bundled demo is: $WAITSCOPE_DEMO, the build tree's assets/demo, or the
/// installed share/waitscope/demo next to the executable; empty when none exists.
[[nodiscard]] std::filesystem::path findDemo();

/// Load the bundled demo (from findDemo(), else the copy embedded in the binary).
JobPtr loadDemo(WorkerPool& pool, RunQueue& queue, SessionCallback done);

} // namespace waitscope::app
