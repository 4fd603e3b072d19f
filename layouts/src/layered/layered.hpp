// Internal interfaces between the phases of the layered engine (not installed).
#pragma once

#include <cstdint>
#include <vector>

#include <waitscope/layouts/graph.hpp>
#include <waitscope/layouts/layered.hpp>
#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts::layered {

/// An edge of the layering graph: acyclic, merged (weight = number of input edges).
struct LEdge {
    NodeId tail = NoNode;
    NodeId head = NoNode;
    std::uint32_t weight = 1;
};

// cycle_break.cpp

/// Reversed flag per edge so that the graph becomes acyclic: the back edges of an iterative
/// DFS from the sources (lowest id first), then from the lowest unvisited ids. Self loops
/// and out-of-range edges are never reversed. O(n + m).
std::vector<std::uint8_t> breakCycles(NodeId n, const std::vector<Edge>& edges);

// rank.cpp

struct RankStats {
    std::uint32_t pivots = 0;    ///< network simplex pivots
    std::uint32_t coreNodes = 0; ///< nodes left after taking out trees and chains
};

/// Layers of an acyclic graph: sources at 0, each node one below its lowest parent. O(n + m).
std::vector<std::int32_t> rankLongestPath(NodeId n, const std::vector<LEdge>& edges);

/// Layers minimising sum(weight x length) with every length >= 1 (network simplex, per
/// connected component), then balanced: nodes with equal in and out weight move to the
/// least populated feasible layer. Min layer 0 per component.
std::vector<std::int32_t> rankNetworkSimplex(NodeId n, const std::vector<LEdge>& edges,
                                             std::uint32_t maxPivots, RankStats& stats);

/// The proper layered graph: items [0, realCount) are the input nodes, then dummy nodes
/// (one per layer an edge crosses) and cluster fillers. Every adjacency joins two
/// consecutive layers.
struct Proper {
    NodeId realCount = 0;
    std::int32_t layerCount = 0;
    std::vector<std::int32_t> layer;               ///< per item
    std::vector<double> width, height;             ///< per item (dummies: 0 x 0)
    std::vector<std::uint32_t> cluster;            ///< per item, NoCluster for none
    std::vector<std::uint8_t> filler;              ///< per item: a cluster filler (no edges)
    std::vector<std::uint32_t> downStart, upStart; ///< CSR offsets per item
    std::vector<NodeId> down, up;                  ///< neighbours one layer below / above
    std::vector<std::uint32_t> downW, upW;         ///< their weights
    std::vector<std::uint32_t> chainStart;         ///< per LEdge: offsets into chain
    std::vector<NodeId> chain;                     ///< items from tail to head

    [[nodiscard]] NodeId size() const { return static_cast<NodeId>(layer.size()); }
    [[nodiscard]] bool isReal(NodeId v) const { return v < realCount; }
};

/// Left-to-right order of every layer.
struct Ordering {
    std::vector<std::uint32_t> layerStart; ///< layerCount+1 offsets into order
    std::vector<NodeId> order;             ///< items, layer by layer
    std::vector<std::uint32_t> pos;        ///< per item: index within its layer
};

// crossings.cpp, order.cpp

struct OrderStats {
    std::uint64_t crossings = 0; ///< weighted crossings of the final order
    std::uint32_t sweeps = 0;
    std::uint64_t work = 0; ///< adjacency visits spent (compare LayeredOptions::orderWork)
    std::uint32_t siftPasses = 0;
};

/// Weighted crossings of `ord` between every pair of consecutive layers (Barth, Jünger,
/// Mutzel 2004 accumulator tree). O(e log n) for e adjacencies.
std::uint64_t countCrossings(const Proper& g, const Ordering& ord);

/// Crossing reduction. `initialKey` (empty or one per item) seeds each layer's order
/// (ascending, ties by id); `frozen` (empty or one per item) marks items whose relative
/// order must not change (stability). Clusters stay contiguous with a consistent order.
Ordering orderLayers(const Proper& g, const LayeredOptions& o,
                     const std::vector<double>& initialKey, const std::vector<std::uint8_t>& frozen,
                     OrderStats& stats);

