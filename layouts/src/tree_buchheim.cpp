// Tidy tree layout: Buchheim, Jünger, Leipert, "Improving Walker's Algorithm to Run in
// Linear Time" (GD 2002), iterative, with node sizes, nil leaves and an in-order option.
// [SECTION] internal forest (real nodes, nil leaves, a virtual super-root)
// [SECTION] first walk (post-order prelim/mod/threads, apportion, shifts)
// [SECTION] second walk, levels, result
// [SECTION] spanning forest of a digraph
#include <algorithm>
#include <cmath>

#include <waitscope/layouts/tree.hpp>

#include "common.hpp"

namespace waitscope::layouts {

namespace {

// [SECTION] internal forest (real nodes, nil leaves, a virtual super-root)

/// The forest the walks run on: ids [0, n) are the tree's nodes, then nil leaves, then the
/// super-root whose children are the roots. Flat arrays indexed by internal id.
struct Forest {
    std::vector<std::uint32_t> start; // CSR offsets into kids
    std::vector<NodeId> kids;
    std::vector<NodeId> parent;
    std::vector<std::uint32_t> number; // index among siblings
    std::vector<double> width, height;
    std::vector<std::int8_t> loneSlot;    // binary node with one child: its slot (0/1); else -1
    std::vector<std::uint8_t> binaryFull; // binary node with both slots filled
    std::vector<NodeId> nilOwner;         // per nil leaf (id - n)
    NodeId n = 0;                         // real nodes
    NodeId root = NoNode;                 // the super-root

