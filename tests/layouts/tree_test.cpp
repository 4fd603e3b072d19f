// Tidy tree engine: exact small cases and invariants on random trees up to 100k nodes.
#include <gtest/gtest.h>

#include <cmath>

#include <waitscope/layouts/tree.hpp>

#include "test_util.hpp"

namespace waitscope::layouts {
namespace {

using test::Rng;

constexpr double Eps = 1e-6;

/// Checks the tidy-tree invariants of `r` for `t` (all nodes reachable from t.roots):
/// one y per depth, children left to right, parents centred (unless inOrder), no two
/// boxes of a level closer than their gap, and each level's x order equal to the
/// pre-order (so no subtree interleaves with another).
void checkTidy(const Tree& t, const LayoutResult& r, const TreeOptions& o) {
    NodeId n = t.nodeCount();
    ASSERT_EQ(r.positions.size(), n);
    // The engine's shortcut for the bounds agrees with measuring everything.
    Rect all = computeBounds(r);
    EXPECT_NEAR(r.bounds.minX, all.minX, 1e-6);
    EXPECT_NEAR(r.bounds.maxX, all.maxX, 1e-6 * (1.0 + all.maxX));
    EXPECT_NEAR(r.bounds.minY, all.minY, 1e-6);
    EXPECT_NEAR(r.bounds.maxY, all.maxY, 1e-6 * (1.0 + all.maxY));
    std::vector<NodeId> parent(n, NoNode);
    for (NodeId v = 0; v < n; ++v)
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i)
            if (t.children[i] != NoNode)
                parent[t.children[i]] = v;
    // Pre-order rank.
    std::vector<std::uint32_t> pre(n, 0);
    std::vector<NodeId> stack(t.roots.rbegin(), t.roots.rend());
    std::uint32_t counter = 0;
    while (!stack.empty()) {
        NodeId v = stack.back();
        stack.pop_back();
        pre[v] = counter++;
        for (std::uint32_t i = t.childStart[v + 1]; i-- > t.childStart[v];)
            if (t.children[i] != NoNode)
                stack.push_back(t.children[i]);
    }
    ASSERT_EQ(counter, n);
    // One y per depth, increasing with depth.
    std::vector<double> levelY;
    for (NodeId v = 0; v < n; ++v) {
        auto d = static_cast<std::size_t>(r.layers[v]);
        if (levelY.size() <= d)
            levelY.resize(d + 1, NAN);
        if (std::isnan(levelY[d]))
            levelY[d] = r.positions[v].y;
        ASSERT_EQ(levelY[d], r.positions[v].y) << "node " << v;
        if (parent[v] != NoNode) {
            ASSERT_EQ(r.layers[v], r.layers[parent[v]] + 1);
        }
    }
    for (std::size_t d = 1; d < levelY.size(); ++d)
        ASSERT_GT(levelY[d], levelY[d - 1]);
    // Children ordered; parents centred.
    for (NodeId v = 0; v < n; ++v) {
        NodeId first = NoNode, last = NoNode;
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i) {
            NodeId c = t.children[i];
            if (c == NoNode)
                continue;
            if (last != NoNode) {
                ASSERT_LT(r.positions[last].x, r.positions[c].x);
            }
            if (first == NoNode)
                first = c;
            last = c;
        }
        if (first != NoNode && !o.inOrder) {
            ASSERT_NEAR(r.positions[v].x, (r.positions[first].x + r.positions[last].x) / 2.0,
                        Eps * (1.0 + std::fabs(r.positions[v].x)));
        }
    }
    // Per level: x order == pre-order, gaps respected.
    std::vector<NodeId> byLevel(n);
    for (NodeId v = 0; v < n; ++v)
        byLevel[v] = v;
    std::sort(byLevel.begin(), byLevel.end(), [&](NodeId a, NodeId b) {
        return r.layers[a] != r.layers[b] ? r.layers[a] < r.layers[b] : pre[a] < pre[b];
    });
    for (NodeId i = 1; i < n; ++i) {
        NodeId a = byLevel[i - 1], b = byLevel[i];
        if (r.layers[a] != r.layers[b])
            continue;
        double gap = parent[a] == parent[b] && parent[a] != NoNode ? o.siblingGap : o.subtreeGap;
        double need = (r.sizes[a].width + r.sizes[b].width) / 2.0 + gap;
        ASSERT_GE(r.positions[b].x - r.positions[a].x, need - Eps * (1.0 + need))
            << "nodes " << a << " and " << b;
    }
}

