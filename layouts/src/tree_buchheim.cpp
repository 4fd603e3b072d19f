// Tidy tree layout: Buchheim, Jünger, Leipert, "Improving Walker's Algorithm to Run in
// Linear Time" (GD 2002), iterative, with node sizes, nil leaves and an in-order option.
// The input is numbered breadth first first (tree_forest.cpp).
// [SECTION] first walk (prelim/mod/threads, apportion, shifts), level by level
// [SECTION] second walk, levels, result
// [SECTION] spanning forest of a digraph
#include <algorithm>
#include <cmath>

#include <waitscope/layouts/tree.hpp>

#include "common.hpp"
#include "tree_forest.hpp"

namespace waitscope::layouts {

namespace {

using detail::Forest;

// [SECTION] first walk (prelim/mod/threads, apportion, shifts), level by level

/// The per-node state of the first walk, kept together: apportion reads prelim, mod and
/// thread of the contour nodes, so one cache line serves one node.
struct WalkNode {
    double prelim = 0.0, mod = 0.0, shift = 0.0, change = 0.0;
    NodeId thread = NoNode, ancestor = NoNode; ///< ancestor NoNode: the node itself
};

class Walker {
public:
    Walker(const Forest& f, const TreeOptions& o) : m_f(f), m_o(o), m_w(f.count()) {
        if (o.inOrder) {
            m_minRel.assign(f.count(), 0.0);
            m_maxRel.assign(f.count(), 0.0);
        }
    }

    /// Runs both walks; then x(id) is each id's relative x (before normalisation). The first
    /// walk visits the levels bottom up and each level left to right: a node's subtree and
    /// its left siblings (with theirs) are done before it, which is all post-order gave the
    /// recursive algorithm.
    void run() {
        for (std::size_t d = m_f.levelStart.size() - 1; d-- > 0;) {
            NodeId parent = NoNode, defaultAncestor = NoNode;
            for (NodeId v = m_f.levelStart[d]; v < m_f.levelStart[d + 1]; ++v) {
                firstWalk(v);
                NodeId p = m_f.parent[v];
                if (p == NoNode)
                    continue;
                if (p != parent) {
                    parent = p;
                    defaultAncestor = v;
                }
                defaultAncestor = apportion(v, defaultAncestor);
                if (!m_minRel.empty())
                    inOrderSeparation(v);
            }
        }
        // Second walk: x = prelim + the ancestors' mods (ids are parents before children);
        // x goes into prelim and the running sum of mods into change, both free now.
        NodeId total = m_f.count();
        for (NodeId v = 0; v < total; ++v) {
            double up = v == 0 ? 0.0 : m_w[m_f.parent[v]].change;
            m_w[v].prelim += up;
            m_w[v].change = up + m_w[v].mod;
        }
    }

    /// x of id v after run().
    [[nodiscard]] double x(NodeId v) const { return m_w[v].prelim; }

private:
    /// Centre distance of siblings a, b (roots count as non-siblings).
    double siblingDistance(NodeId a, NodeId b) const {
        double gap = m_f.parent[a] == 0 ? m_o.subtreeGap : m_o.siblingGap;
        return (m_f.width[a] + m_f.width[b]) / 2.0 + gap;
    }
    NodeId leftSibling(NodeId v) const {
        NodeId p = m_f.parent[v];
        return (p == NoNode || v == m_f.start[p]) ? NoNode : v - 1;
    }
    NodeId nextLeft(NodeId v) const { return m_f.childCount(v) ? m_f.start[v] : m_w[v].thread; }
    NodeId nextRight(NodeId v) const {
        return m_f.childCount(v) ? m_f.start[v + 1] - 1 : m_w[v].thread;
    }

    void moveSubtree(NodeId wl, NodeId wr, double shift) {
        double subtrees = static_cast<double>(wr - wl); // siblings have consecutive ids
        m_w[wr].change -= shift / subtrees;
        m_w[wr].shift += shift;
        m_w[wl].change += shift / subtrees;
        m_w[wr].prelim += shift;
        m_w[wr].mod += shift;
    }

    void executeShifts(NodeId v) {
        double shift = 0.0, change = 0.0;
        for (NodeId w = m_f.start[v + 1]; w-- > m_f.start[v];) {
            m_w[w].prelim += shift;
            m_w[w].mod += shift;
            change += m_w[w].change;
            shift += m_w[w].shift + change;
        }
    }

