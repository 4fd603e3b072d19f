// Layered engine: invariants (layers, no overlaps, routes, clusters), crossings on known
// graphs against documented figures, stability, determinism, and the internal phases
// (network simplex optimality, crossing counter) against brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <waitscope/layouts/dot.hpp>
#include <waitscope/layouts/layered.hpp>

#include "layered/layered.hpp"
#include "test_util.hpp"

namespace waitscope::layouts {
namespace {

using test::Rng;

LabelledGraph loadDot(const std::string& name) {
    std::ifstream f(std::string(WAITSCOPE_LAYOUTS_TESTDATA) + "/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    DotParse p = parseDot(ss.str());
    EXPECT_TRUE(p.ok()) << p.error;
    return p.graph;
}

/// A random digraph: edges mostly from lower to higher ids (some backwards: cycles),
/// parallel edges and self loops included when `messy`.
Graph randomGraph(NodeId n, std::uint32_t m, Rng& rng, bool messy, bool sizes) {
    Graph g;
    for (NodeId v = 0; v < n; ++v)
        g.addNode(sizes ? Size{20.0 + 80.0 * rng.unit(), 16.0 + 40.0 * rng.unit()} : Size{});
    for (std::uint32_t i = 0; i < m && n > 1; ++i) {
        NodeId a = rng.below(n), b = rng.below(n);
        if (a == b && !messy)
            continue;
        if (a > b && rng.below(10) != 0)
            std::swap(a, b);
        g.addEdge(a, b);
        if (messy && rng.below(20) == 0)
            g.addEdge(a, b);
    }
    return g;
}

/// Layer ys are shared by every node of a layer and grow with the layer; every edge's
/// polyline starts on its tail's box and ends on its head's box, with one point per layer
/// it crosses in between.
void checkLayered(const Graph& g, const LayoutResult& r) {
    NodeId n = g.nodeCount();
    ASSERT_EQ(r.positions.size(), n);
    ASSERT_EQ(r.edgeCount(), g.edges.size());
    std::vector<double> layerY;
    for (NodeId v = 0; v < n; ++v) {
        ASSERT_GE(r.layers[v], 0);
        auto l = static_cast<std::size_t>(r.layers[v]);
        if (layerY.size() <= l)
            layerY.resize(l + 1, NAN);
        if (std::isnan(layerY[l]))
            layerY[l] = r.positions[v].y;
        ASSERT_EQ(layerY[l], r.positions[v].y);
    }
    for (std::size_t l = 1; l < layerY.size(); ++l)
        if (!std::isnan(layerY[l]) && !std::isnan(layerY[l - 1])) {
            ASSERT_GT(layerY[l], layerY[l - 1]);
        }
    auto onBox = [&](Point p, NodeId v) {
        Point c = r.positions[v];
        Size s = r.sizes[v];
        double dx = std::fabs(p.x - c.x) - s.width / 2, dy = std::fabs(p.y - c.y) - s.height / 2;
        return std::fabs(std::max(dx, dy)) < 1e-6;
    };
    for (std::size_t e = 0; e < g.edges.size(); ++e) {
        auto pts = r.edge(e);
        Edge ed = g.edges[e];
        ASSERT_GE(pts.size(), 2u) << "edge " << e;
        if (ed.from == ed.to)
            continue;
        EXPECT_TRUE(onBox(pts.front(), ed.from)) << "edge " << e;
        EXPECT_TRUE(onBox(pts.back(), ed.to)) << "edge " << e;
        std::int32_t span = std::abs(r.layers[ed.to] - r.layers[ed.from]);
        ASSERT_GE(span, 1) << "edge " << e << " is flat";
        ASSERT_EQ(pts.size(), static_cast<std::size_t>(span) + 1) << "edge " << e;
        for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
            std::int32_t l = std::min(r.layers[ed.from], r.layers[ed.to]) +
                             static_cast<std::int32_t>(
                                 r.layers[ed.from] < r.layers[ed.to] ? i : pts.size() - 1 - i);
            if (!std::isnan(layerY[l])) {
                ASSERT_DOUBLE_EQ(pts[i].y, layerY[l]) << "edge " << e;
            }
        }
    }
}

TEST(Layered, EmptyAndSingle) {
    Graph g;
    LayoutResult r = layoutLayered(g);
    EXPECT_TRUE(r.positions.empty());
    g.addNode();
    r = layoutLayered(g);
    EXPECT_EQ(r.positions[0].x, 27.0);
    EXPECT_EQ(r.positions[0].y, 18.0);
}

TEST(Layered, ChainIsStraightAndLayered) {
    Graph g;
    for (int i = 0; i < 5; ++i)
        g.addNode();
    for (NodeId i = 0; i + 1 < 5; ++i)
        g.addEdge(i, i + 1);
    g.addEdge(0, 4); // a long edge through three dummies
    LayoutResult r = layoutLayered(g);
    checkLayered(g, r);
    for (NodeId i = 0; i < 5; ++i)
        EXPECT_EQ(r.layers[i], static_cast<std::int32_t>(i));
    EXPECT_EQ(r.stat("dummies"), 3.0);
    EXPECT_EQ(r.stat("crossings"), 0.0);
    EXPECT_EQ(test::countOverlaps(r), 0u);
}

TEST(Layered, RandomGraphsKeepInvariants) {
    Rng rng(17);
    for (NodeId n : {2u, 3u, 10u, 50u, 200u, 1000u}) {
        for (bool messy : {false, true}) {
            Graph g = randomGraph(n, 2 * n, rng, messy, messy);
            SCOPED_TRACE(testing::Message() << "n=" << n << " messy=" << messy);
            LayeredOptions o;
            o.orderWork = 3'000'000; // random long edges make many dummies: keep it quick
            o.siftWork = 2'000'000;
            LayoutResult r = layoutLayered(g, o);
            checkLayered(g, r);
            EXPECT_EQ(test::countOverlaps(r), 0u);
            // The engine's own count is the count of the drawing.
            EXPECT_EQ(r.stat("crossings"), static_cast<double>(test::drawnCrossings(g, r)));
        }
    }
}

TEST(Layered, CyclesAreBroken) {
    Graph g;
    for (int i = 0; i < 4; ++i)
        g.addNode();
    g.addEdge(0, 1);
    g.addEdge(1, 2);
    g.addEdge(2, 3);
    g.addEdge(3, 0); // epoll nesting loop
    g.addEdge(2, 2);
    LayoutResult r = layoutLayered(g);
    checkLayered(g, r);
    EXPECT_EQ(r.stat("reversed"), 1.0);
    // The reversed edge is still drawn tail to head.
    auto back = r.edge(3);
    EXPECT_GT(back.front().y, back.back().y);
}

TEST(Layered, CompleteBipartiteHasItsForcedCrossings) {
    // K(3,3) on two layers: every order gives C(3,2) * C(3,2) = 9 crossings.
    Graph g;
    for (int i = 0; i < 6; ++i)
        g.addNode();
    for (NodeId a = 0; a < 3; ++a)
        for (NodeId b = 3; b < 6; ++b)
            g.addEdge(a, b);
    LayoutResult r = layoutLayered(g);
    EXPECT_EQ(r.stat("crossings"), 9.0);
    EXPECT_EQ(test::drawnCrossings(g, r), 9u);
}

TEST(Layered, PlanarGraphsGetNoCrossings) {
    Rng rng(23);
    // A permutation between two layers and a random tree: both can be drawn without
    // crossings, and the sweeps find that.
    Graph perm;
    NodeId k = 40;
    for (NodeId i = 0; i < 2 * k; ++i)
        perm.addNode();
    std::vector<NodeId> p(k);
    for (NodeId i = 0; i < k; ++i)
        p[i] = i;
    for (NodeId i = k; i > 1; --i)
        std::swap(p[i - 1], p[rng.below(i)]);
    for (NodeId i = 0; i < k; ++i)
        perm.addEdge(i, k + p[i]);
    EXPECT_EQ(layoutLayered(perm).stat("crossings"), 0.0);
    Graph tree;
    std::vector<NodeId> parent = test::randomParents(300, rng);
    for (NodeId v = 0; v < 300; ++v)
        tree.addNode();
    for (NodeId v = 1; v < 300; ++v)
        tree.addEdge(parent[v], v);
    LayoutResult r = layoutLayered(tree);
    EXPECT_EQ(r.stat("crossings"), 0.0);
    EXPECT_EQ(test::drawnCrossings(tree, r), 0u);
}

/// The documented crossing figures (docs/layouts.md): Graphviz dot 2.43's count on the
/// same graphs (crossings.py, spline count) and our bound, 1.1 x dot.
struct KnownGraph {
    const char* file;
    std::uint64_t dot;
};

TEST(Layered, KnownGraphsNoWorseThanDocumentedFigure) {
    for (KnownGraph k : {KnownGraph{"epoll60.dot", 270}, KnownGraph{"epoll300.dot", 6976},
                         KnownGraph{"epoll300s2.dot", 8434}}) {
        LabelledGraph g = loadDot(k.file);
        LayoutResult r = layoutLayered(g.graph);
        std::uint64_t drawn = test::drawnCrossings(g.graph, r);
        std::printf("%s: %llu crossings (dot %llu)\n", k.file,
                    static_cast<unsigned long long>(drawn), static_cast<unsigned long long>(k.dot));
        EXPECT_EQ(r.stat("crossings"), static_cast<double>(drawn)) << k.file;
        EXPECT_LE(static_cast<double>(drawn), 1.1 * static_cast<double>(k.dot)) << k.file;
        checkLayered(g.graph, r);
        EXPECT_EQ(test::countOverlaps(r), 0u);
    }
}

TEST(Layered, OrderingReducesCrossings) {
    // One sweep without transposition loses to the full sweeps, and those to sifting.
    LabelledGraph g = loadDot("epoll300.dot");
    LayeredOptions cheap;
    cheap.orderSweeps = 1;
    cheap.transpose = false;
    cheap.siftWork = 0;
    LayeredOptions noSift;
    noSift.siftWork = 0;
    double one = layoutLayered(g.graph, cheap).stat("crossings");
    double sweeps = layoutLayered(g.graph, noSift).stat("crossings");
    double full = layoutLayered(g.graph).stat("crossings");
    EXPECT_LT(sweeps, one);
    EXPECT_LT(full, sweeps); // sifting only ever removes crossings
}

TEST(Layered, LongestPathRankingAlsoWorks) {
    LabelledGraph g = loadDot("epoll300.dot");
    LayeredOptions o;
    o.ranking = Ranking::LongestPath;
    LayoutResult lp = layoutLayered(g.graph, o);
    checkLayered(g.graph, lp);
    EXPECT_EQ(test::countOverlaps(lp), 0u);
    // Network simplex minimises total edge length, so it needs no more dummy nodes.
    EXPECT_LE(layoutLayered(g.graph).stat("dummies"), lp.stat("dummies"));
}

TEST(Layered, StopAfterEachPhase) {
    LabelledGraph g = loadDot("epoll60.dot");
    for (LayeredPhase p : {LayeredPhase::Rank, LayeredPhase::Order, LayeredPhase::Position}) {
        LayeredOptions o;
        o.stopAfter = p;
        LayoutResult r = layoutLayered(g.graph, o);
        EXPECT_EQ(r.positions.size(), g.graph.nodeCount());
        EXPECT_EQ(r.edgeCount(), g.graph.edges.size());
        EXPECT_EQ(test::countOverlaps(r), 0u);
    }
}

TEST(Layered, ClustersGetDisjointBoxes) {
    Rng rng(31);
    for (int round = 0; round < 6; ++round) {
        Graph g = randomGraph(120, 240, rng, round % 2 == 1, round % 3 == 0);
        g.clusters.assign(g.nodeCount(), NoCluster);
        for (NodeId v = 0; v < g.nodeCount(); ++v)
            if (rng.below(3) != 0)
                g.clusters[v] = rng.below(8);
        LayoutResult r = layoutLayered(g);
        SCOPED_TRACE(testing::Message() << "round " << round);
        checkLayered(g, r);
        EXPECT_EQ(test::countOverlaps(r), 0u);
        // Boxes hold their members and no other node, and never overlap each other.
        for (const ClusterBox& c : r.clusters) {
            for (NodeId v = 0; v < g.nodeCount(); ++v) {
                Point p = r.positions[v];
                Size s = r.sizes[v];
                bool inside = p.x - s.width / 2 >= c.box.minX && p.x + s.width / 2 <= c.box.maxX &&
                              p.y - s.height / 2 >= c.box.minY && p.y + s.height / 2 <= c.box.maxY;
                bool touches = p.x + s.width / 2 > c.box.minX && p.x - s.width / 2 < c.box.maxX &&
                               p.y + s.height / 2 > c.box.minY && p.y - s.height / 2 < c.box.maxY;
                if (g.clusters[v] == c.cluster) {
                    EXPECT_TRUE(inside) << "member " << v << " of " << c.cluster;
                } else {
                    EXPECT_FALSE(touches) << "node " << v << " in box " << c.cluster;
                }
            }
            for (const ClusterBox& d : r.clusters) {
                if (d.cluster <= c.cluster)
                    continue;
                bool overlap = c.box.minX < d.box.maxX && d.box.minX < c.box.maxX &&
                               c.box.minY < d.box.maxY && d.box.minY < c.box.maxY;
                EXPECT_FALSE(overlap) << c.cluster << " and " << d.cluster;
            }
        }
    }
}

TEST(Layered, Deterministic) {
    Rng rng(41);
    Graph g = randomGraph(400, 850, rng, true, true);
    g.clusters.assign(g.nodeCount(), NoCluster);
    for (NodeId v = 0; v < g.nodeCount(); v += 7)
        g.clusters[v] = v % 5;
    EXPECT_EQ(test::geometryBytes(layoutLayered(g)), test::geometryBytes(layoutLayered(g)));
}

/// Adds one epoll-shaped node (a new waiter: head -> entry -> task) to `g`.
LabelledGraph addWaiter(LabelledGraph g, const std::string& head, const std::string& task) {
    auto id = [&](const std::string& name) {
        return static_cast<NodeId>(std::find(g.names.begin(), g.names.end(), name) -
                                   g.names.begin());
    };
    NodeId w = g.graph.addNode();
    g.names.push_back("Wnew");
    g.labels.push_back("Wnew");
    g.fills.emplace_back();
    g.graph.keys.push_back(stableKey("Wnew"));
    g.graph.addEdge(id(head), w);
    g.graph.addEdge(w, id(task));
    return g;
}

TEST(Layered, StableAfterAddingOneNode) {
    LabelledGraph g0 = loadDot("epoll300.dot");
    LayoutResult r0 = layoutLayered(g0.graph);
    // The same graph again: nothing moves at all.
    EXPECT_EQ(movedFraction(r0, layoutLayered(g0.graph, {}, &r0), 0.01), 0.0);
    // One new waiter at a time, at several places (wait heads H0, H10, H25, H35 and tasks).
    double worst = 0.0, worstFresh = 1.0;
    for (int k : {0, 2, 5, 7}) {
        std::string head = "H" + std::to_string(5 * k), task = "T" + std::to_string(3 * k + 1);
        LabelledGraph g1 = addWaiter(g0, head, task);
        LayoutResult stable = layoutLayered(g1.graph, {}, &r0);
        LayeredOptions quick; // a fresh layout moves nearly everything with or without sifting
        quick.siftWork = 0;
        LayoutResult fresh = layoutLayered(g1.graph, quick);
        SCOPED_TRACE(head);
        checkLayered(g1.graph, stable);
        EXPECT_EQ(test::countOverlaps(stable), 0u);
        worst = std::max(worst, movedFraction(r0, stable, 1.0));
        worstFresh = std::min(worstFresh, movedFraction(r0, fresh, 1.0));
        // The new node goes right next to one of its neighbours' layers.
        NodeId w = g1.graph.nodeCount() - 1;
        std::int32_t toTask = stable.layers[w] - stable.layers[g1.graph.edges.back().to];
        std::int32_t toHead =
            stable.layers[w] - stable.layers[g1.graph.edges[g1.graph.edges.size() - 2].from];
        EXPECT_EQ(std::min(std::abs(toHead), std::abs(toTask)), 1);
    }
    std::printf(
        "layered stability: moved fraction after adding one node to 300 nodes (4 places): at most "
        "%.3f (at least %.3f without previous)\n",
        worst, worstFresh);
    EXPECT_LE(worst, 0.05); // documented in docs/layouts.md
    EXPECT_LT(worst, worstFresh);
}

TEST(Layered, MessyInputNeverCrashes) {
    Graph g;
    for (int i = 0; i < 3; ++i)
        g.addNode();
    g.addEdge(0, 7); // out of range
    g.addEdge(1, 1);
    g.addEdge(1, 2);
    g.addEdge(1, 2);
    g.addEdge(2, 1);
    g.keys = {5, 5, 6}; // duplicate keys
    LayoutResult r = layoutLayered(g);
    EXPECT_EQ(r.edgeCount(), 5u);
    EXPECT_TRUE(r.edge(0).empty());
    EXPECT_EQ(test::countOverlaps(r), 0u);
    LayoutResult again = layoutLayered(g, {}, &r);
    EXPECT_EQ(again.positions.size(), 3u);
}

// Internal phases against brute force.

TEST(LayeredPhases, NetworkSimplexIsOptimal) {
    Rng rng(53);
    for (int round = 0; round < 200; ++round) {
        NodeId n = 2 + rng.below(5);
        std::vector<layered::LEdge> edges;
        for (NodeId a = 0; a < n; ++a)
            for (NodeId b = a + 1; b < n; ++b)
                if (rng.below(3) == 0)
                    edges.push_back({a, b, 1 + rng.below(3)});
        layered::RankStats st;
        std::vector<std::int32_t> rank = layered::rankNetworkSimplex(n, edges, 100000, st);
        auto cost = [&](const std::vector<std::int32_t>& r) {
            std::int64_t c = 0;
            for (const auto& e : edges) {
                if (r[e.head] - r[e.tail] < 1)
                    return std::int64_t{-1};
                c += static_cast<std::int64_t>(e.weight) * (r[e.head] - r[e.tail]);
            }
            return c;
        };
        ASSERT_GE(cost(rank), 0) << "infeasible ranking";
        // Exhaustive search over ranks 0..n-1.
        std::vector<std::int32_t> r(n, 0);
        std::int64_t best = -1;
        for (;;) {
            std::int64_t c = cost(r);
            if (c >= 0 && (best < 0 || c < best))
                best = c;
            NodeId i = 0;
            while (i < n && ++r[i] == static_cast<std::int32_t>(n))
                r[i++] = 0;
            if (i == n)
                break;
        }
        ASSERT_EQ(cost(rank), best) << "round " << round;
    }
}

TEST(LayeredPhases, AccumulatorTreeCountsLikeBruteForce) {
    Rng rng(61);
    for (int round = 0; round < 50; ++round) {
        // Two layers of random sizes with random weighted adjacencies.
        layered::Proper p;
        NodeId top = 1 + rng.below(30), bottom = 1 + rng.below(30);
        p.realCount = top + bottom;
        p.layerCount = 2;
        for (NodeId v = 0; v < top + bottom; ++v) {
            p.layer.push_back(v < top ? 0 : 1);
            p.width.push_back(0);
            p.height.push_back(0);
            p.cluster.push_back(NoCluster);
            p.filler.push_back(0);
        }
        std::vector<std::tuple<NodeId, NodeId, std::uint32_t>> adj;
        for (int k = 0, m = static_cast<int>(rng.below(80)); k < m; ++k)
            adj.emplace_back(rng.below(top), top + rng.below(bottom), 1 + rng.below(3));
        std::sort(adj.begin(), adj.end());
        p.downStart.assign(top + bottom + 1, 0);
        p.upStart.assign(top + bottom + 1, 0);
        for (auto [a, b, w] : adj) {
            ++p.downStart[a + 1];
            ++p.upStart[b + 1];
        }
        for (NodeId v = 0; v < top + bottom; ++v) {
            p.downStart[v + 1] += p.downStart[v];
            p.upStart[v + 1] += p.upStart[v];
        }
        for (auto [a, b, w] : adj) {
            p.down.push_back(b);
            p.downW.push_back(w);
        }
        p.up.resize(adj.size());
        p.upW.resize(adj.size());
        layered::Ordering ord;
        ord.layerStart = {0, top, top + bottom};
        for (NodeId v = 0; v < top + bottom; ++v)
            ord.order.push_back(v);
        for (NodeId i = top; i > 1; --i)
            std::swap(ord.order[i - 1], ord.order[rng.below(i)]);
        ord.pos.resize(top + bottom);
        for (NodeId i = 0; i < top + bottom; ++i)
            ord.pos[ord.order[i]] = i < top ? i : i - top;
        std::uint64_t brute = 0;
        for (std::size_t i = 0; i < adj.size(); ++i)
            for (std::size_t j = 0; j < adj.size(); ++j) {
                auto [a1, b1, w1] = adj[i];
                auto [a2, b2, w2] = adj[j];
                if (ord.pos[a1] < ord.pos[a2] && ord.pos[b1] > ord.pos[b2])
                    brute += static_cast<std::uint64_t>(w1) * w2;
            }
        ASSERT_EQ(layered::countCrossings(p, ord), brute) << "round " << round;
    }
}

} // namespace
} // namespace waitscope::layouts