    [[nodiscard]] NodeId size() const { return static_cast<NodeId>(parent.size()); }
    [[nodiscard]] std::uint32_t childCount(NodeId v) const { return start[v + 1] - start[v]; }
    [[nodiscard]] NodeId firstChild(NodeId v) const { return kids[start[v]]; }
    [[nodiscard]] NodeId lastChild(NodeId v) const { return kids[start[v + 1] - 1]; }
};

Forest buildForest(const Tree& t, const TreeOptions& o) {
    Forest f;
    f.n = t.nodeCount();
    NodeId n = f.n;
    bool csrOk = t.childStart.size() == static_cast<std::size_t>(n) + 1 &&
                 (n == 0 || t.childStart[n] <= t.children.size());
    auto slotsOf = [&](NodeId v) -> std::pair<std::uint32_t, std::uint32_t> {
        if (!csrOk || t.childStart[v] > t.childStart[v + 1])
            return {0, 0};
        return {t.childStart[v], t.childStart[v + 1]};
    };
    // Claim children in traversal order so that malformed input (shared children, cycles,
    // unreachable nodes) still gives every node exactly one place.
    std::vector<NodeId> claimed(n, NoNode); // parent of each claimed node (n = root marker)
    std::vector<NodeId> order;
    order.reserve(n);
    std::vector<NodeId> rootList;
    auto takeRoot = [&](NodeId r) {
        if (r < n && claimed[r] == NoNode) {
            claimed[r] = n;
            rootList.push_back(r);
            order.push_back(r);
        }
    };
    std::size_t head = 0;
    auto drain = [&] {
        for (; head < order.size(); ++head) {
            NodeId v = order[head];
            auto [b, e] = slotsOf(v);
            for (std::uint32_t i = b; i < e; ++i) {
                NodeId c = t.children[i];
                if (c < n && claimed[c] == NoNode) {
                    claimed[c] = v;
                    order.push_back(c);
                }
            }
        }
    };
    for (NodeId r : t.roots) {
        takeRoot(r);
        drain();
    }
    for (NodeId v = 0; v < n; ++v) {
        if (claimed[v] == NoNode) {
            takeRoot(v);
            drain();
        }
    }
    // Count nil leaves, then lay out the CSR.
    std::size_t nils = 0;
    if (o.nilLeaves) {
        for (NodeId v = 0; v < n; ++v) {
            auto [b, e] = slotsOf(v);
            for (std::uint32_t i = b; i < e; ++i)
                nils += t.children[i] == NoNode;
        }
    }
    NodeId total = n + static_cast<NodeId>(nils) + 1;
    f.root = total - 1;
    f.parent.assign(total, NoNode);
    f.number.assign(total, 0);
    f.width.assign(total, 0.0);
    f.height.assign(total, 0.0);
    f.loneSlot.assign(total, -1);
    f.binaryFull.assign(total, 0);
    f.start.assign(total + 1, 0);
    f.kids.reserve(total);
    NodeId nextNil = n;
    for (NodeId v = 0; v < total; ++v) {
        f.start[v] = static_cast<std::uint32_t>(f.kids.size());
        if (v == f.root) {
            for (NodeId r : rootList)
                f.kids.push_back(r);
        } else if (v < n) {
            f.width[v] = t.sizes[v].width;
            f.height[v] = t.sizes[v].height;
            auto [b, e] = slotsOf(v);
            std::uint32_t present = 0, lone = 0;
            for (std::uint32_t i = b; i < e; ++i) {
                NodeId c = t.children[i];
                if (c < n && claimed[c] == v) {
                    f.kids.push_back(c);
                    ++present;
                    lone = i - b;
                } else if (c == NoNode && o.nilLeaves) {
                    f.kids.push_back(nextNil);
                    f.nilOwner.push_back(v);
                    ++nextNil;
                    ++present;
                }
            }
            if (e - b == 2 && o.inOrder) {
                if (present == 2)
                    f.binaryFull[v] = 1;
                else if (present == 1)
                    f.loneSlot[v] = static_cast<std::int8_t>(lone);
            }
        } else {
            f.width[v] = o.nilSize.width;
            f.height[v] = o.nilSize.height;
        }
    }
    f.start[total] = static_cast<std::uint32_t>(f.kids.size());
    for (NodeId v = 0; v < total; ++v) {
        for (std::uint32_t i = f.start[v]; i < f.start[v + 1]; ++i) {
            f.parent[f.kids[i]] = v;
            f.number[f.kids[i]] = i - f.start[v];
        }
    }
    return f;
}

// [SECTION] first walk (post-order prelim/mod/threads, apportion, shifts)

class Walker {
public:
    Walker(const Forest& f, const TreeOptions& o) : m_f(f), m_o(o) {
        NodeId total = f.size();
        m_prelim.assign(total, 0.0);
        m_mod.assign(total, 0.0);
        m_shift.assign(total, 0.0);
        m_change.assign(total, 0.0);
        m_thread.assign(total, NoNode);
        m_ancestor.resize(total);
        for (NodeId v = 0; v < total; ++v)
            m_ancestor[v] = v;
        m_defaultAncestor.assign(total, NoNode);
        if (o.inOrder) {
            m_minRel.assign(total, 0.0);
            m_maxRel.assign(total, 0.0);
        }
    }

    /// Relative x of every node (root-relative, before normalisation).
    std::vector<double> run() {
        std::vector<NodeId> post = postOrder();
        for (NodeId v : post)
            firstWalk(v);
        // Second walk: x = prelim + sum of the ancestors' mods. Reverse post-order visits
        // parents before children.
        NodeId total = m_f.size();
        std::vector<double> acc(total, 0.0), x(total, 0.0);
        for (auto it = post.rbegin(); it != post.rend(); ++it) {
            NodeId v = *it;
            NodeId p = m_f.parent[v];
            double up = p == NoNode ? 0.0 : acc[p];
            x[v] = m_prelim[v] + up;
            acc[v] = up + m_mod[v];
        }
        return x;
    }

    /// Post-order (children left to right) without recursion.
    std::vector<NodeId> postOrder() const {
        std::vector<NodeId> out, stack{m_f.root};
        out.reserve(m_f.size());
        while (!stack.empty()) {
            NodeId v = stack.back();
            stack.pop_back();
            out.push_back(v);
            for (std::uint32_t i = m_f.start[v]; i < m_f.start[v + 1]; ++i)
                stack.push_back(m_f.kids[i]);
        }
        std::reverse(out.begin(), out.end());
        return out;
    }

private:
    double distance(NodeId a, NodeId b) const {
        NodeId p = m_f.parent[a];
        bool siblings = p == m_f.parent[b] && p != m_f.root;
        return (m_f.width[a] + m_f.width[b]) / 2.0 + (siblings ? m_o.siblingGap : m_o.subtreeGap);
    }
    NodeId leftSibling(NodeId v) const {
        NodeId p = m_f.parent[v];
        return (p == NoNode || m_f.number[v] == 0) ? NoNode
                                                   : m_f.kids[m_f.start[p] + m_f.number[v] - 1];
    }
    NodeId nextLeft(NodeId v) const { return m_f.childCount(v) ? m_f.firstChild(v) : m_thread[v]; }
    NodeId nextRight(NodeId v) const { return m_f.childCount(v) ? m_f.lastChild(v) : m_thread[v]; }

