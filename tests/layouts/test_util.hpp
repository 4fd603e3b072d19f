// Test helpers: a portable PRNG, random trees and graphs, overlap checks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <waitscope/layouts/graph.hpp>
#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts::test {

/// SplitMix64: the same sequence on every platform (std distributions are not portable).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_s(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (m_s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n).
    std::uint32_t below(std::uint32_t n) {
        return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
    }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }

private:
    std::uint64_t m_s;
};

/// Parent array of a random recursive tree (parent of i uniform in [0, i)), or, with
/// `fanoutBias`, one biased towards recent nodes (deeper trees).
inline std::vector<NodeId> randomParents(NodeId n, Rng& rng, bool deep = false) {
    std::vector<NodeId> parent(n, NoNode);
    for (NodeId v = 1; v < n; ++v) {
        if (deep) {
            NodeId span = std::min<NodeId>(v, 8);
            parent[v] = v - 1 - rng.below(span);
        } else {
            parent[v] = rng.below(v);
        }
    }
    return parent;
}

/// A binary search tree from inserting random keys: left/right arrays and the root; node
/// ids are insertion order, `key[v]` its key.
struct Bst {
    std::vector<NodeId> left, right;
    std::vector<std::uint64_t> key;
    NodeId root = NoNode;

    void insert(std::uint64_t k) {
        NodeId v = static_cast<NodeId>(key.size());
        key.push_back(k);
        left.push_back(NoNode);
        right.push_back(NoNode);
        if (root == NoNode) {
            root = v;
            return;
        }
        NodeId c = root;
        for (;;) {
            NodeId& slot = k < key[c] ? left[c] : right[c];
            if (slot == NoNode) {
                slot = v;
                return;
            }
            c = slot;
        }
    }
    /// Node ids in key order.
    std::vector<NodeId> inOrder() const {
        std::vector<NodeId> out, stack;
        NodeId c = root;
        while (c != NoNode || !stack.empty()) {
            while (c != NoNode) {
                stack.push_back(c);
                c = left[c];
            }
            c = stack.back();
            stack.pop_back();
            out.push_back(c);
            c = right[c];
        }
        return out;
    }
};

inline Bst randomBst(NodeId n, Rng& rng) {
    Bst b;
    for (NodeId i = 0; i < n; ++i)
        b.insert(rng.next());
    return b;
}

/// Every pair of node boxes overlapping by more than eps, up to `limit` (sweep over x).
inline std::size_t countOverlaps(const LayoutResult& r, double eps = 1e-6, std::size_t limit = 10) {
    std::vector<std::uint32_t> idx(r.positions.size());
    for (std::uint32_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
    auto left = [&](std::uint32_t v) { return r.positions[v].x - r.sizes[v].width / 2.0; };
    auto right = [&](std::uint32_t v) { return r.positions[v].x + r.sizes[v].width / 2.0; };
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return left(a) < left(b); });
    std::size_t found = 0;
    std::vector<std::uint32_t> active;
    for (std::uint32_t v : idx) {
        std::erase_if(active, [&](std::uint32_t a) { return right(a) <= left(v) + eps; });
        for (std::uint32_t a : active) {
            double top = std::max(r.positions[a].y - r.sizes[a].height / 2.0,
                                  r.positions[v].y - r.sizes[v].height / 2.0);
            double bottom = std::min(r.positions[a].y + r.sizes[a].height / 2.0,
                                     r.positions[v].y + r.sizes[v].height / 2.0);
            if (bottom - top > eps && ++found >= limit)
                return found;
        }
        active.push_back(v);
    }
    return found;
}

/// The result's geometry as bytes (positions, edges, boxes, markers, arcs; not timings).
inline std::string geometryBytes(const LayoutResult& r) {
    std::string s;
    auto put = [&s](const void* p, std::size_t n) { s.append(static_cast<const char*>(p), n); };
    put(r.positions.data(), r.positions.size() * sizeof(Point));
    put(r.sizes.data(), r.sizes.size() * sizeof(Size));
    put(r.layers.data(), r.layers.size() * sizeof(std::int32_t));
    put(r.edgeStart.data(), r.edgeStart.size() * sizeof(std::uint32_t));
    put(r.edgePoints.data(), r.edgePoints.size() * sizeof(Point));
    for (const ClusterBox& c : r.clusters) {
        put(&c.cluster, sizeof c.cluster);
        put(&c.box, sizeof c.box);
    }
    for (const Marker& m : r.markers) {
        put(&m.kind, sizeof m.kind);
        put(&m.owner, sizeof m.owner);
        put(&m.at, sizeof m.at);
    }
    for (const Arc& a : r.arcs) {
        put(&a.centre, sizeof a.centre);
        put(&a.radius, sizeof a.radius);
        put(&a.startAngle, sizeof a.startAngle);
        put(&a.sweep, sizeof a.sweep);
    }
    put(&r.bounds, sizeof r.bounds);
    return s;
}

} // namespace waitscope::layouts::test

