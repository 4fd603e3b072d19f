// The one place the app calls the layout engines (waitscope_layouts): every scene builder
// goes through these functions, which translate between the scene's world (floats, node
// indices) and the engines' Graph/Tree/LayoutResult, and carry the previous result along so
// successive snapshots of the same scene keep their nodes in place.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "scene.hpp"

namespace waitscope::app {

/// Box size in world units (points, as the engines use).
struct BoxSize {
    float w = 80, h = 28;
};

/// Result of a placement: centres per input node and one polyline per input edge.
struct Placement {
    std::vector<float> x, y;               ///< node centres, input order
    std::vector<std::vector<float>> edges; ///< x, y pairs per input edge (may be empty)
    std::vector<SceneArc> arcs;
    std::vector<SceneFrame> clusters;      ///< cluster boxes (layered), untitled
    std::vector<std::uint32_t> clusterIds; ///< the cluster id of each box
    double ms = 0;                         ///< engine time
    LayoutMemo memo;                       ///< for the next layout of this scene
};

inline constexpr std::uint32_t NoChild = 0xffffffffu;

/// A binary tree (an rbtree) drawn tidily with its in-order sequence (key order) left to
/// right: parents centred over their children, one row per depth (layoutTree, inOrder).
/// `roots` are laid out side by side; edges come out as (v, left) then (v, right) for v
/// ascending, skipping empty slots.
[[nodiscard]] Placement
placeBinaryTree(const std::vector<std::uint32_t>& left, const std::vector<std::uint32_t>& right,
                const std::vector<std::uint32_t>& roots, const std::vector<BoxSize>& sizes,
                const std::vector<std::uint64_t>& keys, const LayoutMemo& previous);

/// A directed graph in layers, top to bottom (layoutLayered): nodes with the same cluster
/// id stay together and get a box; matched keys keep their places across snapshots.
struct LayeredInput {
    std::vector<BoxSize> sizes;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    std::vector<std::uint64_t> keys;     ///< stable identity per node
    std::vector<std::uint32_t> clusters; ///< cluster per node or NoChild
};
[[nodiscard]] Placement placeLayered(const LayeredInput& input, const LayoutMemo& previous);

/// A kfifo/circ_buf (layoutRingBuffer): `slots` cells on a circle plus the track and the
/// filled arc from out to in; slot i is node i.
[[nodiscard]] Placement placeRingBuffer(std::uint32_t slots, std::uint64_t in, std::uint64_t out,
                                        BoxSize slot);

} // namespace waitscope::app
