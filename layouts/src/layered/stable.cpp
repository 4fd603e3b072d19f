// Layered layouts that start from a previous result: matching, stable layers, stable
// order keys and positions.
// [SECTION] matching
// [SECTION] stable layers
// [SECTION] stable order keys and positions
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "layered.hpp"

namespace waitscope::layouts::layered {

namespace {

constexpr std::int32_t Unknown = UnknownLayer;

} // namespace

// [SECTION] matching

/// Index of each node of `g` in `previous` (matched by key), or NoNode.
std::vector<NodeId> matchPrevious(const Graph& g, const LayoutResult& previous) {
    std::vector<std::pair<std::uint64_t, NodeId>> old(previous.keys.size());
    for (NodeId i = 0; i < old.size(); ++i)
        old[i] = {previous.keys[i], i};
    std::sort(old.begin(), old.end());
    std::vector<NodeId> match(g.nodeCount(), NoNode);
    for (NodeId v = 0; v < g.nodeCount(); ++v) {
        auto it = std::lower_bound(old.begin(), old.end(), std::make_pair(g.keyOf(v), NodeId{0}));
        if (it != old.end() && it->first == g.keyOf(v) && it->second < previous.positions.size())
            match[v] = it->second;
    }
    return match;
}

// [SECTION] stable layers

/// Ranks from `rank` (Unknown for new nodes): known nodes stay unless a parent pushes them
/// down; new nodes go one below their lowest parent, or (without parents) one above their
/// highest child. Not normalised.
std::vector<std::int32_t> pushDown(NodeId n, const std::vector<LEdge>& edges,
                                   std::vector<std::int32_t> rank) {
    std::vector<std::uint32_t> outStart(n + 1, 0), deg(n, 0);
    for (const LEdge& e : edges) {
        ++outStart[e.tail + 1];
        ++deg[e.head];
    }
    for (NodeId v = 0; v < n; ++v)
        outStart[v + 1] += outStart[v];
    std::vector<NodeId> out(edges.size());
    std::vector<std::uint32_t> fill(outStart.begin(), outStart.end() - 1);
    for (const LEdge& e : edges)
        out[fill[e.tail]++] = e.head;
    std::vector<std::int32_t> floor(n, Unknown);
    std::vector<NodeId> topo;
    topo.reserve(n);
    for (NodeId v = 0; v < n; ++v)
        if (deg[v] == 0)
            topo.push_back(v);
    for (std::size_t h = 0; h < topo.size(); ++h) {
        NodeId v = topo[h];
        if (floor[v] != Unknown)
            rank[v] = std::max(rank[v], floor[v]);
        for (std::uint32_t i = outStart[v]; i < outStart[v + 1]; ++i) {
            NodeId w = out[i];
            if (rank[v] != Unknown)
                floor[w] = std::max(floor[w], rank[v] + 1);
            if (--deg[w] == 0)
                topo.push_back(w);
        }
    }
    for (std::size_t h = topo.size(); h-- > 0;) {
        NodeId v = topo[h];
        if (rank[v] != Unknown)
            continue;
        std::int32_t r = 0;
        bool any = false;
        for (std::uint32_t i = outStart[v]; i < outStart[v + 1]; ++i) {
            r = any ? std::min(r, rank[out[i]] - 1) : rank[out[i]] - 1;
            any = true;
        }
        rank[v] = any ? r : 0;
    }
    return rank;
}

/// Stable layers and edge directions. Matched nodes keep their previous layer. New nodes
/// are placed breadth first from the matched ones, each on the layer that is not one of its
/// placed neighbours' and gives the least total edge span (downward edges preferred, then
/// the upper layer); wholly new components take `fallback`. Edges then point the way the
/// layers say (an upward one is drawn like a back edge); an edge inside one layer keeps
/// `dfsReversed` and pushes nodes down later (see pushDown). O(n + m) plus the degrees of
/// new nodes squared.
std::vector<std::int32_t> stableLayering(const Graph& g, const std::vector<NodeId>& match,
                                         const LayoutResult& previous,
                                         const std::vector<std::int32_t>& fallback,
                                         std::vector<std::uint8_t>& reversed) {
    NodeId n = g.nodeCount();
    std::vector<std::int32_t> rank(n, Unknown);
    for (NodeId v = 0; v < n; ++v)
        if (match[v] != NoNode && match[v] < previous.layers.size() &&
            previous.layers[match[v]] >= 0)
            rank[v] = previous.layers[match[v]];
    // Undirected adjacency; `up` marks the neighbour as a parent (edge neighbour -> v).
    struct Nb {
        NodeId v;
        bool parent;
    };
    std::vector<std::uint32_t> start(n + 1, 0);
    for (const Edge& e : g.edges) {
        if (e.from < n && e.to < n && e.from != e.to) {
            ++start[e.from + 1];
            ++start[e.to + 1];
        }
    }
    for (NodeId v = 0; v < n; ++v)
        start[v + 1] += start[v];
    std::vector<Nb> adj(start[n]);
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (const Edge& e : g.edges) {
        if (e.from < n && e.to < n && e.from != e.to) {
            adj[fill[e.from]++] = {e.to, false};
            adj[fill[e.to]++] = {e.from, true};
        }
    }
    std::vector<NodeId> queue;
    for (NodeId v = 0; v < n; ++v) {
        if (rank[v] != Unknown)
            continue;
        for (std::uint32_t i = start[v]; i < start[v + 1]; ++i) {
            if (rank[adj[i].v] != Unknown) {
                queue.push_back(v);
                break;
            }
        }
    }
    for (std::size_t q = 0; q < queue.size(); ++q) {
        NodeId v = queue[q];
        if (rank[v] != Unknown)
            continue;
        std::int32_t lo = std::numeric_limits<std::int32_t>::max(), hi = Unknown;
        for (std::uint32_t i = start[v]; i < start[v + 1]; ++i) {
            std::int32_t r = rank[adj[i].v];
            if (r != Unknown) {
                lo = std::min(lo, r);
                hi = std::max(hi, r);
            }
        }
        std::int64_t bestCost = std::numeric_limits<std::int64_t>::max();
        for (std::int32_t r = lo - 1; r <= hi + 1; ++r) {
            std::int64_t cost = 0;
            bool taken = false;
            for (std::uint32_t i = start[v]; i < start[v + 1] && !taken; ++i) {
                std::int32_t nr = rank[adj[i].v];
                if (nr == Unknown)
                    continue;
                taken = nr == r;
                bool upward = adj[i].parent ? nr > r : nr < r;
                cost += 2 * std::abs(static_cast<std::int64_t>(nr) - r) + (upward ? 1 : 0);
            }
            if (!taken && cost < bestCost) {
                bestCost = cost;
                rank[v] = r;
            }
        }
        for (std::uint32_t i = start[v]; i < start[v + 1]; ++i)
            if (rank[adj[i].v] == Unknown)
                queue.push_back(adj[i].v);
    }
    for (NodeId v = 0; v < n; ++v)
        if (rank[v] == Unknown)
            rank[v] = fallback[v];
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
        const Edge& e = g.edges[i];
        if (e.from < n && e.to < n && rank[e.from] != rank[e.to])
            reversed[i] = rank[e.from] > rank[e.to];
    }
    return rank;
}