namespace waitscope::layouts::test {

/// Crossings of a layered drawing as drawn (the method of ../shared/bench/crossings.py,
/// "spline" count, for polylines): ranks are the distinct node ys; an edge spanning ranks
/// gets the x where its polyline crosses each rank between; two segments between ranks r
/// and r+1 cross when their ends are in strictly opposite order. O(k log k) per gap.
inline std::uint64_t drawnCrossings(const Graph& g, const LayoutResult& r) {
    std::vector<double> ys;
    for (const Point& p : r.positions)
        ys.push_back(p.y);
    std::sort(ys.begin(), ys.end());
    ys.erase(std::unique(ys.begin(), ys.end(), [](double a, double b) { return b - a < 0.72; }),
             ys.end());
    auto rankOf = [&](double y) {
        return static_cast<std::size_t>(std::lower_bound(ys.begin(), ys.end(), y - 0.72) -
                                        ys.begin());
    };
    auto xAt = [](std::span<const Point> pts, double y, double fallback) {
        for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
            double y0 = pts[i].y, y1 = pts[i + 1].y;
            if (y0 != y1 && (y0 - y) * (y1 - y) <= 0)
                return pts[i].x + (pts[i + 1].x - pts[i].x) * (y - y0) / (y1 - y0);
        }
        return fallback;
    };
    std::vector<std::vector<std::pair<double, double>>> gaps(ys.size());
    for (std::size_t e = 0; e < g.edges.size(); ++e) {
        NodeId a = g.edges[e].from, b = g.edges[e].to;
        std::size_t ra = rankOf(r.positions[a].y), rb = rankOf(r.positions[b].y);
        if (ra == rb)
            continue;
        if (ra > rb) {
            std::swap(a, b);
            std::swap(ra, rb);
        }
        double prev = r.positions[a].x;
        for (std::size_t k = ra + 1; k <= rb; ++k) {
            double x = k == rb ? r.positions[b].x
                               : xAt(r.edge(e), ys[k],
                                     r.positions[a].x + (r.positions[b].x - r.positions[a].x) *
                                                            (ys[k] - ys[ra]) / (ys[rb] - ys[ra]));
            gaps[k - 1].push_back({prev, x});
            prev = x;
        }
    }
    // Per gap: pairs with a1 < a2 and b1 > b2 (strict), by a Fenwick tree over the b ranks,
    // inserting each group of equal a only after querying it.
    std::uint64_t c = 0;
    for (auto& gap : gaps) {
        std::sort(gap.begin(), gap.end());
        std::vector<double> bs;
        for (const auto& s : gap)
            bs.push_back(s.second);
        std::sort(bs.begin(), bs.end());
        bs.erase(std::unique(bs.begin(), bs.end()), bs.end());
        std::vector<std::uint64_t> tree(bs.size() + 1, 0);
        auto rank = [&](double b) {
            return static_cast<std::size_t>(std::lower_bound(bs.begin(), bs.end(), b) -
                                            bs.begin()) +
                   1;
        };
        std::uint64_t inserted = 0;
        for (std::size_t i = 0; i < gap.size();) {
            std::size_t j = i;
            while (j < gap.size() && gap[j].first == gap[i].first)
                ++j;
            for (std::size_t k = i; k < j; ++k) {
                std::uint64_t atMost = 0; // inserted with b <= this b
                for (std::size_t x = rank(gap[k].second); x > 0; x -= x & (~x + 1))
                    atMost += tree[x];
                c += inserted - atMost;
            }
            for (std::size_t k = i; k < j; ++k) {
                for (std::size_t x = rank(gap[k].second); x < tree.size(); x += x & (~x + 1))
                    ++tree[x];
                ++inserted;
            }
            i = j;
        }
    }
    return c;
}

} // namespace waitscope::layouts::test