    NodeId apportion(NodeId v, NodeId defaultAncestor) {
        NodeId w = leftSibling(v);
        if (w == NoNode)
            return defaultAncestor;
        NodeId vip = v, vop = v, vim = w, vom = m_f.start[m_f.parent[v]];
        double sip = m_w[vip].mod, sop = m_w[vop].mod, sim = m_w[vim].mod, som = m_w[vom].mod;
        NodeId nr = nextRight(vim), nl = nextLeft(vip);
        while (nr != NoNode && nl != NoNode) {
            vim = nr;
            vip = nl;
            vom = nextLeft(vom);
            vop = nextRight(vop);
            m_w[vop].ancestor = v;
            // vim and vip lie in different children's subtrees: never siblings.
            double shift = (m_w[vim].prelim + sim) - (m_w[vip].prelim + sip) +
                           (m_f.width[vim] + m_f.width[vip]) / 2.0 + m_o.subtreeGap;
            if (shift > 0.0) {
                NodeId anc = m_w[vim].ancestor == NoNode ? vim : m_w[vim].ancestor;
                NodeId a = m_f.parent[anc] == m_f.parent[v] ? anc : defaultAncestor;
                moveSubtree(a, v, shift);
                sip += shift;
                sop += shift;
            }
            sim += m_w[vim].mod;
            sip += m_w[vip].mod;
            som += m_w[vom].mod;
            sop += m_w[vop].mod;
            nr = nextRight(vim);
            nl = nextLeft(vip);
        }
        if (nr != NoNode && nextRight(vop) == NoNode) {
            m_w[vop].thread = nr;
            m_w[vop].mod += sim - sop;
        }
        if (nl != NoNode && nextLeft(vom) == NoNode) {
            m_w[vom].thread = nl;
            m_w[vom].mod += sip - som;
            defaultAncestor = v;
        }
        return defaultAncestor;
    }

    void firstWalk(NodeId v) {
        NodeId w = leftSibling(v);
        if (m_f.childCount(v) == 0) {
            m_w[v].prelim = w != NoNode ? m_w[w].prelim + siblingDistance(w, v) : 0.0;
            return;
        }
        executeShifts(v);
        NodeId first = m_f.start[v], last = m_f.start[v + 1] - 1;
        double mid = (m_w[first].prelim + m_w[last].prelim) / 2.0;
        if (!m_minRel.empty()) {
            if (m_f.loneSlot[v] == 0)
                mid = m_w[first].prelim + m_maxRel[first] + m_o.inOrderGap;
            else if (m_f.loneSlot[v] == 1)
                mid = m_w[first].prelim + m_minRel[first] - m_o.inOrderGap;
        }
        if (w != NoNode) {
            m_w[v].prelim = m_w[w].prelim + siblingDistance(w, v);
            m_w[v].mod = m_w[v].prelim - mid;
        } else {
            m_w[v].prelim = mid;
        }
        if (!m_minRel.empty()) {
            double lo = 0.0, hi = 0.0;
            for (NodeId c = first; c <= last; ++c) {
                lo = std::min(lo, m_w[c].prelim - mid + m_minRel[c]);
                hi = std::max(hi, m_w[c].prelim - mid + m_maxRel[c]);
            }
            m_minRel[v] = lo;
            m_maxRel[v] = hi;
        }
    }

    /// In-order: a parent centred between two children must clear both their subtrees.
    void inOrderSeparation(NodeId v) {
        NodeId p = m_f.parent[v];
        if (!m_f.binaryFull[p] || v != m_f.start[p] + 1)
            return;
        NodeId l = v - 1;
        double need = 2.0 * std::max(m_maxRel[l], -m_minRel[v]) + 2.0 * m_o.inOrderGap;
        double have = m_w[v].prelim - m_w[l].prelim;
        if (have < need)
            moveSubtree(l, v, need - have);
    }

