// Scene builders: model query -> layout (layout_adapter) -> Scene. Pure; run on workers.
#pragma once

#include <waitscope/model/query.hpp>
#include <waitscope/model/snapshot.hpp>

#include "scene.hpp"

namespace waitscope::app {

/// Which scene to build.
struct SceneRequest {
    SceneKind kind = SceneKind::Overview;
    model::ObjectId focus; ///< eventpoll (Eventpoll), wait_queue_head (WaitQueue), kfifo or
                           ///< circ_buf (Ring)
    model::OverviewOptions overview;
    /// Eventpoll scenes with at most this many items also show each item's watched file and
    /// the other waiters on its wait queue (default 64).
    std::uint32_t detailAbove = 64;
    /// The scene shown before (same kind and focus, an earlier snapshot): its layout seeds
    /// this one so unchanged nodes stay where they were. Not part of the request's identity.
    ScenePtr previous;

    friend bool operator==(const SceneRequest& a, const SceneRequest& b) {
        return a.kind == b.kind && a.focus == b.focus &&
               a.overview.foldAbove == b.overview.foldAbove &&
               a.overview.kernelThreads == b.overview.kernelThreads &&
               a.detailAbove == b.detailAbove;
    }
};

/// The scene kind that expands `id` (eventpoll -> Eventpoll, wait_queue_head or an object
/// with one -> WaitQueue, kfifo/circ_buf -> Ring, workqueue things -> Workqueues), or
/// Empty when there is nothing to expand.
[[nodiscard]] SceneRequest expandRequest(const model::Snapshot& snapshot, model::ObjectId id);

/// Build the requested scene. O(objects shown) plus the layout.
[[nodiscard]] ScenePtr buildScene(const model::Snapshot& snapshot, const SceneRequest& request);

// The builders behind buildScene (one file each).
[[nodiscard]] Scene buildOverviewScene(const model::Snapshot& s, const SceneRequest& r);
[[nodiscard]] Scene buildEventpollScene(const model::Snapshot& s, const SceneRequest& r);
[[nodiscard]] Scene buildWaitQueueScene(const model::Snapshot& s, const SceneRequest& r);
[[nodiscard]] Scene buildWorkqueueScene(const model::Snapshot& s, const SceneRequest& r);
[[nodiscard]] Scene buildRingScene(const model::Snapshot& s, const SceneRequest& r);

/// Width in world units of a label in the canvas' base font (an estimate good enough to
/// size boxes: the painter clips text to its box).
[[nodiscard]] float labelWidth(std::string_view text);

/// A node box sized for its two lines of text.
[[nodiscard]] SceneNode makeNode(model::ObjectId id, NodeStyle style, std::string label,
                                 std::string detail = {});

} // namespace waitscope::app
