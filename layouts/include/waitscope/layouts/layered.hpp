// Layered (Sugiyama) layout for the cross-object graph: tasks -> files -> eventpolls ->
// epitems -> wait heads -> waiters, cycles (nested epoll) included.
#pragma once

#include <cstdint>

#include <waitscope/layouts/graph.hpp>
#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts {

/// How nodes get their layers.
enum class Ranking : std::uint8_t {
    NetworkSimplex, ///< min total edge length (Gansner et al. 1993), then balanced (default)
    LongestPath,    ///< sources on layer 0, each node one layer below its lowest parent
};

/// Phases of the layered engine, in run order (for LayeredOptions::stopAfter).
enum class LayeredPhase : std::uint8_t {
    Rank,     ///< cycle breaking and layering: `layers` set, positions on a grid
    Order,    ///< crossing reduction: x = order within the layer, on a grid
    Position, ///< coordinates: final positions, edges as straight centre lines
    Route,    ///< edge polylines through the dummy nodes, cluster boxes (default: all)
};

/// Options of the layered engine. Lengths in points (1/72 in). Every limit is a count, never
/// a time, so the result is the same on any machine.
struct LayeredOptions {
    double nodeGap = 18.0;  ///< min gap between two node boxes in a layer (dot nodesep, 18)
    double edgeGap = 9.0;   ///< min gap next to an edge's dummy point in a layer (default 9)
    double layerGap = 36.0; ///< vertical gap between the boxes of two layers (dot ranksep, 36)
    Ranking ranking = Ranking::NetworkSimplex; ///< default NetworkSimplex
    /// Network simplex pivots before it gives up on optimality; the ranking is then made
    /// feasible by a topological pass (default 1000000; dot's nslimit analogue).
    std::uint32_t rankIterations = 1'000'000;
    /// Crossing reduction: max sweeps (each a layer-by-layer median/barycenter pass in one
    /// direction followed by transposition), default 24 like dot's mincross.
    std::uint32_t orderSweeps = 24;
    /// Stop crossing reduction after this many sweeps without a better order (default 6).
    std::uint32_t orderQuit = 6;
    /// Adjacent-pair transposition after each sweep (default on).
    bool transpose = true;
    /// After the sweeps, sifting (Matuszewski et al. 1999): every node and dummy tries every
    /// place in its layer and keeps the best; passes while they gain more than 0.2%. Its
    /// own cap, in the same units as orderWork; 0 turns it off. Default 40 million (about
    /// 0.3 s; on the 3k-node epoll graph it removes about 8% of the crossings).
    std::uint64_t siftWork = 40'000'000;
    /// Sifting only runs on proper graphs (nodes + dummies) up to this size, so large graphs
    /// keep to the sweeps' time (default 20000; the 3k-node epoll graph has 10k, the
    /// 10k-node one 87k).
    std::uint32_t siftMaxItems = 20'000;
    /// Cap on the sweeps' work, in adjacency visits (sorting keys, transposition merges,
    /// crossing counts). Small graphs never reach it; large ones get fewer sweeps (the
    /// 10k-node epoll graph: 2 sweeps, about 0.2 s). Default 8 million.
    std::uint64_t orderWork = 8'000'000;
    /// Padding between a cluster box and the boxes inside it (default 9).
    double clusterPadding = 9.0;
    /// With a previous result: weight of staying put. Matched nodes keep their layer and
    /// their left-to-right order, and move as little as the new nodes allow (default on).
    bool stable = true;
    LayeredPhase stopAfter = LayeredPhase::Route; ///< debugging: stop early (default Route)
};

/// Layered drawing of `graph`, top to bottom: cycles broken by reversing DFS back edges;
/// layers of minimum total edge length by a primal network simplex on the dual min-cost flow
/// (trees and chains taken out first), or longest path; crossings reduced by weighted-median
/// and barycenter sweeps with transposition, then sifting (crossings counted with the
/// Barth-Jünger-Mutzel accumulator tree); x by Brandes-Köpf; edges routed through one dummy
/// point per layer they cross. Every node of a layer has the same y (the layer's centre
/// line). Nodes with the same cluster id stay contiguous in every layer they span and get one
/// box (`clusters`); cluster boxes never overlap each other or other nodes' boxes.
/// With `previous` (and options.stable): nodes matched by key keep their layers and their
/// relative order, sit at their previous x where room allows, and new nodes go next to
/// their neighbours; the drawing is then translated so matched nodes move least.
/// `stats` gets "layers", "reversed", "rank_pivots", "rank_core", "dummies", "crossings"
/// (weighted, between consecutive layers through the dummy nodes), "sweeps", "sift_passes",
/// "order_work". Time: near-linear per sweep in nodes + dummies; network simplex and
/// sifting are superlinear but capped by counts (rankIterations, orderWork, siftWork).
[[nodiscard]] LayoutResult layoutLayered(const Graph& graph, const LayeredOptions& options = {},
                                         const LayoutResult* previous = nullptr);

} // namespace waitscope::layouts
