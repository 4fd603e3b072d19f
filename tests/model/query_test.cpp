#include <gtest/gtest.h>

#include <set>

#include <waitscope/model/query.hpp>
#include <waitscope/model/search.hpp>

#include "topology.hpp"

using namespace waitscope::model;
using namespace waitscope::model::test;

TEST(Query, RbTreeLinksColoursAndReadyOrder) {
    auto s = load(topology());
    RbTree t = buildRbTree(*s, {Kind::Eventpoll, Ep});
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t.count, 3u);
    EXPECT_TRUE(t.problems.empty());
    ASSERT_EQ(t.roots.size(), 1u);
    EXPECT_EQ(t.roots[0], 1u);
    EXPECT_EQ(t.left[1], 0u);
    EXPECT_EQ(t.right[1], 2u);
    EXPECT_EQ(t.parent[0], 1u);
    EXPECT_EQ(t.red, (std::vector<std::uint8_t>{1, 0, 1}));
    EXPECT_EQ(t.ready, (std::vector<std::uint32_t>{2, 0}));
    EXPECT_EQ(t.readyPos, (std::vector<std::int32_t>{1, -1, 0}));
    EXPECT_TRUE(buildRbTree(*s, {Kind::Epitem, ItemA}).items.empty());
}

TEST(Query, RbTreeWithABrokenLinkKeepsEveryNode) {
    json d = topology();
    for (auto& o : d["objects"])
        if (o["id"] == idOf("epitem", ItemB))
            o["rb"]["right"] = nullptr; // C is no longer reachable from the root
    auto s = load(d);
    RbTree t = buildRbTree(*s, {Kind::Eventpoll, Ep});
    ASSERT_EQ(t.roots.size(), 2u);
    EXPECT_EQ(t.roots[1], 2u);
    EXPECT_FALSE(t.problems.empty());
}

TEST(Query, ObjectTreeHoldsEveryObject) {
    auto s = load(topology());
    ObjectTree tree = buildObjectTree(*s);
    std::set<ObjectId, bool (*)(ObjectId, ObjectId)> seen(
        [](ObjectId a, ObjectId b) { return compareIdText(a, b) < 0; });
    for (const auto& r : tree.rows)
        if (r.id.valid())
            seen.insert(r.id);
    for (const ObjectPtr& o : s->objects())
        EXPECT_TRUE(seen.count(o->id())) << toString(o->id());
    // Spans and parents are consistent with preorder.
    for (std::uint32_t i = 0; i < tree.rows.size(); ++i) {
        const auto& r = tree.rows[i];
        EXPECT_LE(i + r.span, tree.rows.size() - 1);
        if (r.parent != NoIndex) {
            EXPECT_LT(r.parent, i);
            EXPECT_LE(i + r.span, r.parent + tree.rows[r.parent].span);
            EXPECT_EQ(r.depth, tree.rows[r.parent].depth + 1);
        }
    }
    // The process row holds its thread and its fds in order, the epoll's items in key order.
    ASSERT_EQ(tree.rows[0].role, RowRole::Group);
    EXPECT_EQ(treeRowText(*s, tree, 0), "Processes (1)");
    EXPECT_EQ(tree.rows[1].id, (ObjectId{Kind::Task, Leader}));
    EXPECT_EQ(tree.rows[2].role, RowRole::Thread);
    EXPECT_EQ(tree.rows[3].role, RowRole::Waiting);
    std::vector<std::uint32_t> fds;
    for (const auto& r : tree.rows)
        if (r.role == RowRole::Fd)
            fds.push_back(r.aux);
    EXPECT_EQ(fds, (std::vector<std::uint32_t>{3, 4, 5, 9, 10}));
    std::vector<ObjectId> items;
    for (std::uint32_t i = 0; i < tree.rows.size(); ++i)
        if (tree.rows[i].id.kind == Kind::Epitem && tree.rows[i].parent != NoIndex &&
            tree.rows[tree.rows[i].parent].id == ObjectId{Kind::Eventpoll, Ep})
            items.push_back(tree.rows[i].id);
    ASSERT_GE(items.size(), 3u);
    EXPECT_EQ(items[0].kaddr, ItemA);
    EXPECT_EQ(items[1].kaddr, ItemB);
    EXPECT_EQ(items[2].kaddr, ItemC);
}