    void moveSubtree(NodeId wl, NodeId wr, double shift) {
        double subtrees = static_cast<double>(m_f.number[wr] - m_f.number[wl]);
        m_change[wr] -= shift / subtrees;
        m_shift[wr] += shift;
        m_change[wl] += shift / subtrees;
        m_prelim[wr] += shift;
        m_mod[wr] += shift;
    }

    void executeShifts(NodeId v) {
        double shift = 0.0, change = 0.0;
        for (std::uint32_t i = m_f.start[v + 1]; i-- > m_f.start[v];) {
            NodeId w = m_f.kids[i];
            m_prelim[w] += shift;
            m_mod[w] += shift;
            change += m_change[w];
            shift += m_shift[w] + change;
        }
    }

    NodeId apportion(NodeId v, NodeId defaultAncestor) {
        NodeId w = leftSibling(v);
        if (w == NoNode)
            return defaultAncestor;
        NodeId vip = v, vop = v, vim = w, vom = m_f.firstChild(m_f.parent[v]);
        double sip = m_mod[vip], sop = m_mod[vop], sim = m_mod[vim], som = m_mod[vom];
        NodeId nr = nextRight(vim), nl = nextLeft(vip);
        while (nr != NoNode && nl != NoNode) {
            vim = nr;
            vip = nl;
            vom = nextLeft(vom);
            vop = nextRight(vop);
            m_ancestor[vop] = v;
            double shift = (m_prelim[vim] + sim) - (m_prelim[vip] + sip) + distance(vim, vip);
            if (shift > 0.0) {
                NodeId a = m_f.parent[m_ancestor[vim]] == m_f.parent[v] ? m_ancestor[vim]
                                                                        : defaultAncestor;
                moveSubtree(a, v, shift);
                sip += shift;
                sop += shift;
            }
            sim += m_mod[vim];
            sip += m_mod[vip];
            som += m_mod[vom];
            sop += m_mod[vop];
            nr = nextRight(vim);
            nl = nextLeft(vip);
        }
        if (nr != NoNode && nextRight(vop) == NoNode) {
            m_thread[vop] = nr;
            m_mod[vop] += sim - sop;
        }
        if (nl != NoNode && nextLeft(vom) == NoNode) {
            m_thread[vom] = nl;
            m_mod[vom] += sip - som;
            defaultAncestor = v;
        }
        return defaultAncestor;
    }

    void firstWalk(NodeId v) {
        NodeId w = leftSibling(v);
        if (m_f.childCount(v) == 0) {
            m_prelim[v] = w != NoNode ? m_prelim[w] + distance(w, v) : 0.0;
        } else {
            executeShifts(v);
            NodeId first = m_f.firstChild(v), last = m_f.lastChild(v);
            double mid = (m_prelim[first] + m_prelim[last]) / 2.0;
            if (m_f.loneSlot[v] == 0)
                mid = m_prelim[first] + m_maxRel[first] + m_o.inOrderGap;
            else if (m_f.loneSlot[v] == 1)
                mid = m_prelim[first] + m_minRel[first] - m_o.inOrderGap;
            if (w != NoNode) {
                m_prelim[v] = m_prelim[w] + distance(w, v);
                m_mod[v] = m_prelim[v] - mid;
            } else {
                m_prelim[v] = mid;
            }
            if (!m_minRel.empty()) {
                double lo = 0.0, hi = 0.0;
                for (std::uint32_t i = m_f.start[v]; i < m_f.start[v + 1]; ++i) {
                    NodeId c = m_f.kids[i];
                    lo = std::min(lo, m_prelim[c] - mid + m_minRel[c]);
                    hi = std::max(hi, m_prelim[c] - mid + m_maxRel[c]);
                }
                m_minRel[v] = lo;
                m_maxRel[v] = hi;
            }
        }
        NodeId p = m_f.parent[v];
        if (p == NoNode)
            return;
        if (m_defaultAncestor[p] == NoNode)
            m_defaultAncestor[p] = v;
        m_defaultAncestor[p] = apportion(v, m_defaultAncestor[p]);
        if (m_f.binaryFull[p] && m_f.number[v] == 1) {
            // In-order: the parent (centred between both children) must clear both subtrees.
            NodeId l = m_f.firstChild(p);
            double need = 2.0 * std::max(m_maxRel[l], -m_minRel[v]) + 2.0 * m_o.inOrderGap;
            double have = m_prelim[v] - m_prelim[l];
            if (have < need)
                moveSubtree(l, v, need - have);
        }
    }

