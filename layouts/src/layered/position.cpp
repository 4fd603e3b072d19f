// Coordinate assignment: Brandes and Köpf, "Fast and Simple Horizontal Coordinate
// Assignment" (GD 2001), with block-graph compaction; least-squares placement for stable
// layouts; cluster columns.
// [SECTION] separations and type-1 conflicts
// [SECTION] vertical alignment and horizontal compaction
// [SECTION] balancing the four layouts
// [SECTION] closest feasible placement (stability)
// [SECTION] cluster columns
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "layered.hpp"

namespace waitscope::layouts::layered {

// [SECTION] separations and type-1 conflicts

double separation(const Proper& g, NodeId a, NodeId b, const LayeredOptions& o) {
    bool real = g.isReal(a) && g.isReal(b);
    return (g.width[a] + g.width[b]) / 2.0 + (real ? o.nodeGap : o.edgeGap);
}

namespace {

constexpr double Inf = std::numeric_limits<double>::infinity();

class BrandesKoepf {
public:
    BrandesKoepf(const Proper& g, const Ordering& ord, const LayeredOptions& o)
        : m_g(g), m_ord(ord), m_o(o) {
        sortNeighbours(g.upStart, g.up, m_up);
        sortNeighbours(g.downStart, g.down, m_down);
        markConflicts();
    }

    std::vector<double> run() {
        NodeId n = m_g.size();
        std::array<std::vector<double>, 4> xs;
        for (int k = 0; k < 4; ++k) {
            bool up = k < 2, leftToRight = k % 2 == 0;
            align(up, leftToRight);
            xs[k] = compact(leftToRight);
        }
        // Align the four to the narrowest: left ones by their min, right ones by their max.
        std::array<double, 4> lo{}, hi{};
        int narrowest = 0;
        for (int k = 0; k < 4; ++k) {
            lo[k] = Inf;
            hi[k] = -Inf;
            for (NodeId v = 0; v < n; ++v) {
                lo[k] = std::min(lo[k], xs[k][v] - m_g.width[v] / 2.0);
                hi[k] = std::max(hi[k], xs[k][v] + m_g.width[v] / 2.0);
            }
            if (hi[k] - lo[k] < hi[narrowest] - lo[narrowest])
                narrowest = k;
        }
        std::vector<double> x(n, 0.0);
        for (NodeId v = 0; v < n; ++v) {
            std::array<double, 4> c{};
            for (int k = 0; k < 4; ++k)
                c[k] = xs[k][v] + (k % 2 == 0 ? lo[narrowest] - lo[k] : hi[narrowest] - hi[k]);
            std::sort(c.begin(), c.end());
            x[v] = (c[1] + c[2]) / 2.0;
        }
        return x;
    }

private:
    /// Copies an adjacency with each list sorted by position in the neighbouring layer.
    void sortNeighbours(const std::vector<std::uint32_t>& start, const std::vector<NodeId>& adj,
                        std::vector<NodeId>& out) {
        out = adj;
        for (NodeId v = 0; v < m_g.size(); ++v)
            std::sort(out.begin() + start[v], out.begin() + start[v + 1],
                      [this](NodeId a, NodeId b) { return m_ord.pos[a] < m_ord.pos[b]; });
    }

    bool isDummy(NodeId v) const { return !m_g.isReal(v) && !m_g.filler[v]; }

    /// Type-1 conflicts: a segment that is not between two dummies (not inner) and crosses
    /// an inner segment is marked, so long edges stay straight (Brandes-Köpf Alg. 1).
    void markConflicts() {
        m_markedUp.assign(m_up.size(), 0); // by index into the lower item's up list
        for (std::int32_t l = 1; l + 1 < m_g.layerCount; ++l) {
            std::uint32_t b = m_ord.layerStart[l + 1], e = m_ord.layerStart[l + 2];
            std::uint32_t upper = m_ord.layerStart[l + 1] - m_ord.layerStart[l];
            std::uint32_t k0 = 0, scan = b;
            for (std::uint32_t i = b; i < e; ++i) {
                NodeId v = m_ord.order[i];
                NodeId innerUpper = NoNode;
                if (isDummy(v))
                    for (std::uint32_t k = m_g.upStart[v]; k < m_g.upStart[v + 1]; ++k)
                        if (isDummy(m_up[k]))
                            innerUpper = m_up[k];
                if (i + 1 == e || innerUpper != NoNode) {
                    std::uint32_t k1 = innerUpper != NoNode ? m_ord.pos[innerUpper] : upper - 1;
                    for (; scan <= i; ++scan) {
                        NodeId w = m_ord.order[scan];
                        for (std::uint32_t k = m_g.upStart[w]; k < m_g.upStart[w + 1]; ++k) {
                            std::uint32_t p = m_ord.pos[m_up[k]];
                            if ((p < k0 || p > k1) && !(isDummy(w) && isDummy(m_up[k])))
                                m_markedUp[k] = 1;
                        }
                    }
                    k0 = k1;
                }
            }
        }
    }

