// Input graphs of the layout engines: dense u32 node ids, node sizes, edges, stable keys.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace waitscope::layouts {

/// Dense node index, 0..nodeCount()-1.
using NodeId = std::uint32_t;
/// "No node": an empty child slot, a missing parent.
inline constexpr NodeId NoNode = 0xffffffffu;
/// "No cluster": a node outside every cluster box.
inline constexpr std::uint32_t NoCluster = 0xffffffffu;

/// Width and height of a node's box, in points (1/72 inch, as Graphviz).
struct Size {
    double width = 54.0;  ///< points; default 0.75 in, dot's default node width
    double height = 36.0; ///< points; default 0.5 in, dot's default node height
};

/// A directed edge from -> to (self loops and parallel edges are allowed).
struct Edge {
    NodeId from = NoNode;
    NodeId to = NoNode;
};

/// A directed graph with dense node ids; the layered and ring engines lay it out.
/// `sizes` defines the node count; `keys` and `clusters` are empty or one per node.
struct Graph {
    std::vector<Size> sizes;             ///< one per node
    std::vector<Edge> edges;             ///< in input order; results keep this order
    std::vector<std::uint64_t> keys;     ///< stable identity across snapshots; empty: index
    std::vector<std::uint32_t> clusters; ///< cluster id per node or NoCluster; empty: none

    /// Number of nodes. O(1).
    [[nodiscard]] NodeId nodeCount() const { return static_cast<NodeId>(sizes.size()); }
    /// Append a node and return its id. Amortised O(1).
    NodeId addNode(Size size = {}) {
        sizes.push_back(size);
        return nodeCount() - 1;
    }
    /// Append an edge. Amortised O(1).
    void addEdge(NodeId from, NodeId to) { edges.push_back({from, to}); }
    /// Stable key of node `v`: keys[v], or v when there are no keys. O(1).
    [[nodiscard]] std::uint64_t keyOf(NodeId v) const { return keys.empty() ? v : keys[v]; }
    /// Cluster of node `v`, or NoCluster. O(1).
    [[nodiscard]] std::uint32_t clusterOf(NodeId v) const {
        return clusters.empty() ? NoCluster : clusters[v];
    }
};

/// An ordered rooted forest for the tidy-tree engine, children in CSR form.
/// children[childStart[v] .. childStart[v+1]) are v's child slots, left to right; a slot
/// may be NoNode (an empty slot, e.g. a red-black node's missing left child).
struct Tree {
    std::vector<Size> sizes;               ///< one per node
    std::vector<std::uint32_t> childStart; ///< nodeCount()+1 offsets into children
    std::vector<NodeId> children;          ///< child slots, NoNode for empty ones
    std::vector<NodeId> roots;             ///< forest roots, laid out left to right
    std::vector<std::uint64_t> keys;       ///< stable identity; empty: index

    /// Number of nodes. O(1).
    [[nodiscard]] NodeId nodeCount() const { return static_cast<NodeId>(sizes.size()); }
    /// Stable key of node `v`. O(1).
    [[nodiscard]] std::uint64_t keyOf(NodeId v) const { return keys.empty() ? v : keys[v]; }
};

/// A tree from a parent array (parent[root] == NoNode); children keep index order. O(n).
[[nodiscard]] Tree treeFromParents(const std::vector<NodeId>& parent, Size size = {});

/// A binary tree from left/right child arrays (NoNode = empty slot): every node gets two
/// slots, so in-order layout and nil leaves work. `root` may be NoNode (empty tree). O(n).
[[nodiscard]] Tree binaryTree(const std::vector<NodeId>& left, const std::vector<NodeId>& right,
                              NodeId root, Size size = {});

/// 64-bit FNV-1a of a name: a stable key for nodes identified by strings. O(length).
[[nodiscard]] std::uint64_t stableKey(std::string_view name);

} // namespace waitscope::layouts
