// The one place the app calls a layout engine: every scene builder goes through these four
// functions, so the engines behind them can be swapped without touching the builders.
#pragma once

#include <cstdint>
#include <vector>

#include "scene.hpp"

namespace waitscope::app {

/// Box size in world units.
struct BoxSize {
    float w = 80, h = 28;
};

/// Result of a placement: centres per input node and one polyline per input edge.
struct Placement {
    std::vector<float> x, y;               ///< node centres, input order
    std::vector<std::vector<float>> edges; ///< x, y pairs per input edge (may be empty)
    std::vector<SceneArc> arcs;
    double ms = 0; ///< engine time
};

inline constexpr std::uint32_t NoChild = 0xffffffffu;

/// A binary tree (an rbtree) drawn tidily with its in-order sequence left to right: parents
/// centred over their children, one row per depth. `roots` are laid out side by side.
[[nodiscard]] Placement placeBinaryTree(const std::vector<std::uint32_t>& left,
                                        const std::vector<std::uint32_t>& right,
                                        const std::vector<std::uint32_t>& roots,
                                        const std::vector<BoxSize>& sizes);

/// A directed graph drawn in layers, top to bottom; `previous` (keys -> positions from the
/// last snapshot) keeps nodes that did not change in place.
struct LayeredInput {
    std::vector<BoxSize> sizes;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    std::vector<std::uint64_t> keys;     ///< stable identity per node
    std::vector<std::uint32_t> clusters; ///< cluster per node or NoChild
};
[[nodiscard]] Placement placeLayered(const LayeredInput& input);

/// Nodes on a circle in the given order, clockwise from 12 o'clock.
[[nodiscard]] Placement placeRing(const std::vector<BoxSize>& sizes);

/// A kfifo/circ_buf: `slots` cells on a circle plus the track and the filled arc from out
/// to in; slot i is node i.
[[nodiscard]] Placement placeRingBuffer(std::uint32_t slots, std::uint64_t in, std::uint64_t out,
                                        bool freeRunning, BoxSize slot);

} // namespace waitscope::app