    bool marked(NodeId upper, NodeId lower) const {
        for (std::uint32_t k = m_g.upStart[lower]; k < m_g.upStart[lower + 1]; ++k)
            if (m_up[k] == upper)
                return m_markedUp[k] != 0;
        return false;
    }

    // [SECTION] vertical alignment and horizontal compaction

    /// Items of layer l in processing order.
    NodeId at(std::int32_t l, std::uint32_t i, bool leftToRight) const {
        std::uint32_t b = m_ord.layerStart[l], e = m_ord.layerStart[l + 1];
        return leftToRight ? m_ord.order[b + i] : m_ord.order[e - 1 - i];
    }

    void align(bool up, bool leftToRight) {
        NodeId n = m_g.size();
        m_root.resize(n);
        m_align.resize(n);
        for (NodeId v = 0; v < n; ++v)
            m_root[v] = m_align[v] = v;
        const auto& start = up ? m_g.upStart : m_g.downStart;
        const auto& adj = up ? m_up : m_down;
        for (std::int32_t s = 1; s < m_g.layerCount; ++s) {
            std::int32_t l = up ? s : m_g.layerCount - 1 - s;
            std::int64_t r = leftToRight ? -1 : std::numeric_limits<std::int64_t>::max();
            std::uint32_t size = m_ord.layerStart[l + 1] - m_ord.layerStart[l];
            for (std::uint32_t i = 0; i < size; ++i) {
                NodeId v = at(l, i, leftToRight);
                std::uint32_t b = start[v], d = start[v + 1] - b;
                if (d == 0)
                    continue;
                for (std::uint32_t m : {(d - 1) / 2, d / 2}) {
                    if (m_align[v] != v)
                        break;
                    NodeId u = adj[b + (leftToRight ? m : d - 1 - m)];
                    bool isMarked = up ? marked(u, v) : marked(v, u);
                    std::int64_t pu = m_ord.pos[u];
                    if (!isMarked && (leftToRight ? r < pu : r > pu)) {
                        m_align[u] = v;
                        m_root[v] = m_root[u];
                        m_align[v] = m_root[v];
                        r = pu;
                    }
                }
            }
        }
    }

    /// Block graph compaction: blocks (aligned chains) packed to the left by a longest path
    /// over "left neighbour in some layer" constraints, then each block pulled right as far
    /// as its right neighbours allow. Returns x in the canonical (left-to-right) frame.
    std::vector<double> compact(bool leftToRight) {
        NodeId n = m_g.size();
        m_blockStart.assign(n + 1, 0);
        m_blockEdges.clear();
        for (std::int32_t l = 0; l < m_g.layerCount; ++l) {
            std::uint32_t size = m_ord.layerStart[l + 1] - m_ord.layerStart[l];
            for (std::uint32_t i = 1; i < size; ++i) {
                NodeId a = at(l, i - 1, leftToRight), b = at(l, i, leftToRight);
                m_blockEdges.push_back({m_root[a], m_root[b], separation(m_g, a, b, m_o)});
            }
        }
        for (const BlockEdge& e : m_blockEdges)
            ++m_blockStart[e.from + 1];
        for (NodeId v = 0; v < n; ++v)
            m_blockStart[v + 1] += m_blockStart[v];
        m_succ.resize(m_blockEdges.size());
        std::vector<std::uint32_t> fill(m_blockStart.begin(), m_blockStart.end() - 1);
        std::vector<std::uint32_t> inDeg(n, 0);
        for (std::uint32_t i = 0; i < m_blockEdges.size(); ++i) {
            m_succ[fill[m_blockEdges[i].from]++] = i;
            ++inDeg[m_blockEdges[i].to];
        }
        std::vector<NodeId> topo;
        topo.reserve(n);
        for (NodeId v = 0; v < n; ++v)
            if (m_root[v] == v && inDeg[v] == 0)
                topo.push_back(v);
        std::vector<double> xb(n, 0.0);
        for (std::size_t h = 0; h < topo.size(); ++h) {
            NodeId b = topo[h];
            for (std::uint32_t k = m_blockStart[b]; k < m_blockStart[b + 1]; ++k) {
                const BlockEdge& e = m_blockEdges[m_succ[k]];
                xb[e.to] = std::max(xb[e.to], xb[b] + e.sep);
                if (--inDeg[e.to] == 0)
                    topo.push_back(e.to);
            }
        }
        for (std::size_t h = topo.size(); h-- > 0;) {
            NodeId b = topo[h];
            double m = Inf;
            for (std::uint32_t k = m_blockStart[b]; k < m_blockStart[b + 1]; ++k) {
                const BlockEdge& e = m_blockEdges[m_succ[k]];
                m = std::min(m, xb[e.to] - e.sep);
            }
            if (m != Inf && m > xb[b])
                xb[b] = m;
        }
        std::vector<double> x(n);
        for (NodeId v = 0; v < n; ++v)
            x[v] = leftToRight ? xb[m_root[v]] : -xb[m_root[v]];
        return x;
    }