// [SECTION] stable order keys and positions

/// Previous x of each dummy whose edge existed before (matched by the keys of its ends,
/// the k-th parallel edge to the k-th) with the same number of layers; NaN elsewhere.
std::vector<double> previousDummyX(const Graph& g, const LayeringGraph& lg, const Proper& p,
                                   const LayoutResult& previous) {
    struct Keyed {
        std::uint64_t tail, head;
        std::uint32_t index;
        bool operator<(const Keyed& o) const {
            return tail != o.tail   ? tail < o.tail
                   : head != o.head ? head < o.head
                                    : index < o.index;
        }
    };
    auto occurrences = [](std::vector<Keyed>& v) {
        std::sort(v.begin(), v.end());
        std::vector<std::uint32_t> occ(v.size(), 0);
        for (std::size_t i = 1; i < v.size(); ++i)
            if (v[i].tail == v[i - 1].tail && v[i].head == v[i - 1].head)
                occ[i] = occ[i - 1] + 1;
        return occ;
    };
    std::vector<Keyed> old;
    for (std::uint32_t i = 0; i < previous.edges.size() && i + 1 < previous.edgeStart.size(); ++i) {
        const Edge& e = previous.edges[i];
        if (e.from < previous.keys.size() && e.to < previous.keys.size())
            old.push_back({previous.keys[e.from], previous.keys[e.to], i});
    }
    std::vector<std::uint32_t> oldOcc = occurrences(old);
    std::vector<Keyed> cur;
    for (std::uint32_t i = 0; i < g.edges.size(); ++i)
        if (lg.ofEdge[i] != NoEdge)
            cur.push_back({g.keyOf(g.edges[i].from), g.keyOf(g.edges[i].to), i});
    std::vector<std::uint32_t> curOcc = occurrences(cur);
    std::vector<double> px(p.size(), NAN);
    std::size_t j = 0;
    for (std::size_t k = 0; k < cur.size(); ++k) {
        const Keyed& c = cur[k];
        auto before = [&](std::size_t o) {
            return old[o].tail != c.tail   ? old[o].tail < c.tail
                   : old[o].head != c.head ? old[o].head < c.head
                                           : oldOcc[o] < curOcc[k];
        };
        while (j < old.size() && before(j))
            ++j;
        if (j == old.size() || old[j].tail != c.tail || old[j].head != c.head ||
            oldOcc[j] != curOcc[k])
            continue;
        std::uint32_t chain = lg.ofEdge[c.index];
        std::uint32_t b = p.chainStart[chain], len = p.chainStart[chain + 1] - b;
        std::span<const Point> pts = previous.edge(old[j].index);
        if (len < 3 || pts.size() != len)
            continue;
        for (std::uint32_t i = 1; i + 1 < len; ++i)
            px[p.chain[b + i]] = pts[lg.reversed[c.index] ? len - 1 - i : i].x;
    }
    return px;
}

