// Layering: longest path, and minimum total edge length (Gansner, Koutsofios, North, Vo,
// "A Technique for Drawing Directed Graphs", IEEE TSE 1993) solved as the dual of a
// min-cost flow with a primal network simplex, then balanced.
// [SECTION] longest path
// [SECTION] network simplex
// [SECTION] problem reduction
// [SECTION] components and balancing
#include <algorithm>
#include <cmath>
#include <limits>

#include "layered.hpp"

namespace waitscope::layouts::layered {

namespace {

/// An edge of the (reduced) ranking problem: head at least `minlen` layers below tail.
struct Span {
    NodeId tail = NoNode;
    NodeId head = NoNode;
    std::uint32_t weight = 1;
    std::int32_t minlen = 1;
};

} // namespace

// [SECTION] longest path

std::vector<std::int32_t> rankLongestPath(NodeId n, const std::vector<LEdge>& edges) {
    std::vector<std::uint32_t> start(n + 1, 0), inDeg(n, 0);
    for (const LEdge& e : edges) {
        ++start[e.tail + 1];
        ++inDeg[e.head];
    }
    for (NodeId v = 0; v < n; ++v)
        start[v + 1] += start[v];
    std::vector<NodeId> out(start[n]);
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (const LEdge& e : edges)
        out[fill[e.tail]++] = e.head;
    std::vector<std::int32_t> rank(n, 0);
    std::vector<NodeId> queue;
    queue.reserve(n);
    for (NodeId v = 0; v < n; ++v)
        if (inDeg[v] == 0)
            queue.push_back(v);
    for (std::size_t h = 0; h < queue.size(); ++h) {
        NodeId v = queue[h];
        for (std::uint32_t i = start[v]; i < start[v + 1]; ++i) {
            NodeId w = out[i];
            rank[w] = std::max(rank[w], rank[v] + 1);
            if (--inDeg[w] == 0)
                queue.push_back(w);
        }
    }
    return rank;
}

// [SECTION] network simplex

namespace {

/// Primal network simplex on the dual of the ranking problem. Ranking: minimise
/// sum w(e) (r(head) - r(tail)) subject to r(head) - r(tail) >= 1. Its LP dual is a
/// min-cost flow: every edge is an uncapacitated arc of cost -1 and node v supplies
/// out-weight(v) - in-weight(v); the optimal node potentials are optimal ranks. Big-M start
/// (an artificial root with one arc per node), block search for the entering arc, and
/// Cunningham's strongly feasible trees (last blocking arc from the apex) against cycling.
/// The tree is kept as parent pointers, subtree sizes and child lists, so a pivot costs the
/// cycle length plus the smaller side of the cut it re-hangs.
class NetworkSimplex {
public:
    NetworkSimplex(NodeId k, const std::vector<Span>& edges)
        : m_k(k), m_real(static_cast<std::uint32_t>(edges.size())) {
        std::uint32_t arcs = m_real + k;
        m_src.resize(arcs);
        m_dst.resize(arcs);
        m_cost.resize(arcs);
        m_flow.assign(arcs, 0);
        m_inTree.assign(arcs, 0);
        std::vector<std::int64_t> supply(k, 0);
        for (std::uint32_t i = 0; i < m_real; ++i) {
            m_src[i] = edges[i].tail;
            m_dst[i] = edges[i].head;
            m_cost[i] = -edges[i].minlen;
            supply[edges[i].tail] += edges[i].weight;
            supply[edges[i].head] -= edges[i].weight;
        }
        NodeId root = k;
        std::int64_t total = 0;
        for (const Span& e : edges)
            total += e.minlen;
        std::int64_t bigM = 2 * total + 2; // more than any path's cost
        m_t.assign(k + 1, TreeNode{});
        m_t[k].size = k + 1;
        // Initial strongly feasible tree: a star; zero-flow arcs point away from the root.
        for (NodeId v = 0; v < k; ++v) {
            std::uint32_t a = m_real + v;
            m_cost[a] = bigM;
            if (supply[v] > 0) {
                m_src[a] = v;
                m_dst[a] = root;
                m_flow[a] = supply[v];
                m_t[v].pi = bigM;
            } else {
                m_src[a] = root;
                m_dst[a] = v;
                m_flow[a] = -supply[v];
                m_t[v].pi = -bigM;
            }
            m_inTree[a] = 1;
            m_t[v].pred = a;
            attach(v, root);
        }
        m_block = std::max<std::uint32_t>(
            10, static_cast<std::uint32_t>(std::sqrt(static_cast<double>(m_real))));
    }