TEST(Tree, ThreeChildrenExact) {
    Tree t = treeFromParents({NoNode, 0, 0, 0});
    LayoutResult r = layoutTree(t);
    // Leaves 54 wide, 18 apart: centres 27, 99, 171; the root over the middle one.
    EXPECT_DOUBLE_EQ(r.positions[1].x, 27.0);
    EXPECT_DOUBLE_EQ(r.positions[2].x, 99.0);
    EXPECT_DOUBLE_EQ(r.positions[3].x, 171.0);
    EXPECT_DOUBLE_EQ(r.positions[0].x, 99.0);
    EXPECT_DOUBLE_EQ(r.positions[0].y, 18.0);
    EXPECT_DOUBLE_EQ(r.positions[1].y, 18.0 + 36.0 + 36.0);
    EXPECT_EQ(r.edgeCount(), 3u);
    EXPECT_DOUBLE_EQ(r.bounds.minX, 0.0);
    EXPECT_DOUBLE_EQ(r.bounds.maxX, 198.0);
}

TEST(Tree, WalkerSpreadsSmallSubtreesEvenly) {
    // Root with children a, b, c where a and c have wide subtrees: b is centred between.
    //        0
    //   1    2    3
    //  4 5 6      7 8 9
    Tree t = treeFromParents({NoNode, 0, 0, 0, 1, 1, 1, 3, 3, 3});
    LayoutResult r = layoutTree(t);
    checkTidy(t, r, {});
    EXPECT_NEAR(r.positions[2].x, (r.positions[1].x + r.positions[3].x) / 2.0, Eps);
}

TEST(Tree, RandomTreesKeepInvariants) {
    Rng rng(42);
    for (NodeId n : {1u, 2u, 3u, 10u, 100u, 1000u, 20000u}) {
        for (bool deep : {false, true}) {
            Tree t = treeFromParents(test::randomParents(n, rng, deep));
            LayoutResult r = layoutTree(t);
            SCOPED_TRACE(testing::Message() << "n=" << n << " deep=" << deep);
            checkTidy(t, r, {});
            EXPECT_EQ(test::countOverlaps(r), 0u);
        }
    }
}

TEST(Tree, HundredThousandNodesVariedSizes) {
    Rng rng(7);
    NodeId n = 100000;
    Tree t = treeFromParents(test::randomParents(n, rng));
    for (Size& s : t.sizes)
        s = {10.0 + 90.0 * rng.unit(), 10.0 + 40.0 * rng.unit()};
    TreeOptions o;
    o.siblingGap = 5.0;
    o.subtreeGap = 11.0;
    o.levelGap = 20.0;
    LayoutResult r = layoutTree(t, o);
    checkTidy(t, r, o);
    EXPECT_EQ(test::countOverlaps(r), 0u);
}

TEST(Tree, DeepPathNeedsNoRecursion) {
    NodeId n = 100000;
    std::vector<NodeId> parent(n);
    for (NodeId v = 0; v < n; ++v)
        parent[v] = v == 0 ? NoNode : v - 1;
    Tree t = treeFromParents(parent);
    LayoutResult r = layoutTree(t);
    checkTidy(t, r, {});
    EXPECT_DOUBLE_EQ(r.positions[n - 1].x, r.positions[0].x);
}

TEST(Tree, ForestRootsSideBySide) {
    Tree t = treeFromParents({NoNode, 0, NoNode, 2, 2, NoNode});
    LayoutResult r = layoutTree(t);
    checkTidy(t, r, {});
    EXPECT_LT(r.positions[0].x, r.positions[2].x);
    EXPECT_LT(r.positions[2].x, r.positions[5].x);
    EXPECT_EQ(r.positions[0].y, r.positions[5].y);
}