TEST(Query, OverviewLinksTasksEpollsItemsAndFiles) {
    auto s = load(topology());
    OverviewGraph g = buildOverview(*s);
    auto nodeOf = [&](ObjectId id) {
        for (std::uint32_t i = 0; i < g.nodes.size(); ++i)
            if (g.nodes[i].object == id && g.nodes[i].role != GraphNodeRole::FoldedItems)
                return i;
        return NoIndex;
    };
    std::uint32_t ep = nodeOf({Kind::Eventpoll, Ep}), ep2 = nodeOf({Kind::Eventpoll, Ep2});
    std::uint32_t leader = nodeOf({Kind::Task, Leader}), thread = nodeOf({Kind::Task, Thread});
    ASSERT_NE(ep, NoIndex);
    ASSERT_NE(leader, NoIndex);
    ASSERT_NE(thread, NoIndex);
    EXPECT_TRUE(g.nodes[thread].blocked);
    auto has = [&](std::uint32_t a, std::uint32_t b, GraphEdgeRole role, const std::string& label) {
        for (const auto& e : g.edges)
            if (e.from == a && e.to == b && e.role == role && e.label == label)
                return true;
        return false;
    };
    EXPECT_TRUE(has(leader, ep, GraphEdgeRole::Holds, "fd 9"));
    EXPECT_TRUE(has(thread, ep, GraphEdgeRole::Waits, "ep_autoremove_wake_function"));
    std::uint32_t nestedItem = nodeOf({Kind::Epitem, ItemN});
    EXPECT_TRUE(has(ep2, nestedItem, GraphEdgeRole::Watches, ""));
    EXPECT_TRUE(has(nestedItem, ep, GraphEdgeRole::Nested, "fd 9"));
    EXPECT_TRUE(has(nodeOf({Kind::Epitem, ItemA}), nodeOf({Kind::File, 0xffff888005000000}),
                    GraphEdgeRole::Targets, "wqh"));
    EXPECT_EQ(g.nodes[nodeOf({Kind::Epitem, ItemC})].ready, 1u);
    EXPECT_EQ(g.nodes[ep].ready, 2u);

    OverviewGraph folded = buildOverview(*s, {.foldAbove = 2});
    std::uint32_t foldedCount = 0;
    for (const auto& n : folded.nodes)
        if (n.role == GraphNodeRole::FoldedItems) {
            ++foldedCount;
            EXPECT_EQ(n.count, 3u);
            EXPECT_EQ(n.ready, 2u);
        }
    EXPECT_EQ(foldedCount, 1u);
    EXPECT_LT(folded.nodes.size(), g.nodes.size());
}

TEST(Query, WaitChainDecodesFuncsAndOwners) {
    auto s = load(topology());
    WaitChain c = buildWaitChain(*s, {Kind::WaitQueueHead, Ep + 8});
    EXPECT_EQ(c.container, (ObjectId{Kind::Eventpoll, Ep}));
    EXPECT_EQ(c.field, "wq");
    ASSERT_EQ(c.entries.size(), 1u);
    EXPECT_EQ(c.entries[0].func, "ep_autoremove_wake_function");
    EXPECT_TRUE(c.entries[0].exclusive);
    EXPECT_EQ(c.entries[0].ownerKind, "task");
    EXPECT_EQ(c.entries[0].ownerTitle, "epdemo-waiter[85] S");
    WaitChain e = buildWaitChain(*s, {Kind::WaitQueueHead, 0xffff888006000000 + 8});
    ASSERT_EQ(e.entries.size(), 1u);
    EXPECT_EQ(e.entries[0].func, "ep_poll_callback");
    EXPECT_EQ(e.entries[0].owner, (ObjectId{Kind::Epitem, ItemA}));
    EXPECT_NE(e.entries[0].ownerTitle.find("epitem fd 3 of eventpoll"), std::string::npos);
}

TEST(Query, PoolsAndRings) {
    auto s = load(topology());
    PoolView v = buildPoolView(*s);
    ASSERT_EQ(v.pools.size(), 1u);
    EXPECT_EQ(v.pools[0].poolId, 2);
    ASSERT_EQ(v.pools[0].workers.size(), 1u);
    EXPECT_TRUE(v.pools[0].workers[0].busy);
    EXPECT_EQ(v.pools[0].workers[0].currentFunc, "vpoll_work_fn");
    EXPECT_EQ(v.pools[0].worklist.size(), 1u);
    RingInfo r = buildRing(*s, {Kind::Kfifo, 0xffffffffc0002000});
    EXPECT_EQ(r.size, 16u);
    EXPECT_EQ(r.in, 78u);
    EXPECT_EQ(r.out, 62u);
    EXPECT_EQ(r.len, 16u);
    EXPECT_EQ(r.elements, (std::vector<std::string>{"63", "64", "65"}));
    EXPECT_EQ(buildRing(*s, {Kind::Epitem, ItemA}).size, 0u);
}

