// Output of every layout engine: node centres, edge polylines, boxes, bounds, phase timings.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <waitscope/layouts/graph.hpp>

namespace waitscope::layouts {

/// A point in layout space: points (1/72 in), x to the right, y downwards.
struct Point {
    double x = 0.0;
    double y = 0.0;
};

/// An axis-aligned rectangle in layout space (min <= max when not empty).
struct Rect {
    double minX = 0.0;
    double minY = 0.0;
    double maxX = 0.0;
    double maxY = 0.0;

    [[nodiscard]] double width() const { return maxX - minX; }
    [[nodiscard]] double height() const { return maxY - minY; }
};

/// One named phase of an engine and its wall time. Timings are the only part of a result
/// that differs between runs; writers leave them out unless asked.
struct PhaseTiming {
    const char* name = ""; ///< static phase name, e.g. "rank", "order"
    double ms = 0.0;       ///< wall milliseconds
};

/// A named figure an engine reports (crossings, dummy nodes, ...); deterministic.
struct LayoutStat {
    const char* name = ""; ///< static name, e.g. "crossings"
    double value = 0.0;
};

/// The box drawn around one cluster's nodes (e.g. one eventpoll instance, one process).
struct ClusterBox {
    std::uint32_t cluster = NoCluster; ///< the cluster id from Graph::clusters
    Rect box;
};

/// What an annotation means; writers draw each kind differently.
enum class MarkerKind : std::uint8_t {
    NilLeaf, ///< a red-black tree's nil leaf under `owner` (drawn as a small box + link)
    Head,    ///< the list head of a circular list (`owner` is the head node)
    In,      ///< a ring buffer's in/head index (producer side), pointing at slot `owner`
    Out,     ///< a ring buffer's out/tail index (consumer side), pointing at slot `owner`
};

/// A positioned annotation that is not an input node.
struct Marker {
    MarkerKind kind = MarkerKind::Head;
    NodeId owner = NoNode; ///< the node it belongs to
    Point at;              ///< centre
    Size size{0.0, 0.0};   ///< box, points (0 for a point marker)
};

/// What an arc shows.
enum class ArcKind : std::uint8_t {
    Track,  ///< the whole circle a ring or list is laid out on
    Filled, ///< a ring buffer's occupied part, from out to in
};

/// A circular arc: angles in radians, 0 at 12 o'clock, growing clockwise (on screen).
struct Arc {
    ArcKind kind = ArcKind::Track;
    Point centre;
    double radius = 0.0;     ///< points
    double startAngle = 0.0; ///< radians
    double sweep = 0.0;      ///< radians, >= 0, clockwise
};

/// A layout: everything a writer or a view needs to draw the graph.
/// Deterministic: the same input gives the same result, byte for byte, except `timings`.
struct LayoutResult {
    std::vector<Point> positions;         ///< node centres, one per input node
    std::vector<Size> sizes;              ///< node boxes as laid out, one per input node
    std::vector<std::uint64_t> keys;      ///< stable keys, one per input node (for the next layout)
    std::vector<std::int32_t> layers;     ///< layer (layered) or depth (tree) per node; -1 if none
    std::vector<Edge> edges;              ///< tail and head of each polyline (for matching)
    std::vector<std::uint32_t> edgeStart; ///< edgeCount()+1 offsets into edgePoints
    std::vector<Point> edgePoints;        ///< polylines, tail to head, one per input edge
    std::vector<ClusterBox> clusters;     ///< cluster boxes, by ascending cluster id
    std::vector<Marker> markers;          ///< annotations (nil leaves, heads, ring indices)
    std::vector<Arc> arcs;                ///< circles and arcs (rings)
    Rect bounds;                          ///< everything above, including node boxes
    std::vector<PhaseTiming> timings;     ///< per-phase wall times, in run order
    std::vector<LayoutStat> stats;        ///< engine figures (see each engine), in order

    /// Number of edge polylines. O(1).
    [[nodiscard]] std::size_t edgeCount() const {
        return edgeStart.empty() ? 0 : edgeStart.size() - 1;
    }
    /// Polyline of edge `e` (tail end first; may be empty for an edge not drawn). O(1).
    [[nodiscard]] std::span<const Point> edge(std::size_t e) const {
        return {edgePoints.data() + edgeStart[e], edgePoints.data() + edgeStart[e + 1]};
    }
    /// Total wall time of all phases, ms. O(phases).
    [[nodiscard]] double totalMs() const;
    /// The stat called `name`, or -1 when the engine did not report it. O(stats).
    [[nodiscard]] double stat(std::string_view name) const;
};

/// Bounds of every node box, marker, cluster box, arc and edge point of `r`. O(size of r).
[[nodiscard]] Rect computeBounds(const LayoutResult& r);

/// Stability metric: among the nodes of `after` that also exist in `before` (matched by
/// key), the fraction whose centre moved by more than `threshold` points; 0 when none are
/// shared. O(n log n).
[[nodiscard]] double movedFraction(const LayoutResult& before, const LayoutResult& after,
                                   double threshold);

} // namespace waitscope::layouts