/// Initial order keys: a matched node's or dummy's previous x; other items the mean key of
/// their keyed neighbours (above first, then below); the rest after everything.
std::vector<double> stableKeys(const Proper& p, const std::vector<NodeId>& match,
                               const LayoutResult& previous, const std::vector<double>& dummyX) {
    NodeId total = p.size();
    std::vector<double> key = dummyX;
    for (NodeId v = 0; v < p.realCount; ++v)
        if (match[v] != NoNode)
            key[v] = previous.positions[match[v]].x;
    std::vector<NodeId> byLayer(total);
    for (NodeId v = 0; v < total; ++v)
        byLayer[v] = v;
    std::stable_sort(byLayer.begin(), byLayer.end(),
                     [&](NodeId a, NodeId b) { return p.layer[a] < p.layer[b]; });
    auto mean = [&](NodeId v, const std::vector<std::uint32_t>& start,
                    const std::vector<NodeId>& adj) {
        double s = 0.0;
        int c = 0;
        for (std::uint32_t k = start[v]; k < start[v + 1]; ++k) {
            if (!std::isnan(key[adj[k]])) {
                s += key[adj[k]];
                ++c;
            }
        }
        return c ? s / c : NAN;
    };
    for (NodeId v : byLayer)
        if (std::isnan(key[v]))
            key[v] = mean(v, p.upStart, p.up);
    for (auto it = byLayer.rbegin(); it != byLayer.rend(); ++it)
        if (std::isnan(key[*it]))
            key[*it] = mean(*it, p.downStart, p.down);
    double last = 0.0;
    for (double k : key)
        if (!std::isnan(k))
            last = std::max(last, k);
    for (NodeId v = 0; v < total; ++v)
        if (std::isnan(key[v]))
            key[v] = last + 1.0 + v;
    return key;
}

/// Stable x: previous x for matched nodes, Brandes-Köpf x (moved into the previous frame)
/// for new nodes, dummies on the straight line between their chain's ends; then the
/// closest placement that respects the new order and separations.
std::vector<double> stableX(const Proper& p, const Ordering& ord, const LayeredOptions& o,
                            const std::vector<NodeId>& match, const LayoutResult& previous,
                            const std::vector<double>& dummyX) {
    std::vector<double> bk = layered::brandesKoepf(p, ord, o);
    std::vector<double> shift;
    for (NodeId v = 0; v < p.realCount; ++v)
        if (match[v] != NoNode)
            shift.push_back(previous.positions[match[v]].x - bk[v]);
    double offset = 0.0;
    if (!shift.empty()) {
        std::sort(shift.begin(), shift.end());
        offset = shift[(shift.size() - 1) / 2];
    }
    NodeId total = p.size();
    std::vector<double> want(total), weight(total, 1e-3);
    for (NodeId v = 0; v < total; ++v)
        want[v] = bk[v] + offset;
    for (NodeId v = 0; v < p.realCount; ++v) {
        if (match[v] != NoNode) {
            want[v] = previous.positions[match[v]].x;
            weight[v] = 1.0;
        } else {
            weight[v] = 1e-2;
        }
    }
    for (std::size_t c = 0; c + 1 < p.chainStart.size(); ++c) {
        std::uint32_t b = p.chainStart[c], e = p.chainStart[c + 1];
        double x0 = want[p.chain[b]], x1 = want[p.chain[e - 1]];
        for (std::uint32_t i = b + 1; i + 1 < e; ++i) {
            NodeId d = p.chain[i];
            if (std::isnan(dummyX[d])) {
                want[d] = x0 + (x1 - x0) * (i - b) / (e - 1 - b);
            } else {
                want[d] = dummyX[d];
                weight[d] = 1.0;
            }
        }
    }
    return layered::closestFeasible(p, ord, want, weight, o);
}

/// Translates everything so matched nodes move least (median offset per axis).
void anchor(LayoutResult& r, const Graph& g, const std::vector<NodeId>& match,
            const LayoutResult& previous) {
    std::vector<double> dx, dy;
    for (NodeId v = 0; v < g.nodeCount(); ++v) {
        if (match[v] == NoNode)
            continue;
        dx.push_back(previous.positions[match[v]].x - r.positions[v].x);
        dy.push_back(previous.positions[match[v]].y - r.positions[v].y);
    }
    if (dx.empty())
        return;
    std::sort(dx.begin(), dx.end());
    std::sort(dy.begin(), dy.end());
    double ox = dx[(dx.size() - 1) / 2], oy = dy[(dy.size() - 1) / 2];
    for (Point& q : r.positions)
        q = {q.x + ox, q.y + oy};
    for (Point& q : r.edgePoints)
        q = {q.x + ox, q.y + oy};
    for (ClusterBox& c : r.clusters)
        c.box = {c.box.minX + ox, c.box.minY + oy, c.box.maxX + ox, c.box.maxY + oy};
}

} // namespace waitscope::layouts::layered