// position.cpp

/// x of every item: Brandes-Köpf (four alignments, balanced). O(n + e).
std::vector<double> brandesKoepf(const Proper& g, const Ordering& ord, const LayeredOptions& o);

/// Min distance between the centres of two items adjacent in a layer.
double separation(const Proper& g, NodeId a, NodeId b, const LayeredOptions& o);

/// Per layer, the x closest to `desired` (weighted least squares) that keeps the order and
/// the separations (pool adjacent violators on x - cumulative separation). O(n).
std::vector<double> closestFeasible(const Proper& g, const Ordering& ord,
                                    const std::vector<double>& desired,
                                    const std::vector<double>& weight, const LayeredOptions& o);

/// Cluster boxes: moves items right where needed so that every cluster's members sit
/// inside one column [left, right] per cluster that no other item of its layers enters.
/// Returns the columns (left, right) per cluster id in `columns` (NaN for unused ids).
void separateClusters(const Proper& g, const Ordering& ord, const LayeredOptions& o,
                      std::vector<double>& x, std::vector<std::pair<double, double>>& columns);

// pipeline.cpp

/// The layering graph: input edges turned by `reversed`, self loops dropped, parallel edges
/// merged (weight = count); ofEdge maps each input edge to its LEdge (or NoEdge).
struct LayeringGraph {
    std::vector<LEdge> edges;
    std::vector<std::uint32_t> ofEdge;
    std::vector<std::uint8_t> reversed;
};

inline constexpr std::uint32_t NoEdge = 0xffffffffu;

/// The layering graph of `g` with the edges flagged in `reversed` turned around. O(m log m).
LayeringGraph layeringGraph(const Graph& g, std::vector<std::uint8_t> reversed);

// stable.cpp: layouts that start from a previous result

/// Index of each node of `g` in `previous` (matched by key), or NoNode. O(n log n).
std::vector<NodeId> matchPrevious(const Graph& g, const LayoutResult& previous);

/// "No layer yet" in the rank vectors of the stable layouts.
inline constexpr std::int32_t UnknownLayer = -(1 << 30);

/// Layers from `rank` (UnknownLayer for new nodes): known nodes stay unless a parent pushes
/// them down; new nodes go one below their lowest parent, or (without parents) one above
/// their highest child. Not normalised. O(n + m).
std::vector<std::int32_t> pushDown(NodeId n, const std::vector<LEdge>& edges,
                                   std::vector<std::int32_t> rank);

/// Stable layers and edge directions (updates `reversed`); see stable.cpp.
std::vector<std::int32_t> stableLayering(const Graph& g, const std::vector<NodeId>& match,
                                         const LayoutResult& previous,
                                         const std::vector<std::int32_t>& fallback,
                                         std::vector<std::uint8_t>& reversed);

/// Previous x of each dummy whose edge existed before with the same span; NaN elsewhere.
std::vector<double> previousDummyX(const Graph& g, const LayeringGraph& lg, const Proper& p,
                                   const LayoutResult& previous);

/// Initial order keys for a stable layout (previous x where known).
std::vector<double> stableKeys(const Proper& p, const std::vector<NodeId>& match,
                               const LayoutResult& previous, const std::vector<double>& dummyX);

/// x closest to the previous layout that the new order and separations allow.
std::vector<double> stableX(const Proper& p, const Ordering& ord, const LayeredOptions& o,
                            const std::vector<NodeId>& match, const LayoutResult& previous,
                            const std::vector<double>& dummyX);

/// Translates `r` so that the nodes matched in `previous` move least (median offsets).
void anchor(LayoutResult& r, const Graph& g, const std::vector<NodeId>& match,
            const LayoutResult& previous);

} // namespace waitscope::layouts::layered
