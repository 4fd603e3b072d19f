// The layered engine's pipeline: layering graph, dummies and cluster fillers, then the phases
// in order (cycle breaking, ranking, ordering, coordinates, routing) and cluster boxes.
// [SECTION] layering graph (merged, acyclic)
// [SECTION] proper layered graph (dummies, cluster fillers)
// [SECTION] layoutLayered
#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "../common.hpp"
#include "layered.hpp"

namespace waitscope::layouts {

namespace layered {

// [SECTION] layering graph (merged, acyclic)

LayeringGraph layeringGraph(const Graph& g, std::vector<std::uint8_t> reversed) {
    NodeId n = g.nodeCount();
    LayeringGraph lg;
    lg.reversed = std::move(reversed);
    lg.ofEdge.assign(g.edges.size(), NoEdge);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
    keyed.reserve(g.edges.size());
    for (std::uint32_t i = 0; i < g.edges.size(); ++i) {
        const Edge& e = g.edges[i];
        if (e.from >= n || e.to >= n || e.from == e.to)
            continue;
        NodeId t = lg.reversed[i] ? e.to : e.from, h = lg.reversed[i] ? e.from : e.to;
        keyed.push_back({(static_cast<std::uint64_t>(t) << 32) | h, i});
    }
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t k = 0; k < keyed.size(); ++k) {
        if (k == 0 || keyed[k].first != keyed[k - 1].first)
            lg.edges.push_back({static_cast<NodeId>(keyed[k].first >> 32),
                                static_cast<NodeId>(keyed[k].first & 0xffffffffu), 0});
        ++lg.edges.back().weight;
        lg.ofEdge[keyed[k].second] = static_cast<std::uint32_t>(lg.edges.size() - 1);
    }
    return lg;
}

} // namespace layered

namespace {

using namespace layered;

// [SECTION] proper layered graph (dummies, cluster fillers)

Proper buildProper(const Graph& g, const std::vector<LEdge>& edges,
                   const std::vector<std::int32_t>& rank) {
    Proper p;
    NodeId n = g.nodeCount();
    p.realCount = n;
    p.layer = rank;
    for (NodeId v = 0; v < n; ++v) {
        p.width.push_back(g.sizes[v].width);
        p.height.push_back(g.sizes[v].height);
        p.cluster.push_back(g.clusterOf(v));
    }
    p.filler.assign(n, 0);
    struct Adj {
        NodeId a, b;
        std::uint32_t w;
    };
    std::vector<Adj> adj;
    p.chainStart.push_back(0);
    for (const LEdge& e : edges) {
        std::uint32_t c =
            g.clusterOf(e.tail) == g.clusterOf(e.head) ? g.clusterOf(e.tail) : NoCluster;
        NodeId prev = e.tail;
        p.chain.push_back(e.tail);
        for (std::int32_t l = rank[e.tail] + 1; l < rank[e.head]; ++l) {
            NodeId d = static_cast<NodeId>(p.layer.size());
            p.layer.push_back(l);
            p.width.push_back(0.0);
            p.height.push_back(0.0);
            p.cluster.push_back(c);
            p.filler.push_back(0);
            adj.push_back({prev, d, e.weight});
            p.chain.push_back(d);
            prev = d;
        }
        adj.push_back({prev, e.head, e.weight});
        p.chain.push_back(e.head);
        p.chainStart.push_back(static_cast<std::uint32_t>(p.chain.size()));
    }
    std::int32_t layers = 0;
    for (std::int32_t l : p.layer)
        layers = std::max(layers, l + 1);
    // Cluster fillers: a cluster is present in every layer between its first and last.
    std::vector<std::pair<std::uint32_t, std::int32_t>> present;
    for (NodeId v = 0; v < p.size(); ++v)
        if (p.cluster[v] != NoCluster)
            present.push_back({p.cluster[v], p.layer[v]});
    std::sort(present.begin(), present.end());
    present.erase(std::unique(present.begin(), present.end()), present.end());
    for (std::size_t k = 1; k < present.size(); ++k) {
        if (present[k].first != present[k - 1].first)
            continue;
        for (std::int32_t l = present[k - 1].second + 1; l < present[k].second; ++l) {
            p.layer.push_back(l);
            p.width.push_back(0.0);
            p.height.push_back(0.0);
            p.cluster.push_back(present[k].first);
            p.filler.push_back(1);
        }
    }
    p.layerCount = layers;
    NodeId total = p.size();
    p.downStart.assign(total + 1, 0);
    p.upStart.assign(total + 1, 0);
    for (const Adj& a : adj) {
        ++p.downStart[a.a + 1];
        ++p.upStart[a.b + 1];
    }
    for (NodeId v = 0; v < total; ++v) {
        p.downStart[v + 1] += p.downStart[v];
        p.upStart[v + 1] += p.upStart[v];
    }
    p.down.resize(adj.size());
    p.up.resize(adj.size());
    p.downW.resize(adj.size());
    p.upW.resize(adj.size());
    std::vector<std::uint32_t> fd(p.downStart.begin(), p.downStart.end() - 1),
        fu(p.upStart.begin(), p.upStart.end() - 1);
    for (const Adj& a : adj) {
        p.downW[fd[a.a]] = a.w;
        p.down[fd[a.a]++] = a.b;
        p.upW[fu[a.b]] = a.w;
        p.up[fu[a.b]++] = a.a;
    }
    return p;
}

/// Nodes on a grid (for stopAfter Rank / Order): column = `column[v]`, row = layer.
void gridPositions(LayoutResult& r, const Graph& g, const std::vector<std::int32_t>& rank,
                   const std::vector<std::uint32_t>& column, const LayeredOptions& o) {
    for (NodeId v = 0; v < g.nodeCount(); ++v) {
        r.positions[v] = {column[v] * (54.0 + o.nodeGap), rank[v] * (36.0 + o.layerGap)};
        r.layers[v] = rank[v];
    }
    for (const Edge& e : g.edges) {
        if (e.from < g.nodeCount() && e.to < g.nodeCount())
            detail::addStraightEdge(r, e.from, e.to);
        else
            detail::endEdge(r, e.from, e.to);
    }
    r.bounds = computeBounds(r);
}

} // namespace

