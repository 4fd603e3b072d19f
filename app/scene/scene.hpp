// A laid-out scene: what the graph canvas draws (boxes, edges, rings, frames) in world
// coordinates, with the object each box stands for. Pure data, built on a worker from model
// queries and layouts; the painter (draw/) turns it into ImDrawList calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <waitscope/model/ids.hpp>

namespace waitscope::layouts {
struct LayoutResult;
}

namespace waitscope::app {

/// A layout engine's result kept with a scene, handed to the next layout of the same scene
/// (stability across snapshots).
using LayoutMemo = std::shared_ptr<const layouts::LayoutResult>;

/// What a node box shows; the theme maps each style to colours.
enum class NodeStyle : std::uint8_t {
    Task,
    TaskBlocked,
    Eventpoll,
    EpitemRed,
    EpitemBlack,
    Epitem, ///< an epitem outside an rbtree drawing (overview)
    File,
    Folded,
    WaitHead,
    WaitEntry,
    Pool,
    Worker,
    WorkerBusy,
    Work,
    Workqueue,
    RingSlot,
    RingSlotFull,
    Note,
    Count
};

/// Node flags (bits).
enum NodeFlag : std::uint8_t {
    NodeReady = 1,   ///< on a ready list
    NodeOvf = 2,     ///< on an ovflist
    NodePartial = 4, ///< the object was read partially
    NodeRoot = 8,    ///< root of a drawn tree
    NodeNil = 16,    ///< an rbtree nil leaf marker (no object)
};

/// What an edge means; the theme maps each style to a colour and a dash.
enum class EdgeStyle : std::uint8_t {
    Tree,    ///< rbtree parent -> child
    Holds,   ///< task -> file/eventpoll
    Waits,   ///< task -> what it sleeps on
    Watches, ///< eventpoll -> epitem
    Targets, ///< epitem -> watched file
    Nested,  ///< epitem -> eventpoll
    Ready,   ///< ready list order (rdllist)
    Ovf,     ///< ovflist order
    Chain,   ///< wait queue head -> entry -> entry
    Owner,   ///< wait entry -> its owner
    Work,    ///< pools, workers, works
    Count
};

/// One box: centre and size in world units (points), the object it stands for.
struct SceneNode {
    model::ObjectId object; ///< invalid for notes and nil leaves
    float x = 0, y = 0;     ///< centre
    float w = 0, h = 0;
    NodeStyle style = NodeStyle::Note;
    std::uint8_t flags = 0;
    std::int32_t badge = -1; ///< small number drawn in a corner (ready position), -1 none
    std::string label;       ///< first line
    std::string detail;      ///< second line (drawn when zoomed in)
};

/// One edge: a polyline in world units.
struct SceneEdge {
    std::uint32_t from = 0xffffffffu, to = 0xffffffffu; ///< node indices (or none)
    EdgeStyle style = EdgeStyle::Tree;
    bool arrow = true;
    std::string label;
    std::uint32_t pointStart = 0, pointCount = 0; ///< in Scene::points
};

/// A circle or arc (rings): angles in radians from 12 o'clock, clockwise.
struct SceneArc {
    float cx = 0, cy = 0, r = 0;
    float start = 0, sweep = 0;
    bool filled = false; ///< the occupied part of a ring buffer
};

/// A titled frame around a part of the scene (one eventpoll, "ep->wq", a pool).
struct SceneFrame {
    float minX = 0, minY = 0, maxX = 0, maxY = 0;
    std::string title;
    model::ObjectId object;
};

/// What a scene shows.
enum class SceneKind : std::uint8_t { Empty, Overview, Eventpoll, WaitQueue, Workqueues, Ring };

/// Counts a scene reports (for tests, the log and `report` in scripts).
struct SceneStats {
    std::uint32_t rbtreeNodes = 0; ///< epitems drawn as rbtree nodes
    std::uint32_t readyItems = 0;
    std::uint32_t waitEntries = 0;
    double queryMs = 0, layoutMs = 0, buildMs = 0;
};

/// Everything one canvas draws.
struct Scene {
    SceneKind kind = SceneKind::Empty;
    model::ObjectId focus; ///< the eventpoll / head / ring shown (invalid for overviews)
    std::string title;
    std::vector<SceneNode> nodes;
    std::vector<SceneEdge> edges;
    std::vector<float> points; ///< x, y pairs of edge polylines
    std::vector<SceneArc> arcs;
    std::vector<SceneFrame> frames;
    float minX = 0, minY = 0, maxX = 0, maxY = 0; ///< bounds of everything
    SceneStats stats;
    std::vector<std::string> notes; ///< problems found (partial trees, ...)
    LayoutMemo layout;              ///< the main layout (the tree, the layered graph)

    /// Node index of `id` (first box showing it), or -1. O(n).
    [[nodiscard]] std::int64_t findNode(model::ObjectId id) const;
    /// Recompute minX..maxY from nodes, points, arcs and frames. O(size).
    void computeBounds();
    /// Add a straight edge between two nodes' centres (clipped at their boxes).
    std::uint32_t addEdge(std::uint32_t from, std::uint32_t to, EdgeStyle style,
                          std::string label = {}, bool arrow = true);
    /// Add an edge along an engine's polyline, its ends moved onto the two boxes.
    std::uint32_t addRoutedEdge(std::uint32_t from, std::uint32_t to, EdgeStyle style,
                                std::vector<float> xy, std::string label = {});
    /// Add an edge along a polyline (x, y pairs).
    std::uint32_t addPolyline(std::uint32_t from, std::uint32_t to, EdgeStyle style,
                              const std::vector<float>& xy, std::string label = {},
                              bool arrow = true);
};

using ScenePtr = std::shared_ptr<const Scene>;

} // namespace waitscope::app