    /// Pivots until optimal or `maxPivots`; returns the pivots done and sets `converged`.
    std::uint32_t run(std::uint32_t maxPivots, bool& converged) {
        converged = false;
        std::uint32_t pivots = 0;
        for (; pivots < maxPivots; ++pivots) {
            std::uint32_t in = enteringArc();
            if (in == NoEdge) {
                converged = true;
                break;
            }
            if (!pivot(in))
                break;
        }
        if (pivots == maxPivots && enteringArc() == NoEdge)
            converged = true;
        return pivots;
    }

    /// Potentials of the real nodes (ranks up to a shift per component).
    [[nodiscard]] std::int64_t potential(NodeId v) const { return m_t[v].pi; }

private:
    [[nodiscard]] std::int64_t reducedCost(std::uint32_t a) const {
        return m_cost[a] - m_t[m_src[a]].pi + m_t[m_dst[a]].pi;
    }

    /// Block search: the most negative reduced cost within the first block (of about
    /// sqrt(m) arcs, cycling on from the last position) that has any; NoEdge when none.
    std::uint32_t enteringArc() {
        if (m_real == 0)
            return NoEdge;
        std::uint32_t best = NoEdge;
        std::int64_t bestCost = 0;
        std::uint32_t inBlock = 0;
        for (std::uint32_t j = 0; j < m_real; ++j) {
            std::uint32_t a = m_nextArc;
            m_nextArc = m_nextArc + 1 == m_real ? 0 : m_nextArc + 1;
            if (!m_inTree[a]) {
                std::int64_t c = reducedCost(a);
                if (c < bestCost) {
                    bestCost = c;
                    best = a;
                }
            }
            if (++inBlock == m_block) {
                if (best != NoEdge)
                    return best;
                inBlock = 0;
            }
        }
        return best;
    }

    bool pivot(std::uint32_t in) {
        NodeId u = m_src[in], v = m_dst[in];
        // The apex: an ancestor has a strictly larger subtree, so the smaller side climbs.
        NodeId x = u, y = v;
        while (x != y) {
            if (m_t[x].size < m_t[y].size)
                x = m_t[x].parent;
            else
                y = m_t[y].parent;
        }
        NodeId join = x;
        // Flow goes u -> v on the entering arc, v up to the apex, apex down to u. Blocking
        // arcs are those the cycle traverses backwards; take the last one from the apex.
        constexpr std::int64_t Inf = std::numeric_limits<std::int64_t>::max();
        std::int64_t theta = Inf;
        NodeId leave = NoNode;
        bool leaveOnU = false;
        for (NodeId w = u; w != join; w = m_t[w].parent) {
            std::uint32_t a = m_t[w].pred;
            if (m_src[a] == w && m_flow[a] < theta) {
                theta = m_flow[a];
                leave = w;
                leaveOnU = true;
            }
        }
        for (NodeId w = v; w != join; w = m_t[w].parent) {
            std::uint32_t a = m_t[w].pred;
            if (m_dst[a] == w && m_flow[a] <= theta) {
                theta = m_flow[a];
                leave = w;
                leaveOnU = false;
            }
        }
        if (leave == NoNode)
            return false; // unbounded: impossible for an acyclic graph
        for (NodeId w = u; w != join; w = m_t[w].parent) {
            std::uint32_t a = m_t[w].pred;
            m_flow[a] += m_src[a] == w ? -theta : theta;
        }
        for (NodeId w = v; w != join; w = m_t[w].parent) {
            std::uint32_t a = m_t[w].pred;
            m_flow[a] += m_dst[a] == w ? -theta : theta;
        }
        m_flow[in] += theta;
        // Re-hang the subtree S below the leaving arc from the entering arc: subtree sizes
        // change on the two paths to the apex and along the reversed path inside S.
        std::int64_t rc = reducedCost(in);
        NodeId q = leaveOnU ? u : v, p = leaveOnU ? v : u;
        std::int64_t delta = q == u ? rc : -rc;
        std::uint32_t s = m_t[leave].size;
        for (NodeId w = m_t[leave].parent; w != join; w = m_t[w].parent)
            m_t[w].size -= s;
        for (NodeId w = p; w != join; w = m_t[w].parent)
            m_t[w].size += s;
        m_inTree[m_t[leave].pred] = 0;
        m_inTree[in] = 1;
        NodeId newParent = p;
        std::uint32_t newPred = in;
        std::uint32_t belowSize = 0; // old size of the previous path node
        for (NodeId w = q;;) {
            NodeId oldParent = m_t[w].parent;
            std::uint32_t oldPred = m_t[w].pred;
            std::uint32_t oldSize = m_t[w].size;
            detach(w);
            attach(w, newParent);
            m_t[w].pred = newPred;
            m_t[w].size = s - belowSize;
            if (w == leave)
                break;
            belowSize = oldSize;
            newParent = w;
            newPred = oldPred;
            w = oldParent;
        }
        // Potentials: shift S by delta, or everything else by -delta when that is smaller.
        m_stack.clear();
        bool inside = 2 * static_cast<std::uint64_t>(s) <= m_k + 1;
        m_stack.push_back(inside ? q : m_k);
        std::int64_t d = inside ? delta : -delta;
        while (!m_stack.empty()) {
            NodeId w = m_stack.back();
            m_stack.pop_back();
            m_t[w].pi += d;
            for (NodeId c = m_t[w].firstChild; c != NoNode; c = m_t[c].next)
                if (inside || c != q)
                    m_stack.push_back(c);
        }
        return true;
    }