/// In-order x of a binary search tree: strictly increasing in key order.
void checkInOrder(const test::Bst& b, const LayoutResult& r) {
    std::vector<NodeId> order = b.inOrder();
    for (std::size_t i = 1; i < order.size(); ++i)
        ASSERT_LT(r.positions[order[i - 1]].x, r.positions[order[i]].x) << "rank " << i;
}

TEST(Tree, BinarySearchTreeReadsInKeyOrder) {
    Rng rng(3);
    for (NodeId n : {1u, 2u, 5u, 50u, 1000u, 100000u}) {
        test::Bst b = test::randomBst(n, rng);
        Tree t = binaryTree(b.left, b.right, b.root);
        TreeOptions o;
        o.inOrder = true;
        LayoutResult r = layoutTree(t, o);
        SCOPED_TRACE(testing::Message() << "n=" << n);
        checkTidy(t, r, o);
        checkInOrder(b, r);
        EXPECT_EQ(test::countOverlaps(r), 0u);
        // Parents with two children stay centred.
        for (NodeId v = 0; v < n; ++v) {
            if (b.left[v] != NoNode && b.right[v] != NoNode) {
                ASSERT_NEAR(r.positions[v].x,
                            (r.positions[b.left[v]].x + r.positions[b.right[v]].x) / 2.0,
                            Eps * (1.0 + r.positions[v].x));
            }
        }
    }
}

TEST(Tree, PlainTidyTreeCanBreakKeyOrder) {
    // Without inOrder a single right child sits right under its parent: key order is lost.
    // This is why the option exists (and shows the check above can fail).
    test::Bst b;
    for (std::uint64_t k : {10, 20, 30})
        b.insert(k);
    Tree t = binaryTree(b.left, b.right, b.root);
    LayoutResult plain = layoutTree(t);
    EXPECT_EQ(plain.positions[0].x, plain.positions[1].x);
    TreeOptions o;
    o.inOrder = true;
    LayoutResult ordered = layoutTree(t, o);
    EXPECT_LT(ordered.positions[0].x, ordered.positions[1].x);
    EXPECT_LT(ordered.positions[1].x, ordered.positions[2].x);
}

TEST(Tree, NilLeavesFillEverySlot) {
    Rng rng(11);
    test::Bst b = test::randomBst(500, rng);
    Tree t = binaryTree(b.left, b.right, b.root);
    TreeOptions o;
    o.inOrder = true;
    o.nilLeaves = true;
    LayoutResult r = layoutTree(t, o);
    ASSERT_EQ(r.markers.size(), 501u); // a binary tree of n nodes has n + 1 empty slots
    checkInOrder(b, r);
    // Parents are centred over both children, nil leaves included, and nils sit one level
    // below their owner.
    for (const Marker& m : r.markers) {
        ASSERT_EQ(m.kind, MarkerKind::NilLeaf);
        EXPECT_GT(m.at.y, r.positions[m.owner].y);
    }
    // Boxes of nil leaves and nodes never overlap.
    LayoutResult boxes = r;
    for (const Marker& m : r.markers) {
        boxes.positions.push_back(m.at);
        boxes.sizes.push_back(m.size);
    }
    EXPECT_EQ(test::countOverlaps(boxes), 0u);
    Rect all = computeBounds(r);
    EXPECT_NEAR(r.bounds.maxX, all.maxX, 1e-6 * all.maxX);
    EXPECT_NEAR(r.bounds.maxY, all.maxY, 1e-6 * all.maxY);
}