// [SECTION] layoutLayered

LayoutResult layoutLayered(const Graph& g, const LayeredOptions& o, const LayoutResult* previous) {
    LayoutResult r;
    detail::PhaseClock clock(r.timings);
    detail::initResult(r, g, g.sizes);
    NodeId n = g.nodeCount();
    bool stable = previous != nullptr && o.stable;
    std::vector<NodeId> match;
    if (previous)
        match = matchPrevious(g, *previous);

    LayeringGraph lg = layeringGraph(g, layered::breakCycles(n, g.edges));
    clock.lap("cycles");

    layered::RankStats rankStats;
    std::vector<std::int32_t> rank;
    if (stable) {
        std::vector<std::uint8_t> reversed = lg.reversed;
        rank = stableLayering(g, match, *previous, layered::rankLongestPath(n, lg.edges), reversed);
        lg = layeringGraph(g, std::move(reversed));
        rank = pushDown(n, lg.edges, std::move(rank));
        std::int32_t lo = *std::min_element(rank.begin(), rank.end());
        for (std::int32_t& layer : rank)
            layer -= lo;
    } else if (o.ranking == Ranking::LongestPath)
        rank = layered::rankLongestPath(n, lg.edges);
    else
        rank = layered::rankNetworkSimplex(n, lg.edges, o.rankIterations, rankStats);
    clock.lap("rank");
    std::size_t reversedCount = 0;
    for (std::size_t i = 0; i < g.edges.size(); ++i)
        reversedCount += lg.reversed[i];
    std::int32_t layerCount = 0;
    for (std::int32_t l : rank)
        layerCount = std::max(layerCount, l + 1);
    r.stats.push_back({"layers", static_cast<double>(layerCount)});
    r.stats.push_back({"reversed", static_cast<double>(reversedCount)});
    r.stats.push_back({"rank_pivots", static_cast<double>(rankStats.pivots)});
    r.stats.push_back({"rank_core", static_cast<double>(rankStats.coreNodes)});
    if (o.stopAfter == LayeredPhase::Rank) {
        std::vector<std::uint32_t> column(n), used(layerCount, 0);
        for (NodeId v = 0; v < n; ++v)
            column[v] = used[rank[v]]++;
        gridPositions(r, g, rank, column, o);
        return r;
    }

    Proper p = buildProper(g, lg.edges, rank);
    r.stats.push_back({"dummies", static_cast<double>(p.size() - n)});
    clock.lap("dummies");

    std::vector<double> initialKey, dummyX;
    std::vector<std::uint8_t> frozen;
    if (stable) {
        dummyX = previousDummyX(g, lg, p, *previous);
        initialKey = stableKeys(p, match, *previous, dummyX);
        frozen.assign(p.size(), 0);
        for (NodeId v = 0; v < p.size(); ++v)
            frozen[v] = v < n ? match[v] != NoNode : !std::isnan(dummyX[v]);
    }
    layered::OrderStats orderStats;
    Ordering ord = layered::orderLayers(p, o, initialKey, frozen, orderStats);
    r.stats.push_back({"crossings", static_cast<double>(orderStats.crossings)});
    r.stats.push_back({"sweeps", static_cast<double>(orderStats.sweeps)});
    r.stats.push_back({"sift_passes", static_cast<double>(orderStats.siftPasses)});
    r.stats.push_back({"order_work", static_cast<double>(orderStats.work)});
    clock.lap("order");
    if (o.stopAfter == LayeredPhase::Order) {
        std::vector<std::uint32_t> column(ord.pos.begin(), ord.pos.begin() + n);
        gridPositions(r, g, rank, column, o);
        return r;
    }

    std::vector<double> x =
        stable ? stableX(p, ord, o, match, *previous, dummyX) : layered::brandesKoepf(p, ord, o);
    std::vector<std::pair<double, double>> columns;
    layered::separateClusters(p, ord, o, x, columns);
    double minX = 0.0;
    for (NodeId v = 0; v < p.size(); ++v)
        minX = std::min(minX, x[v] - p.width[v] / 2.0);
    for (const auto& [lo, hi] : columns)
        if (!std::isnan(lo))
            minX = std::min(minX, lo);
    if (!stable) // start the drawing at x = 0
        for (NodeId v = 0; v < p.size(); ++v)
            x[v] -= minX;
    std::vector<double> layerHeight(layerCount, 0.0), layerY(layerCount, 0.0);
    for (NodeId v = 0; v < n; ++v)
        layerHeight[rank[v]] = std::max(layerHeight[rank[v]], g.sizes[v].height);
    for (std::int32_t l = 0; l < layerCount; ++l)
        layerY[l] =
            l == 0 ? layerHeight[0] / 2.0
                   : layerY[l - 1] + layerHeight[l - 1] / 2.0 + o.layerGap + layerHeight[l] / 2.0;
    for (NodeId v = 0; v < n; ++v) {
        r.positions[v] = {x[v], layerY[rank[v]]};
        r.layers[v] = rank[v];
    }
    clock.lap("position");

    // Routes: through the chain's dummies, from box border to box border.
    bool straight = o.stopAfter == LayeredPhase::Position;
    std::vector<Point> pts;
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
        const Edge& e = g.edges[i];
        if (e.from >= n || e.to >= n) {
            detail::endEdge(r, e.from, e.to);
            continue;
        }
        if (e.from == e.to || lg.ofEdge[i] == NoEdge || straight) {
            detail::addStraightEdge(r, e.from, e.to);
            continue;
        }
        std::uint32_t c = lg.ofEdge[i];
        pts.clear();
        for (std::uint32_t k = p.chainStart[c]; k < p.chainStart[c + 1]; ++k) {
            NodeId v = p.chain[k];
            pts.push_back({x[v], layerY[p.layer[v]]});
        }
        if (lg.reversed[i])
            std::reverse(pts.begin(), pts.end());
        pts.front() = detail::clipToBox(pts.front(), g.sizes[e.from], pts[1]);
        pts.back() = detail::clipToBox(pts.back(), g.sizes[e.to], pts[pts.size() - 2]);
        r.edgePoints.insert(r.edgePoints.end(), pts.begin(), pts.end());
        detail::endEdge(r, e.from, e.to);
    }
    // Cluster boxes: the cluster's column over its layers, padded.
    double padY = std::min(o.clusterPadding, o.layerGap / 2.0 - 1.0);
    std::vector<std::pair<std::int32_t, std::int32_t>> span(columns.size(), {layerCount, -1});
    for (NodeId v = 0; v < p.size(); ++v) {
        if (p.cluster[v] != NoCluster) {
            span[p.cluster[v]].first = std::min(span[p.cluster[v]].first, p.layer[v]);
            span[p.cluster[v]].second = std::max(span[p.cluster[v]].second, p.layer[v]);
        }
    }
    for (std::uint32_t c = 0; c < columns.size(); ++c) {
        if (std::isnan(columns[c].first))
            continue;
        auto [top, bottom] = span[c];
        double x0 = columns[c].first - (stable ? 0.0 : minX);
        double x1 = columns[c].second - (stable ? 0.0 : minX);
        r.clusters.push_back({c,
                              {x0, layerY[top] - layerHeight[top] / 2.0 - padY, x1,
                               layerY[bottom] + layerHeight[bottom] / 2.0 + padY}});
    }
    if (stable)
        anchor(r, g, match, *previous);
    r.bounds = computeBounds(r);
    clock.lap("route");
    return r;
}

} // namespace waitscope::layouts