    const Forest& m_f;
    const TreeOptions& m_o;
    std::vector<WalkNode> m_w;
    std::vector<double> m_minRel, m_maxRel;
};

// [SECTION] second walk, levels, result

/// Translate `r` so that the nodes it shares with `previous` (by key) move least: by the
/// median offset on each axis (deterministic, robust to a few nodes that really moved).
void anchorToPrevious(LayoutResult& r, const LayoutResult& previous) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> old(previous.keys.size());
    for (std::uint32_t i = 0; i < old.size(); ++i)
        old[i] = {previous.keys[i], i};
    std::sort(old.begin(), old.end());
    std::vector<double> dx, dy;
    for (std::size_t v = 0; v < r.keys.size(); ++v) {
        auto it = std::lower_bound(old.begin(), old.end(), std::make_pair(r.keys[v], 0u));
        if (it == old.end() || it->first != r.keys[v] || it->second >= previous.positions.size())
            continue;
        dx.push_back(previous.positions[it->second].x - r.positions[v].x);
        dy.push_back(previous.positions[it->second].y - r.positions[v].y);
    }
    if (dx.empty())
        return;
    auto median = [](std::vector<double>& a) {
        std::sort(a.begin(), a.end());
        return a[(a.size() - 1) / 2];
    };
    double ox = median(dx), oy = median(dy);
    for (Point& p : r.positions)
        p = {p.x + ox, p.y + oy};
    for (Point& p : r.edgePoints)
        p = {p.x + ox, p.y + oy};
    for (Marker& m : r.markers)
        m.at = {m.at.x + ox, m.at.y + oy};
}

/// Lay out `t`; returns the result with edges per non-empty slot.
LayoutResult layoutForest(const Tree& t, const TreeOptions& o, const LayoutResult* previous) {
    LayoutResult r;
    detail::PhaseClock clock(r.timings);
    detail::initResult(r, t, t.sizes);
    Forest f = detail::buildForest(t, o);
    clock.lap("build");
    Walker walker(f, o);
    walker.run();
    auto x = [&walker](NodeId v) { return walker.x(v); };
    clock.lap("walk");

    // Level centre lines (level 0 is the super-root), left edge at x = 0.
    std::size_t levels = f.levelStart.size() - 1;
    std::vector<double> levelY(levels, 0.0);
    double y = 0.0, minX = INFINITY, maxX = -INFINITY;
    for (std::size_t d = 1; d < levels; ++d) {
        double h = d < f.levelHeight.size() ? f.levelHeight[d] : 0.0;
        for (NodeId v = f.levelStart[d]; v < f.levelStart[d + 1]; ++v) {
            minX = std::min(minX, x(v) - f.width[v] / 2.0);
            maxX = std::max(maxX, x(v) + f.width[v] / 2.0);
        }
        levelY[d] = y + h / 2.0;
        y += h + o.levelGap;
    }
    for (std::size_t d = 1; d < levels; ++d) {
        for (NodeId v = f.levelStart[d]; v < f.levelStart[d + 1]; ++v) {
            NodeId u = f.orig[v];
            if (u == NoNode)
                continue;
            r.positions[u] = {x(v) - minX, levelY[d]};
            r.layers[u] = static_cast<std::int32_t>(d - 1);
        }
    }
    r.markers.reserve(f.nils.size());
    for (auto [id, owner] : f.nils) {
        auto it = std::upper_bound(f.levelStart.begin(), f.levelStart.end(), id);
        Marker m;
        m.kind = MarkerKind::NilLeaf;
        m.owner = owner;
        m.at = {x(id) - minX, levelY[static_cast<std::size_t>(it - f.levelStart.begin()) - 1]};
        m.size = o.nilSize;
        r.markers.push_back(m);
    }
    // Edges: one per non-empty input slot, parent's bottom to child's top.
    NodeId n = f.n;
    bool csrOk = t.childStart.size() == static_cast<std::size_t>(n) + 1 &&
                 (n == 0 || t.childStart[n] <= t.children.size());
    r.edgePoints.reserve(2 * static_cast<std::size_t>(n));
    r.edges.reserve(n);
    r.edgeStart.reserve(static_cast<std::size_t>(n) + 1);
    for (NodeId v = 0; v < n && csrOk; ++v) {
        Point a = r.positions[v];
        double below = a.y + t.sizes[v].height / 2.0;
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i) {
            NodeId c = t.children[i];
            if (c == NoNode)
                continue;
            if (c < n && (f.plain || f.treeParent[c] == v)) {
                Point b = r.positions[c];
                r.edgePoints.push_back({a.x, below});
                r.edgePoints.push_back({b.x, b.y - t.sizes[c].height / 2.0});
                detail::endEdge(r, v, c);
            } else if (c < n) {
                detail::addStraightEdge(r, v, c); // a child claimed by another parent
            } else {
                detail::endEdge(r, v, c); // an id out of range: nothing to draw
            }
        }
    }
    // Every box lies within the levels' extent; edges only join box borders, except the
    // straight ones of malformed input.
    bool straight = r.edgePoints.size() != 2 * r.edges.size();
    if (previous) {
        anchorToPrevious(r, *previous);
        straight = true;
    }
    r.bounds =
        straight || levels < 2 ? computeBounds(r) : Rect{0.0, 0.0, maxX - minX, y - o.levelGap};
    clock.lap("place");
    return r;
}

} // namespace

