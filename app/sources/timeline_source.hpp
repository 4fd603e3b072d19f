// The timeline view's data: an immutable, settled EventStore with what the view needs
// precomputed (lanes, range, wakeup latencies), built on a worker and published as a
// shared_ptr<const TimelineData>. Sources: a lab run directory's events file (`waitscope
// lab run --events`), or the open snapshot's `vpoll_ring` object (the post-mortem ring).
// No ImGui here.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <waitscope/model/session.hpp>
#include <waitscope/model/snapshot.hpp>
#include <waitscope/timeline/latency.hpp>
#include <waitscope/timeline/store.hpp>

namespace waitscope::app {

struct TimelineData {
    timeline::EventStore store; ///< settled: every lane sorted, safe to read from any thread
    std::string origin;         ///< "events.json of DIR", "vpoll_ring of MARK"
    std::vector<std::uint16_t> cpus;
    std::vector<std::int32_t> tids;
    std::uint64_t firstNs = 0, lastNs = 0;
    timeline::LatencyStats latency;
    std::array<std::uint64_t, 16> kindCounts{}; ///< events per timeline::kindBit index
    std::uint64_t serial = 0; ///< unique per published version (nextTimelineSerial())
};
using TimelinePtr = std::shared_ptr<const TimelineData>;

/// A number no TimelineData had before (thread-safe).
[[nodiscard]] std::uint64_t nextTimelineSerial();

/// Settle `store` (sort lanes once, so later reads never write) and precompute.
[[nodiscard]] TimelinePtr makeTimeline(timeline::EventStore store, std::string origin);

/// The events file of the lab run directory a session was loaded from (`events.json`
/// beside its snapshots), or empty when there is none.
[[nodiscard]] std::filesystem::path findEventsFile(const model::Session& session);

/// The events of a snapshot's `vpoll_ring` object (empty when it has none). Records with
/// bad values are skipped and counted in `bad`.
[[nodiscard]] timeline::EventStore ringEvents(const model::Snapshot& snapshot,
                                              std::size_t* bad = nullptr);

/// The snapshot's capture time on the events' clock: `kernel.uptime_ns` (the timekeeper's
/// CLOCK_MONOTONIC at its last update, at most one tick behind); 0 when unknown.
[[nodiscard]] std::uint64_t captureTimeNs(const model::Snapshot& snapshot);

/// What links an event to the graph: the objects of the snapshot it names.
struct EventObjects {
    model::ObjectId vpoll;                   ///< the vpoll instance (struct vpoll_data)
    model::ObjectId waitQueue;               ///< its wait queue head
    model::ObjectId task;                    ///< the task that ran the event
    std::vector<model::ObjectId> wokenTasks; ///< WAKE: the task(s) that came back
    std::vector<model::ObjectId> files;      ///< the vpoll device files of the instance
};
/// Find them in `snapshot` (by instance number and tid; invalid ids when absent). `woken`
/// are the tids the latency matcher paired with this wake.
[[nodiscard]] EventObjects findEventObjects(const model::Snapshot& snapshot,
                                            const timeline::Event& event,
                                            const std::vector<std::int32_t>& woken);

/// What selecting an object filters the timeline to.
struct TimelineFilter {
    enum class By { None, Instance, Task } by = By::None;
    std::uint32_t value = 0; ///< instance number or tid
    [[nodiscard]] bool matches(const timeline::Event& e) const {
        return by == By::Instance ? e.instance == value && isVpoll(e)
               : by == By::Task   ? e.pid == static_cast<std::int32_t>(value)
                                  : false;
    }
    static bool isVpoll(const timeline::Event& e);
};
/// The filter for selected object `id`: a vpoll (or the file or wait queue of one) filters
/// by instance, a task by tid; By::None for anything else.
[[nodiscard]] TimelineFilter filterFor(const model::Snapshot& snapshot, model::ObjectId id);

/// The events of a timeline that a filter matches, as one lane (CPU 0) of a timeline of
/// their own, and where each came from in the full store (same order).
struct FilteredTimeline {
    TimelinePtr timeline; ///< null when cancelled
    std::shared_ptr<std::vector<timeline::EventStore::Ref>> origin;
};
/// Filter `data` by `f` (on a worker: O(n log n)); `cancelled` is asked as it goes.
[[nodiscard]] FilteredTimeline filterTimeline(const TimelineData& data, const TimelineFilter& f,
                                              const std::function<bool()>& cancelled);

} // namespace waitscope::app
