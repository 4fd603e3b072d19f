// Circular layouts: lists (rdllist, ovflist, wait queue chains) and kfifo/circ_buf rings.
#pragma once

#include <cstdint>
#include <vector>

#include <waitscope/layouts/graph.hpp>
#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts {

/// Options of the circular list layout. Lengths in points.
struct RingOptions {
    double gap = 18.0;       ///< min gap between the bounding circles of two boxes (default 18)
    double minRadius = 36.0; ///< smallest circle radius (default 36)
    NodeId head = 0;         ///< the node at 12 o'clock, marked with MarkerKind::Head (default 0)
    /// Order around the circle, clockwise from the head. Empty (default): the head, then
    /// repeatedly the first unvisited out-neighbour (edge order), then unvisited nodes by id.
    /// Invalid and repeated ids are ignored; missing nodes are appended by id.
    std::vector<NodeId> order;
};

/// Circular layout of a list: nodes in order clockwise from the head at 12 o'clock, each
/// given an arc share proportional to its size, on the smallest circle (>= minRadius) on
/// which no two boxes overlap. Edges between ring neighbours follow the circle (sampled
/// polyline); other edges are chords. `layers` holds the ring position. With `previous`,
/// the radius never shrinks (so a growing list does not jump). O(n + m).
[[nodiscard]] LayoutResult layoutRing(const Graph& graph, const RingOptions& options = {},
                                      const LayoutResult* previous = nullptr);

/// A kfifo or circ_buf: `slots` cells and the producer/consumer indices. Indices may be
/// free-running (kfifo's in/out) or already masked (circ_buf's head/tail).
struct RingBuffer {
    std::uint32_t slots = 0; ///< capacity in elements
    std::uint64_t in = 0;    ///< next cell to write (kfifo in, circ_buf head)
    std::uint64_t out = 0;   ///< next cell to read (kfifo out, circ_buf tail)
};

/// Options of the ring buffer layout. Lengths in points.
struct RingBufferOptions {
    Size slotSize{36.0, 24.0}; ///< box of one slot (default 36 x 24)
    double gap = 4.0;          ///< min gap between slot bounding circles (default 4)
    double minRadius = 36.0;   ///< smallest radius (default 36)
};

/// Number of occupied slots: in - out when that is at most `slots` (free-running indices),
/// else the masked difference (in - out) mod slots. O(1).
[[nodiscard]] std::uint32_t ringFill(const RingBuffer& ring);

/// Ring buffer layout: one node per slot, slot i centred at angle (i + 0.5) / slots of a
/// turn clockwise from 12 o'clock; an ArcKind::Track circle, an ArcKind::Filled arc from
/// the out slot over the occupied slots, and MarkerKind::In / Out markers just outside the
/// circle at the in and out slots. No edges. O(slots).
[[nodiscard]] LayoutResult layoutRingBuffer(const RingBuffer& ring,
                                            const RingBufferOptions& options = {});

} // namespace waitscope::layouts