LayoutResult layoutTree(const Tree& tree, const TreeOptions& options,
                        const LayoutResult* previous) {
    return layoutForest(tree, options, previous);
}

// [SECTION] spanning forest of a digraph

Tree spanningForest(const Graph& g) {
    NodeId n = g.nodeCount();
    std::vector<std::uint32_t> outStart(n + 1, 0), inDeg(n, 0);
    for (const Edge& e : g.edges) {
        if (e.from < n && e.to < n) {
            ++outStart[e.from + 1];
            inDeg[e.to] += e.from != e.to;
        }
    }
    for (NodeId v = 0; v < n; ++v)
        outStart[v + 1] += outStart[v];
    std::vector<NodeId> out(outStart[n]);
    std::vector<std::uint32_t> fill(outStart.begin(), outStart.end() - 1);
    for (const Edge& e : g.edges)
        if (e.from < n && e.to < n)
            out[fill[e.from]++] = e.to;

    std::vector<NodeId> parent(n, NoNode);
    std::vector<std::uint8_t> seen(n, 0);
    std::vector<NodeId> roots, queue;
    queue.reserve(n);
    auto bfs = [&](NodeId r) {
        roots.push_back(r);
        seen[r] = 1;
        queue.push_back(r);
        for (std::size_t h = queue.size() - 1; h < queue.size(); ++h) {
            NodeId v = queue[h];
            for (std::uint32_t i = outStart[v]; i < outStart[v + 1]; ++i) {
                NodeId c = out[i];
                if (!seen[c]) {
                    seen[c] = 1;
                    parent[c] = v;
                    queue.push_back(c);
                }
            }
        }
    };
    for (NodeId v = 0; v < n; ++v)
        if (inDeg[v] == 0 && !seen[v])
            bfs(v);
    for (NodeId v = 0; v < n; ++v)
        if (!seen[v])
            bfs(v);
    // Children in BFS discovery order = edge order.
    Tree t;
    t.sizes = g.sizes;
    t.keys = g.keys;
    t.roots = roots;
    t.childStart.assign(n + 1, 0);
    for (NodeId v = 0; v < n; ++v)
        if (parent[v] != NoNode)
            ++t.childStart[parent[v] + 1];
    for (NodeId v = 0; v < n; ++v)
        t.childStart[v + 1] += t.childStart[v];
    t.children.resize(t.childStart[n]);
    fill.assign(t.childStart.begin(), t.childStart.end() - 1);
    for (NodeId v : queue)
        if (parent[v] != NoNode)
            t.children[fill[parent[v]]++] = v;
    return t;
}

LayoutResult layoutTree(const Graph& graph, const TreeOptions& options,
                        const LayoutResult* previous) {
    Tree t = spanningForest(graph);
    LayoutResult r = layoutForest(t, options, nullptr);
    // Re-route: one polyline per graph edge.
    NodeId n = graph.nodeCount();
    std::vector<NodeId> parent(n, NoNode);
    for (NodeId v = 0; v < n; ++v)
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i)
            parent[t.children[i]] = v;
    r.edgePoints.clear();
    r.edges.clear();
    r.edgeStart.assign(1, 0);
    for (const Edge& e : graph.edges) {
        if (e.from >= n || e.to >= n) {
            detail::endEdge(r, e.from, e.to);
        } else if (parent[e.to] == e.from) {
            Point a = r.positions[e.from], b = r.positions[e.to];
            r.edgePoints.push_back({a.x, a.y + graph.sizes[e.from].height / 2.0});
            r.edgePoints.push_back({b.x, b.y - graph.sizes[e.to].height / 2.0});
            detail::endEdge(r, e.from, e.to);
        } else {
            detail::addStraightEdge(r, e.from, e.to);
        }
    }
    if (previous)
        anchorToPrevious(r, *previous);
    r.bounds = computeBounds(r);
    return r;
}

} // namespace waitscope::layouts