TEST(Query, Explanations) {
    auto s = load(topology());
    auto task = explainObject(*s, {Kind::Task, Thread});
    ASSERT_GE(task.size(), 2u);
    EXPECT_NE(task[1].find("Blocked in epoll_wait on eventpoll (pid 83 fd 9)"), std::string::npos);
    auto item = explainObject(*s, {Kind::Epitem, ItemA});
    std::string all;
    for (auto& l : item)
        all += l + "\n";
    EXPECT_NE(all.find("position 2 of 2"), std::string::npos) << all;
    EXPECT_NE(all.find("eventfd's count is 1"), std::string::npos) << all;
    EXPECT_NE(all.find("wqh of eventfd"), std::string::npos) << all;
    auto idle = explainObject(*s, {Kind::Epitem, ItemB});
    EXPECT_NE(idle[1].find("Not ready"), std::string::npos);
}

TEST(Query, EventNames) {
    EXPECT_EQ(epollEventNames(0x19), "EPOLLIN|EPOLLERR|EPOLLHUP");
    EXPECT_EQ(epollEventNames(0x80000019ull), "EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLET");
    EXPECT_EQ(epollEventNames(0), "0");
    EXPECT_EQ(epollEventNames(0x100000000ull), "0x100000000");
}

TEST(Search, ByAddressPidFdSymbolTypeText) {
    auto s = load(topology());
    auto ids = [&](const std::string& q) {
        std::vector<std::string> out;
        for (const auto& h : search(*s, parseSearch(q)))
            out.push_back(toString(h.id));
        return out;
    };
    EXPECT_EQ(ids("0xffff888004a1b100"), std::vector<std::string>{idOf("epitem", ItemB)});
    EXPECT_EQ(ids("FFFF888004A1B100"), std::vector<std::string>{idOf("epitem", ItemB)});
    EXPECT_EQ(parseSearch("pid:85").field, SearchField::Pid);
    auto pid = ids("pid 85");
    EXPECT_EQ(pid, std::vector<std::string>{idOf("task", Thread)});
    auto byTgid = ids("pid:83");
    EXPECT_EQ(byTgid.size(), 4u); // two tasks (pid/tgid 83) and the two epolls it holds
    auto fd = ids("fd:9");
    EXPECT_NE(std::find(fd.begin(), fd.end(), idOf("epitem", ItemN)), fd.end());
    EXPECT_NE(std::find(fd.begin(), fd.end(), idOf("file", 0xffff888005100000)), fd.end());
    EXPECT_EQ(ids("sym:ep_poll_callback").size(), 3u);
    EXPECT_EQ(ids("type:epitem").size(), 4u);
    EXPECT_EQ(ids("epitem").size(), 4u);
    EXPECT_EQ(ids("waiter"), std::vector<std::string>{idOf("task", Thread)});
    EXPECT_TRUE(ids("nothing-like-this").empty());
    EXPECT_EQ(search(*s, parseSearch("type:epitem"), 2).size(), 2u);
}

TEST(Query, ObjectTreeGroupsAreNamedAndKernelThreadsApart) {
    json d = topology();
    json kt = obj("task", 0xffff888003f00000);
    kt.update({{"pid", 2}, {"tgid", 2}, {"comm", "kthreadd"}, {"state", "S"}, {"kthread", true}});
    d["objects"].push_back(kt);
    auto s = load(d);
    ObjectTree tree = buildObjectTree(*s);
    std::vector<std::string> groups;
    for (std::uint32_t i = 0; i < tree.rows.size(); ++i)
        if (tree.rows[i].role == RowRole::Group)
            groups.push_back(treeRowText(*s, tree, i));
    EXPECT_EQ(groups,
              (std::vector<std::string>{"Processes (1)", "Kernel threads (1)", "Wait queues (4)",
                                        "Worker pools (1)", "Buffers (1)", "Other objects (1)"}));
}
