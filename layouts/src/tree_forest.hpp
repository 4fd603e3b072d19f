// The forest the tidy tree's walks run on: the input tree numbered breadth first.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include <waitscope/layouts/tree.hpp>

namespace waitscope::layouts::detail {

/// The forest the walks run on, numbered breadth first from a virtual super-root (id 0):
/// the children of v are the ids [start[v], start[v+1]) and every level is one id range,
/// left to right, so both walks sweep memory in order (a 1M-node tree with scattered ids
/// would otherwise spend its time in cache misses). Ids hold the tree's nodes (orig < n),
/// nil leaves (orig == NoNode, owner in nils) and the super-root.
struct Forest {
    std::vector<std::uint32_t> start;            // id -> first child id; size()+1 entries
    std::vector<NodeId> parent;                  // id -> parent id (NoNode for the super-root)
    std::vector<NodeId> orig;                    // id -> input node, or NoNode
    std::vector<double> width;                   // id -> box width
    std::vector<double> levelHeight;             // level -> tallest box
    std::vector<std::int8_t> loneSlot;           // inOrder: binary node with one child: its slot
    std::vector<std::uint8_t> binaryFull;        // inOrder: binary node with both slots filled
    std::vector<std::uint32_t> levelStart;       // level d = ids [levelStart[d], levelStart[d+1])
    std::vector<std::pair<NodeId, NodeId>> nils; // (id, owner input node) per nil leaf
    std::vector<NodeId> treeParent;              // input node -> parent input node or NoNode
    bool plain = false; // input was a plain forest: treeParent is empty, every slot's own
    NodeId n = 0;       // input nodes

    [[nodiscard]] NodeId count() const { return static_cast<NodeId>(parent.size()); }
    [[nodiscard]] std::uint32_t childCount(NodeId v) const { return start[v + 1] - start[v]; }
};

/// Number `t` breadth first (nil leaves for empty slots when `o.nilLeaves`). A plain forest
/// (every node in at most one slot, never a root too) is numbered in one pass without claims;
/// anything else (shared children, cycles, unreachable nodes, ranges out of bounds) still
/// gives every node exactly one place: the first parent to reach a node claims it, and nodes
/// the roots do not reach become roots. O(n + slots).
Forest buildForest(const Tree& t, const TreeOptions& o);

} // namespace waitscope::layouts::detail