    struct BlockEdge {
        NodeId from, to;
        double sep;
    };

    const Proper& m_g;
    const Ordering& m_ord;
    const LayeredOptions& m_o;
    std::vector<NodeId> m_up, m_down, m_root, m_align;
    std::vector<std::uint8_t> m_markedUp;
    std::vector<BlockEdge> m_blockEdges;
    std::vector<std::uint32_t> m_blockStart, m_succ;
};

} // namespace

// [SECTION] balancing the four layouts

std::vector<double> brandesKoepf(const Proper& g, const Ordering& ord, const LayeredOptions& o) {
    return BrandesKoepf(g, ord, o).run();
}

// [SECTION] closest feasible placement (stability)

std::vector<double> closestFeasible(const Proper& g, const Ordering& ord,
                                    const std::vector<double>& desired,
                                    const std::vector<double>& weight, const LayeredOptions& o) {
    std::vector<double> x(g.size(), 0.0);
    struct Block {
        double sum, weight;
        std::uint32_t count;
    };
    std::vector<Block> blocks;
    std::vector<double> offset;
    for (std::int32_t l = 0; l < g.layerCount; ++l) {
        std::uint32_t b = ord.layerStart[l], e = ord.layerStart[l + 1];
        // y_i = x_i - S_i turns the separations into y non-decreasing: isotonic regression.
        offset.assign(e - b, 0.0);
        for (std::uint32_t i = b + 1; i < e; ++i)
            offset[i - b] = offset[i - b - 1] + separation(g, ord.order[i - 1], ord.order[i], o);
        blocks.clear();
        for (std::uint32_t i = b; i < e; ++i) {
            NodeId v = ord.order[i];
            double w = weight[v];
            blocks.push_back({w * (desired[v] - offset[i - b]), w, 1});
            while (blocks.size() > 1) {
                Block& prev = blocks[blocks.size() - 2];
                Block& cur = blocks.back();
                if (prev.sum / prev.weight <= cur.sum / cur.weight)
                    break;
                prev = {prev.sum + cur.sum, prev.weight + cur.weight, prev.count + cur.count};
                blocks.pop_back();
            }
        }
        std::uint32_t i = b;
        for (const Block& blk : blocks) {
            double y = blk.sum / blk.weight;
            for (std::uint32_t k = 0; k < blk.count; ++k, ++i)
                x[ord.order[i]] = y + offset[i - b];
        }
    }
    return x;
}

// [SECTION] cluster columns

void separateClusters(const Proper& g, const Ordering& ord, const LayeredOptions& o,
                      std::vector<double>& x, std::vector<std::pair<double, double>>& columns) {
    NodeId n = g.size();
    std::uint32_t clusterCount = 0;
    for (NodeId v = 0; v < n; ++v)
        if (g.cluster[v] != NoCluster)
            clusterCount = std::max(clusterCount, g.cluster[v] + 1);
    columns.assign(clusterCount, {NAN, NAN});
    if (clusterCount == 0)
        return;
    // Variables: items, then a left and a right border per cluster.
    std::uint32_t vars = n + 2 * clusterCount;
    auto leftOf = [n](std::uint32_t c) { return n + 2 * c; };
    auto rightOf = [n](std::uint32_t c) { return n + 2 * c + 1; };
    std::vector<double> want(vars, -Inf);
    for (NodeId v = 0; v < n; ++v) {
        want[v] = x[v];
        std::uint32_t c = g.cluster[v];
        if (c != NoCluster)
            want[leftOf(c)] =
                want[leftOf(c)] == -Inf
                    ? x[v] - g.width[v] / 2.0 - o.clusterPadding
                    : std::min(want[leftOf(c)], x[v] - g.width[v] / 2.0 - o.clusterPadding);
    }
    struct Constraint {
        std::uint32_t from, to;
        double gap;
    };
    std::vector<Constraint> cons;
    auto halfWidth = [&](std::uint32_t v) { return v < n ? g.width[v] / 2.0 : 0.0; };
    for (std::int32_t l = 0; l < g.layerCount; ++l) {
        std::uint32_t prev = NoNode; // last variable placed in this layer
        std::uint32_t open = NoCluster;
        for (std::uint32_t i = ord.layerStart[l]; i < ord.layerStart[l + 1]; ++i) {
            NodeId v = ord.order[i];
            std::uint32_t c = g.cluster[v];
            if (open != NoCluster && c != open) {
                cons.push_back({prev, rightOf(open), halfWidth(prev) + o.clusterPadding});
                prev = rightOf(open);
                open = NoCluster;
            }
            if (c != NoCluster && c != open) {
                if (prev != NoNode)
                    cons.push_back({prev, leftOf(c), halfWidth(prev) + o.nodeGap});
                cons.push_back({leftOf(c), v, o.clusterPadding + g.width[v] / 2.0});
                open = c;
            } else if (prev != NoNode) {
                double gap = prev < n ? separation(g, prev, v, o) : o.nodeGap + g.width[v] / 2.0;
                cons.push_back({prev, v, gap});
            }
            prev = v;
        }
        if (open != NoCluster)
            cons.push_back({prev, rightOf(open), halfWidth(prev) + o.clusterPadding});
    }
    for (std::uint32_t c = 0; c < clusterCount; ++c)
        if (want[leftOf(c)] != -Inf)
            cons.push_back({leftOf(c), rightOf(c), 2.0 * o.clusterPadding});
    // Push right in topological order (the cluster order is the same in every layer, so
    // the constraints are acyclic; anything left over is taken in index order).
    std::vector<std::uint32_t> start(vars + 1, 0), inDeg(vars, 0);
    for (const Constraint& k : cons) {
        ++start[k.from + 1];
        ++inDeg[k.to];
    }
    for (std::uint32_t v = 0; v < vars; ++v)
        start[v + 1] += start[v];
    std::vector<std::uint32_t> out(cons.size()), fill(start.begin(), start.end() - 1);
    for (std::uint32_t i = 0; i < cons.size(); ++i)
        out[fill[cons[i].from]++] = i;
    std::vector<double> pos = want;
    std::vector<std::uint8_t> done(vars, 0);
    std::vector<std::uint32_t> queue;
    for (std::uint32_t v = 0; v < vars; ++v)
        if (inDeg[v] == 0)
            queue.push_back(v);
    std::uint32_t nextForced = 0;
    for (std::size_t h = 0;; ++h) {
        if (h == queue.size()) {
            while (nextForced < vars && done[nextForced])
                ++nextForced;
            if (nextForced == vars)
                break;
            queue.push_back(nextForced); // only on a (not expected) cycle
        }
        std::uint32_t v = queue[h];
        if (done[v])
            continue;
        done[v] = 1;
        if (pos[v] == -Inf)
            pos[v] = 0.0;
        for (std::uint32_t k = start[v]; k < start[v + 1]; ++k) {
            const Constraint& c = cons[out[k]];
            pos[c.to] = std::max(pos[c.to], pos[v] + c.gap);
            if (--inDeg[c.to] == 0)
                queue.push_back(c.to);
        }
    }
    for (NodeId v = 0; v < n; ++v)
        x[v] = pos[v];
    for (std::uint32_t c = 0; c < clusterCount; ++c)
        if (want[leftOf(c)] != -Inf)
            columns[c] = {pos[leftOf(c)], pos[rightOf(c)]};
}

} // namespace waitscope::layouts::layered
