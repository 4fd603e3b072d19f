// Ring engines: circular lists keep their order with the head at 12 o'clock and no
// overlaps; ring buffers show slots, in/out and the filled arc.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include <waitscope/layouts/ring.hpp>

#include "test_util.hpp"

namespace waitscope::layouts {
namespace {

using test::Rng;

/// Clockwise angle of p around c from 12 o'clock, in [0, 2 pi).
double angleOf(Point c, Point p) {
    double a = std::atan2(p.x - c.x, c.y - p.y);
    return a < 0 ? a + 2 * std::numbers::pi : a;
}

Graph listGraph(const std::vector<NodeId>& order, Rng& rng, bool sizes) {
    Graph g;
    for (std::size_t i = 0; i < order.size(); ++i)
        g.addNode(sizes ? Size{10.0 + 90.0 * rng.unit(), 10.0 + 30.0 * rng.unit()} : Size{});
    for (std::size_t i = 0; i < order.size(); ++i)
        g.addEdge(order[i], order[(i + 1) % order.size()]); // list_head next pointers
    return g;
}

TEST(Ring, FollowsTheListFromTheHead) {
    Rng rng(3);
    for (NodeId n : {1u, 2u, 3u, 7u, 64u, 1000u}) {
        // The list visits the nodes in a scrambled id order; node order[0] is the head.
        std::vector<NodeId> order(n);
        for (NodeId i = 0; i < n; ++i)
            order[i] = i;
        for (NodeId i = n; i > 1; --i)
            std::swap(order[i - 1], order[rng.below(i)]);
        Graph g = listGraph(order, rng, n % 2 == 0);
        RingOptions o;
        o.head = order[0];
        LayoutResult r = layoutRing(g, o);
        SCOPED_TRACE(testing::Message() << "n=" << n);
        ASSERT_EQ(r.positions.size(), n);
        EXPECT_EQ(test::countOverlaps(r), 0u);
        Point c = r.arcs.at(0).centre;
        // Head at 12 o'clock, then strictly clockwise in list order.
        EXPECT_NEAR(r.positions[order[0]].x, c.x, 1e-9);
        EXPECT_LT(r.positions[order[0]].y, c.y + (n == 1 ? 1e9 : 0.0));
        for (NodeId i = 1; i < n; ++i)
            ASSERT_LT(angleOf(c, r.positions[order[i - 1]]), angleOf(c, r.positions[order[i]]));
        ASSERT_EQ(r.markers.size(), 1u);
        EXPECT_EQ(r.markers[0].kind, MarkerKind::Head);
        EXPECT_EQ(r.markers[0].owner, order[0]);
        // Every list link follows the circle (points at the track radius) or, for n < 3,
        // is a chord.
        EXPECT_EQ(r.edgeCount(), g.edges.size());
        if (n >= 3) {
            auto pts = r.edge(0);
            for (std::size_t i = 1; i + 1 < pts.size(); ++i)
                EXPECT_NEAR(std::hypot(pts[i].x - c.x, pts[i].y - c.y), r.arcs[0].radius, 1e-6);
        }
    }
}

TEST(Ring, ExplicitOrderWinsAndMissingNodesAreAppended) {
    Graph g;
    for (int i = 0; i < 5; ++i)
        g.addNode();
    RingOptions o;
    o.order = {3, 1, 3, 9, 0}; // repeated and invalid ids are ignored
    LayoutResult r = layoutRing(g, o);
    EXPECT_EQ(r.layers[3], 0);
    EXPECT_EQ(r.layers[1], 1);
    EXPECT_EQ(r.layers[0], 2);
    EXPECT_EQ(r.layers[2], 3);
    EXPECT_EQ(r.layers[4], 4);
    EXPECT_EQ(test::countOverlaps(r), 0u);
}

TEST(Ring, RadiusNeverShrinksWithPrevious) {
    Rng rng(5);
    std::vector<NodeId> order{0, 1, 2, 3, 4, 5, 6, 7};
    Graph big = listGraph(order, rng, false);
    LayoutResult r0 = layoutRing(big);
    order.resize(4);
    Graph small = listGraph(order, rng, false);
    LayoutResult r1 = layoutRing(small, {}, &r0);
    EXPECT_DOUBLE_EQ(r1.arcs[0].radius, r0.arcs[0].radius);
    EXPECT_LT(layoutRing(small).arcs[0].radius, r0.arcs[0].radius);
}

TEST(RingBuffer, FillOfFreeRunningAndMaskedIndices) {
    EXPECT_EQ(ringFill({8, 5, 2}), 3u);
    EXPECT_EQ(ringFill({8, 8, 0}), 8u);                     // kfifo full
    EXPECT_EQ(ringFill({8, 3, 0xfffffffffffffffeull}), 5u); // free-running wrap of u64
    EXPECT_EQ(ringFill({16, 2, 14}), 4u);                   // circ_buf head 2, tail 14
    EXPECT_EQ(ringFill({16, 1000003, 1000000}), 3u);
    EXPECT_EQ(ringFill({0, 4, 1}), 0u);
}

TEST(RingBuffer, SlotsArcAndMarkers) {
    RingBuffer ring{16, 21, 18}; // kfifo: in 21, out 18 -> slots 2, 3, 4 hold data
    LayoutResult r = layoutRingBuffer(ring);
    ASSERT_EQ(r.positions.size(), 16u);
    EXPECT_EQ(test::countOverlaps(r), 0u);
    Point c = r.arcs.at(0).centre;
    for (std::uint32_t i = 1; i < 16; ++i)
        EXPECT_LT(angleOf(c, r.positions[i - 1]), angleOf(c, r.positions[i]));
    ASSERT_EQ(r.arcs.size(), 2u);
    const Arc& filled = r.arcs[1];
    EXPECT_EQ(filled.kind, ArcKind::Filled);
    EXPECT_NEAR(filled.startAngle, 2 * std::numbers::pi * 2 / 16, 1e-12); // out slot 2
    EXPECT_NEAR(filled.sweep, 2 * std::numbers::pi * 3 / 16, 1e-12);      // three slots
    ASSERT_EQ(r.markers.size(), 2u);
    EXPECT_EQ(r.markers[0].kind, MarkerKind::In);
    EXPECT_EQ(r.markers[0].owner, 5u);
    EXPECT_EQ(r.markers[1].kind, MarkerKind::Out);
    EXPECT_EQ(r.markers[1].owner, 2u);
    EXPECT_TRUE(layoutRingBuffer({0, 0, 0}).positions.empty());
}

TEST(Ring, Deterministic) {
    Rng rng(9);
    std::vector<NodeId> order(300);
    for (NodeId i = 0; i < 300; ++i)
        order[i] = (i * 7) % 300;
    Graph g = listGraph(order, rng, true);
    EXPECT_EQ(test::geometryBytes(layoutRing(g)), test::geometryBytes(layoutRing(g)));
}

} // namespace
} // namespace waitscope::layouts
