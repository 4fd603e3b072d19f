// Tidy tree layout (Buchheim, Jünger and Leipert 2002; linear time) for rbtrees and forests.
#pragma once

#include <waitscope/layouts/graph.hpp>
#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts {

/// Options of the tidy-tree engine. Lengths in points (1/72 in).
struct TreeOptions {
    double siblingGap = 18.0; ///< min horizontal gap between boxes of siblings (default 18)
    double subtreeGap = 36.0; ///< min horizontal gap between boxes of non-siblings (default 36)
    double levelGap = 36.0;   ///< vertical gap between the boxes of two levels (default 36)
    /// Binary trees (nodes with exactly two slots): the left slot's whole subtree lies left
    /// of the node and the right slot's right of it, so the in-order sequence (an rbtree's
    /// key order) reads left to right. Parents stay centred over two children. Default off.
    bool inOrder = false;
    /// inOrder: min horizontal distance between a node's centre and the centre of any node
    /// of its left or right subtree (default 9).
    double inOrderGap = 9.0;
    /// Draw every empty child slot (NoNode) as a nil leaf marker (MarkerKind::NilLeaf) that
    /// takes room like a node of size nilSize. Default off: empty slots take no room.
    bool nilLeaves = false;
    Size nilSize{12.0, 12.0}; ///< box of a nil leaf (default 12 x 12)
};

/// Tidy layout of an ordered forest: parents centred over their first and last child,
/// children in slot order, subtrees never overlap, every node of a depth at one y (the
/// level's centre line), roots side by side. Result edges: one polyline per non-empty child
/// slot, in `children` order. `layers` holds depths. With `previous`, the whole drawing is
/// translated so that nodes matched by key move least (median offset); the tidy shape
/// itself is a function of the tree. O(n), iterative (any depth).
[[nodiscard]] LayoutResult layoutTree(const Tree& tree, const TreeOptions& options = {},
                                      const LayoutResult* previous = nullptr);

/// Tidy layout of any digraph through a spanning forest: roots are the nodes without
/// in-edges (then the lowest unreached ids), children are out-neighbours in edge order
/// (breadth first). Result edges: one per graph edge, in order; tree edges go parent to
/// child, the others are straight lines between the boxes. O(n + m).
[[nodiscard]] LayoutResult layoutTree(const Graph& graph, const TreeOptions& options = {},
                                      const LayoutResult* previous = nullptr);

/// The spanning forest layoutTree(Graph) lays out (exposed for tests and tools). O(n + m).
[[nodiscard]] Tree spanningForest(const Graph& graph);

} // namespace waitscope::layouts