TEST(Tree, MalformedInputNeverCrashes) {
    Tree t;
    t.sizes.assign(4, Size{});
    t.childStart = {0, 2, 3, 4, 5};
    t.children = {1, 7, 0, 1, 2}; // 7 out of range, 1 claimed twice, 0<->2 cycle
    t.roots = {3, 9};
    LayoutResult r = layoutTree(t);
    EXPECT_EQ(r.positions.size(), 4u);
    EXPECT_EQ(r.edgeCount(), 5u);
    EXPECT_EQ(r.edge(1).size(), 0u); // the out-of-range child is not drawn
    EXPECT_EQ(test::countOverlaps(r), 0u);
    Tree broken = t;
    broken.childStart = {0, 1};
    EXPECT_EQ(layoutTree(broken).positions.size(), 4u);
}

TEST(Tree, PlainForestsTakeTheFastPathToTheSameLayout) {
    // A tree without its roots is numbered by the general path (the parentless nodes it
    // finds become roots, in id order); with them given, by the plain-forest path. Both
    // must draw the same picture, nil leaves and in-order placement included.
    Rng rng(11);
    for (NodeId n : {1u, 7u, 300u, 20000u}) {
        test::Bst b = test::randomBst(n, rng);
        Tree trees[] = {treeFromParents(test::randomParents(n, rng)),
                        binaryTree(b.left, b.right, b.root)};
        for (const Tree& plain : trees) {
            Tree rootless = plain;
            rootless.roots.clear();
            for (bool inOrder : {false, true}) {
                for (bool nils : {false, true}) {
                    SCOPED_TRACE(testing::Message()
                                 << "n=" << n << " inOrder=" << inOrder << " nils=" << nils);
                    TreeOptions o;
                    o.inOrder = inOrder;
                    o.nilLeaves = nils;
                    LayoutResult fast = layoutTree(plain, o), general = layoutTree(rootless, o);
                    EXPECT_EQ(test::geometryBytes(fast), test::geometryBytes(general));
                    EXPECT_EQ(fast.layers, general.layers);
                    EXPECT_EQ(fast.markers.size(), general.markers.size());
                }
            }
        }
    }
}

TEST(Tree, Deterministic) {
    Rng rng(5);
    Tree t = treeFromParents(test::randomParents(5000, rng));
    EXPECT_EQ(test::geometryBytes(layoutTree(t)), test::geometryBytes(layoutTree(t)));
}

TEST(Tree, GraphThroughSpanningForest) {
    Graph g;
    for (int i = 0; i < 6; ++i)
        g.addNode();
    g.addEdge(0, 1);
    g.addEdge(0, 2);
    g.addEdge(1, 3);
    g.addEdge(2, 3); // not a tree edge
    g.addEdge(4, 5);
    g.addEdge(5, 4); // a cycle without roots
    g.addEdge(3, 3);
    LayoutResult r = layoutTree(g);
    ASSERT_EQ(r.edgeCount(), g.edges.size());
    EXPECT_EQ(r.layers[0], 0);
    EXPECT_EQ(r.layers[3], 2);
    EXPECT_EQ(r.layers[4], 0);
    EXPECT_EQ(test::countOverlaps(r), 0u);
    for (std::size_t e = 0; e < g.edges.size(); ++e)
        EXPECT_GE(r.edge(e).size(), 2u);
}

TEST(Tree, StabilityAnchorsToPreviousLayout) {
    Rng rng(9);
    test::Bst b = test::randomBst(2000, rng);
    TreeOptions o;
    o.inOrder = true;
    Tree before = binaryTree(b.left, b.right, b.root);
    before.keys = b.key;
    LayoutResult r0 = layoutTree(before, o);
    test::Bst b1 = b;
    b1.insert(rng.next());
    Tree after = binaryTree(b1.left, b1.right, b1.root);
    after.keys = b1.key;
    LayoutResult unanchored = layoutTree(after, o);
    LayoutResult anchored = layoutTree(after, o, &r0);
    double movedAnchored = movedFraction(r0, anchored, 1.0);
    double movedPlain = movedFraction(r0, unanchored, 1.0);
    EXPECT_LE(movedAnchored, movedPlain);
    EXPECT_LT(movedAnchored, 0.5);
    std::printf("tree stability: moved fraction after one insert into 2000: %.3f (%.3f without "
                "previous)\n",
                movedAnchored, movedPlain);
}

} // namespace
} // namespace waitscope::layouts