    const Forest& m_f;
    const TreeOptions& m_o;
    std::vector<double> m_prelim, m_mod, m_shift, m_change, m_minRel, m_maxRel;
    std::vector<NodeId> m_thread, m_ancestor, m_defaultAncestor;
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
        if (it == old.end() || it->first != r.keys[v])
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
    Forest f = buildForest(t, o);
    clock.lap("build");
    std::vector<double> x = Walker(f, o).run();
    clock.lap("walk");

    // Depths (reverse post-order = parents first) and level centre lines.
    NodeId total = f.size();
    std::vector<std::int32_t> depth(total, -1);
    std::vector<double> levelHeight;
    std::vector<NodeId> stack{f.root};
    double minX = INFINITY;
    while (!stack.empty()) {
        NodeId v = stack.back();
        stack.pop_back();
        for (std::uint32_t i = f.start[v]; i < f.start[v + 1]; ++i) {
            NodeId c = f.kids[i];
            std::int32_t d = depth[v] + 1;
            depth[c] = d;
            if (static_cast<std::size_t>(d) >= levelHeight.size())
                levelHeight.resize(d + 1, 0.0);
            levelHeight[d] = std::max(levelHeight[d], f.height[c]);
            minX = std::min(minX, x[c] - f.width[c] / 2.0);
            stack.push_back(c);
        }
    }
    std::vector<double> levelY(levelHeight.size());
    double y = 0.0;
    for (std::size_t d = 0; d < levelHeight.size(); ++d) {
        levelY[d] = y + levelHeight[d] / 2.0;
        y += levelHeight[d] + o.levelGap;
    }
    auto place = [&](NodeId v) { return Point{x[v] - minX, levelY[depth[v]]}; };
    for (NodeId v = 0; v < f.n; ++v) {
        r.positions[v] = place(v);
        r.layers[v] = depth[v];
    }
    for (NodeId i = f.n; i + 1 < total; ++i) {
        Marker m;
        m.kind = MarkerKind::NilLeaf;
        m.owner = f.nilOwner[i - f.n];
        m.at = place(i);
        m.size = o.nilSize;
        r.markers.push_back(m);
    }
    // Edges: one per non-empty input slot, parent's bottom to child's top.
    NodeId n = f.n;
    bool csrOk = t.childStart.size() == static_cast<std::size_t>(n) + 1;
    for (NodeId v = 0; v < n && csrOk; ++v) {
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1] && i < t.children.size();
             ++i) {
            NodeId c = t.children[i];
            if (c == NoNode)
                continue;
            if (c < n) {
                Point a = r.positions[v], b = r.positions[c];
                if (f.parent[c] == v) {
                    r.edgePoints.push_back({a.x, a.y + t.sizes[v].height / 2.0});
                    r.edgePoints.push_back({b.x, b.y - t.sizes[c].height / 2.0});
                    detail::endEdge(r, v, c);
                } else {
                    detail::addStraightEdge(r, v, c);
                }
            } else {
                detail::endEdge(r, v, c); // an id out of range: nothing to draw
            }
        }
    }
    if (previous)
        anchorToPrevious(r, *previous);
    r.bounds = computeBounds(r);
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