    void attach(NodeId v, NodeId parent) {
        m_t[v].parent = parent;
        m_t[v].prev = NoNode;
        m_t[v].next = m_t[parent].firstChild;
        if (m_t[v].next != NoNode)
            m_t[m_t[v].next].prev = v;
        m_t[parent].firstChild = v;
    }

    void detach(NodeId v) {
        NodeId p = m_t[v].parent;
        if (p == NoNode)
            return;
        if (m_t[v].prev != NoNode)
            m_t[m_t[v].prev].next = m_t[v].next;
        else
            m_t[p].firstChild = m_t[v].next;
        if (m_t[v].next != NoNode)
            m_t[m_t[v].next].prev = m_t[v].prev;
        m_t[v].parent = NoNode;
    }

    NodeId m_k;
    std::uint32_t m_real;
    std::vector<NodeId> m_src, m_dst;
    /// Per node, what a pivot touches together (one cache line instead of seven arrays).
    struct TreeNode {
        std::int64_t pi = 0; ///< potential
        NodeId parent = NoNode, firstChild = NoNode, next = NoNode, prev = NoNode;
        std::uint32_t size = 1;      ///< nodes in the subtree
        std::uint32_t pred = NoEdge; ///< tree arc to the parent
    };

    std::vector<std::int64_t> m_cost, m_flow;
    std::vector<TreeNode> m_t;
    std::vector<std::uint8_t> m_inTree;
    std::vector<NodeId> m_stack;
    std::uint32_t m_block = 10, m_nextArc = 0;
};

} // namespace

// [SECTION] problem reduction

/// The ranking problem with trees and chains taken out: a node with one edge sits at that
/// edge's minimum length from its neighbour; a node with one in-edge and one out-edge
/// (weights w1, w2, lengths l1, l2) lies on an edge of weight min(w1, w2) and length
/// l1 + l2 and sits next to the heavier side. Both are exact: the optimum of the core
/// extends to an optimum of the whole. Cuts the simplex's work on tree-like graphs.
struct Reduction {
    std::vector<NodeId> coreNodes; ///< core id -> node
    std::vector<Span> coreEdges;   ///< in core ids
    struct Removed {
        NodeId v, anchor;
        std::int32_t offset; ///< rank(v) = rank(anchor) + offset
    };
    std::vector<Removed> log; ///< in removal order
};

Reduction reduce(NodeId n, const std::vector<LEdge>& edges) {
    std::vector<Span> es;
    es.reserve(edges.size());
    for (const LEdge& e : edges)
        es.push_back({e.tail, e.head, e.weight, 1});
    std::vector<std::uint8_t> dead(es.size(), 0), removed(n, 0);
    std::vector<std::uint32_t> in(n, 0), out(n, 0);
    // Incidence lists in one pool (entries are never freed; dead edges are skipped).
    std::vector<std::uint32_t> head(n, NoEdge), next, edgeOf;
    auto link = [&](NodeId v, std::uint32_t e) {
        edgeOf.push_back(e);
        next.push_back(head[v]);
        head[v] = static_cast<std::uint32_t>(edgeOf.size() - 1);
    };
    for (std::uint32_t e = 0; e < es.size(); ++e) {
        link(es[e].tail, e);
        link(es[e].head, e);
        ++out[es[e].tail];
        ++in[es[e].head];
    }
    Reduction r;
    std::vector<NodeId> queue(n);
    for (NodeId v = 0; v < n; ++v)
        queue[v] = v;
    for (std::size_t q = 0; q < queue.size(); ++q) {
        NodeId v = queue[q];
        if (removed[v] || in[v] + out[v] == 0 || in[v] + out[v] > 2)
            continue;
        std::uint32_t eIn = NoEdge, eOut = NoEdge;
        for (std::uint32_t i = head[v]; i != NoEdge; i = next[i]) {
            std::uint32_t e = edgeOf[i];
            if (dead[e])
                continue;
            (es[e].head == v ? eIn : eOut) = e;
        }
        if (in[v] + out[v] == 1) {
            std::uint32_t e = eIn != NoEdge ? eIn : eOut;
            NodeId other = eIn != NoEdge ? es[e].tail : es[e].head;
            r.log.push_back({v, other, eIn != NoEdge ? es[e].minlen : -es[e].minlen});
            dead[e] = 1;
            --(eIn != NoEdge ? out[other] : in[other]);
            removed[v] = 1;
            queue.push_back(other);
        } else if (in[v] == 1 && out[v] == 1) {
            const Span a = es[eIn], b = es[eOut];
            if (a.tail == b.head)
                continue; // a 2-cycle; cannot happen in an acyclic graph
            bool nearTail = a.weight >= b.weight;
            r.log.push_back({v, nearTail ? a.tail : b.head, nearTail ? a.minlen : -b.minlen});
            dead[eIn] = dead[eOut] = 1;
            removed[v] = 1;
            es.push_back({a.tail, b.head, std::min(a.weight, b.weight), a.minlen + b.minlen});
            dead.push_back(0);
            link(a.tail, static_cast<std::uint32_t>(es.size() - 1));
            link(b.head, static_cast<std::uint32_t>(es.size() - 1));
        }
    }
    std::vector<NodeId> coreId(n, NoNode);
    for (NodeId v = 0; v < n; ++v) {
        if (!removed[v]) {
            coreId[v] = static_cast<NodeId>(r.coreNodes.size());
            r.coreNodes.push_back(v);
        }
    }
    for (std::uint32_t e = 0; e < es.size(); ++e)
        if (!dead[e])
            r.coreEdges.push_back(
                {coreId[es[e].tail], coreId[es[e].head], es[e].weight, es[e].minlen});
    return r;
}

/// Makes potentials feasible (head >= tail + minlen) by one pass in topological order.
void repair(NodeId k, const std::vector<Span>& edges, std::vector<std::int64_t>& pi) {
    std::vector<std::uint32_t> start(k + 1, 0), deg(k, 0);
    for (const Span& e : edges) {
        ++start[e.tail + 1];
        ++deg[e.head];
    }
    for (NodeId v = 0; v < k; ++v)
        start[v + 1] += start[v];
    std::vector<std::uint32_t> outs(edges.size()), fill(start.begin(), start.end() - 1);
    for (std::uint32_t i = 0; i < edges.size(); ++i)
        outs[fill[edges[i].tail]++] = i;
    std::vector<NodeId> queue;
    for (NodeId v = 0; v < k; ++v)
        if (deg[v] == 0)
            queue.push_back(v);
    for (std::size_t q = 0; q < queue.size(); ++q) {
        NodeId v = queue[q];
        for (std::uint32_t i = start[v]; i < start[v + 1]; ++i) {
            const Span& e = edges[outs[i]];
            pi[e.head] = std::max(pi[e.head], pi[v] + e.minlen);
            if (--deg[e.head] == 0)
                queue.push_back(e.head);
        }
    }
}

// [SECTION] components and balancing

std::vector<std::int32_t> rankNetworkSimplex(NodeId n, const std::vector<LEdge>& edges,
                                             std::uint32_t maxPivots, RankStats& stats) {
    // Connected components (undirected), numbered by their lowest node.
    std::vector<NodeId> comp(n);
    for (NodeId v = 0; v < n; ++v)
        comp[v] = v;
    auto find = [&comp](NodeId v) {
        while (comp[v] != v) {
            comp[v] = comp[comp[v]];
            v = comp[v];
        }
        return v;
    };
    for (const LEdge& e : edges) {
        NodeId a = find(e.tail), b = find(e.head);
        if (a != b)
            comp[std::max(a, b)] = std::min(a, b);
    }
    for (NodeId v = 0; v < n; ++v)
        comp[v] = find(v);

    // One simplex for the reduced problem of all components (the artificial root joins
    // them); without convergence its potentials are repaired into a feasible ranking.
    Reduction red = reduce(n, edges);
    NodeId k = static_cast<NodeId>(red.coreNodes.size());
    NetworkSimplex ns(k, red.coreEdges);
    bool converged = false;
    stats.pivots = ns.run(maxPivots, converged);
    stats.coreNodes = k;
    std::vector<std::int64_t> core(k);
    for (NodeId i = 0; i < k; ++i)
        core[i] = ns.potential(i);
    if (!converged)
        repair(k, red.coreEdges, core);
    std::vector<std::int64_t> pi(n, 0);
    for (NodeId i = 0; i < k; ++i)
        pi[red.coreNodes[i]] = core[i];
    for (auto it = red.log.rbegin(); it != red.log.rend(); ++it)
        pi[it->v] = pi[it->anchor] + it->offset;
    // Each component starts at layer 0.
    std::vector<std::int64_t> lowest(n, std::numeric_limits<std::int64_t>::max());
    for (NodeId v = 0; v < n; ++v)
        lowest[comp[v]] = std::min(lowest[comp[v]], pi[v]);
    std::vector<std::int32_t> rank(n, 0);
    for (NodeId v = 0; v < n; ++v)
        rank[v] = static_cast<std::int32_t>(pi[v] - lowest[comp[v]]);

    // Balance: a node with equal in and out weight may sit on any layer between its
    // parents and children at the same cost; put it on the least populated one.
    std::int32_t top = 0;
    for (NodeId v = 0; v < n; ++v)
        top = std::max(top, rank[v]);
    std::vector<std::uint32_t> count(top + 1, 0);
    for (NodeId v = 0; v < n; ++v)
        ++count[rank[v]];
    std::vector<std::int64_t> bal(n, 0);
    std::vector<std::uint32_t> outStart(n + 1, 0), inStart(n + 1, 0);
    for (const LEdge& e : edges) {
        bal[e.tail] += e.weight;
        bal[e.head] -= e.weight;
        ++outStart[e.tail + 1];
        ++inStart[e.head + 1];
    }
    for (NodeId v = 0; v < n; ++v) {
        outStart[v + 1] += outStart[v];
        inStart[v + 1] += inStart[v];
    }
    std::vector<NodeId> outs(edges.size()), ins(edges.size());
    std::vector<std::uint32_t> fo(outStart.begin(), outStart.end() - 1),
        fi(inStart.begin(), inStart.end() - 1);
    for (const LEdge& e : edges) {
        outs[fo[e.tail]++] = e.head;
        ins[fi[e.head]++] = e.tail;
    }
    for (NodeId v = 0; v < n; ++v) {
        if (bal[v] != 0 || inStart[v] == inStart[v + 1] || outStart[v] == outStart[v + 1])
            continue;
        std::int32_t lo = 0, hi = top;
        for (std::uint32_t i = inStart[v]; i < inStart[v + 1]; ++i)
            lo = std::max(lo, rank[ins[i]] + 1);
        for (std::uint32_t i = outStart[v]; i < outStart[v + 1]; ++i)
            hi = std::min(hi, rank[outs[i]] - 1);
        std::int32_t best = rank[v];
        for (std::int32_t r = lo; r <= hi; ++r)
            if (count[r] < count[best])
                best = r;
        --count[rank[v]];
        ++count[best];
        rank[v] = best;
    }
    return rank;
}

} // namespace waitscope::layouts::layered
