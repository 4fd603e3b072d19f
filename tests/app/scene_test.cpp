// Scenes built from the golden snapshots: every epitem of an eventpoll drawn once as an
// rbtree node with its real colour, ready badges in rdllist order, and the culling index
// returning everything a brute-force scan finds.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>

#include <waitscope/model/query.hpp>
#include <waitscope/model/snapshot_io.hpp>

#include "scene/build.hpp"
#include "scene/export_dot.hpp"
#include "scene/export_svg.hpp"
#include "scene/scene_index.hpp"

using namespace waitscope::app;
using namespace waitscope::model;

namespace {

SnapshotPtr fixture(const char* name) {
    auto r = loadSnapshotFile(std::filesystem::path(WAITSCOPE_FIXTURES) / "snapshots" / name);
    if (!r)
        throw std::runtime_error(r.error().message);
    return r.value();
}

bool intersects(const SceneNode& n, const WorldRect& r) {
    return !(n.x + n.w / 2 < r.minX || n.x - n.w / 2 > r.maxX || n.y + n.h / 2 < r.minY ||
             n.y - n.h / 2 > r.maxY);
}

} // namespace

TEST(Scene, EventpollSceneDrawsEveryEpitemOnce) {
    auto s = fixture("topo_basic-setup.json");
    std::size_t checked = 0;
    for (const ObjectPtr& ep : s->objectsOf(Kind::Eventpoll)) {
        SceneRequest r;
        r.kind = SceneKind::Eventpoll;
        r.focus = ep->id();
        ScenePtr scene = buildScene(*s, r);
        RbTree t = buildRbTree(*s, ep->id());
        EXPECT_EQ(scene->stats.rbtreeNodes, t.size());
        EXPECT_EQ(scene->stats.readyItems, t.ready.size());
        std::size_t drawn = 0;
        for (const SceneNode& n : scene->nodes) {
            if (n.style != NodeStyle::EpitemRed && n.style != NodeStyle::EpitemBlack)
                continue;
            ++drawn;
            const Object* o = s->find(n.object);
            ASSERT_NE(o, nullptr);
            EXPECT_EQ((*o)[Key::ep].ref(), ep->id());
            EXPECT_EQ(n.style == NodeStyle::EpitemRed, (*o)[Key::color].str() == "red");
            // Badges number the ready list in rdllist order.
            auto ready = (*ep)[Key::ready].refs();
            auto pos = std::find(ready.begin(), ready.end(), n.object);
            EXPECT_EQ(n.badge, pos == ready.end() ? -1 : static_cast<int>(pos - ready.begin()) + 1);
        }
        EXPECT_EQ(drawn, t.size());
        // In-order left to right: the tree reads in key order.
        float lastX = -1e30f;
        for (ObjectId id : t.items) {
            const SceneNode& n = scene->nodes[static_cast<std::size_t>(scene->findNode(id))];
            EXPECT_GT(n.x, lastX);
            lastX = n.x;
        }
        ++checked;
    }
    EXPECT_GE(checked, 3u);
}

TEST(Scene, IndexFindsWhatABruteForceScanFinds) {
    auto s = fixture("topo_basic-setup.json");
    std::mt19937 rng(3);
    for (SceneKind kind : {SceneKind::Overview, SceneKind::Workqueues, SceneKind::Eventpoll}) {
        SceneRequest r;
        r.kind = kind;
        if (kind == SceneKind::Eventpoll)
            r.focus = s->objectsOf(Kind::Eventpoll)[0]->id();
        ScenePtr scene = buildScene(*s, r);
        ASSERT_FALSE(scene->nodes.empty());
        SceneIndex index(*scene);
        std::uniform_real_distribution<float> ux(scene->minX - 50, scene->maxX + 50);
        std::uniform_real_distribution<float> uy(scene->minY - 50, scene->maxY + 50);
        for (int k = 0; k < 200; ++k) {
            float x0 = ux(rng), x1 = ux(rng), y0 = uy(rng), y1 = uy(rng);
            WorldRect q{std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)};
            std::vector<std::uint32_t> got;
            index.nodesIn(q, got);
            std::vector<std::uint8_t> found(scene->nodes.size(), 0);
            for (std::uint32_t i : got)
                found[i] = 1;
            for (std::uint32_t i = 0; i < scene->nodes.size(); ++i)
                if (intersects(scene->nodes[i], q)) {
                    EXPECT_TRUE(found[i]) << "node " << i << " missed";
                }
            std::vector<std::uint32_t> edges;
            index.edgesIn(q, edges);
            std::sort(edges.begin(), edges.end());
            EXPECT_EQ(std::adjacent_find(edges.begin(), edges.end()), edges.end()) << "duplicates";
            for (std::uint32_t e = 0; e < scene->edges.size(); ++e) {
                const SceneEdge& ed = scene->edges[e];
                bool inside = false;
                for (std::uint32_t p = 0; p < ed.pointCount; ++p) {
                    float x = scene->points[2 * (ed.pointStart + p)];
                    float y = scene->points[2 * (ed.pointStart + p) + 1];
                    inside = inside || (x >= q.minX && x <= q.maxX && y >= q.minY && y <= q.maxY);
                }
                if (inside) {
                    EXPECT_TRUE(std::binary_search(edges.begin(), edges.end(), e)) << "edge " << e;
                }
            }
        }
    }
}

TEST(Scene, OverviewShowsEveryEventpollAndWhoWaits) {
    auto s = fixture("topo_basic-setup.json");
    ScenePtr scene = buildScene(*s, SceneRequest{});
    for (const ObjectPtr& ep : s->objectsOf(Kind::Eventpoll))
        EXPECT_GE(scene->findNode(ep->id()), 0) << toString(ep->id());
    std::size_t waits = 0;
    for (const SceneEdge& e : scene->edges)
        waits += e.style == EdgeStyle::Waits;
    EXPECT_EQ(waits, scene->stats.waitEntries);
    EXPECT_GE(waits, 2u); // the epoll_wait sleeper and the poller at least
}

TEST(Scene, RingSceneHasOneSlotPerElement) {
    auto s = fixture("topo_basic-setup.json");
    for (Kind k : {Kind::Kfifo, Kind::CircBuf})
        for (const ObjectPtr& o : s->objectsOf(k)) {
            SceneRequest r;
            r.kind = SceneKind::Ring;
            r.focus = o->id();
            ScenePtr scene = buildScene(*s, r);
            RingInfo ring = buildRing(*s, o->id());
            std::size_t slots = 0, full = 0;
            for (const SceneNode& n : scene->nodes) {
                slots += n.style == NodeStyle::RingSlot || n.style == NodeStyle::RingSlotFull;
                full += n.style == NodeStyle::RingSlotFull;
            }
            EXPECT_EQ(slots, ring.size);
            EXPECT_EQ(full, ring.len);
        }
}

TEST(Scene, DotExportNamesEveryNodeAndEdge) {
    auto s = fixture("topo_basic-setup.json");
    SceneRequest r;
    r.kind = SceneKind::Eventpoll;
    r.focus = s->objectsOf(Kind::Eventpoll)[0]->id();
    ScenePtr scene = buildScene(*s, r);
    std::string dot = sceneToDot(*scene);
    EXPECT_TRUE(dot.starts_with("digraph waitscope {"));
    std::size_t nodes = 0, edges = 0;
    std::istringstream lines(dot);
    for (std::string l; std::getline(lines, l);)
        if (l.size() > 3 && l.starts_with("  n") && std::isdigit(static_cast<unsigned char>(l[3])))
            (l.find(" -> ") != std::string::npos ? edges : nodes)++;
    EXPECT_EQ(nodes, scene->nodes.size());
    EXPECT_EQ(edges, scene->edges.size());
}

TEST(Scene, SvgExportDrawsEveryNode) {
    auto s = fixture("topo_basic-setup.json");
    SceneRequest r;
    r.kind = SceneKind::Eventpoll;
    for (const ObjectPtr& ep : s->objectsOf(Kind::Eventpoll)) // the busiest
        if (!r.focus.valid() || (*ep)[Key::rbtree][Key::count].asU64() >
                                    (*s->find(r.focus))[Key::rbtree][Key::count].asU64())
            r.focus = ep->id();
    ScenePtr scene = buildScene(*s, r);
    bool red = false;
    for (const SceneNode& n : scene->nodes)
        red = red || n.style == NodeStyle::EpitemRed;
    ASSERT_TRUE(red);
    std::string svg = sceneToSvg(*scene);
    EXPECT_TRUE(svg.starts_with("<?xml"));
    std::size_t nodes = 0;
    for (std::size_t p = svg.find("<g class=\"node\">"); p != std::string::npos;
         p = svg.find("<g class=\"node\">", p + 1))
        ++nodes;
    EXPECT_EQ(nodes, scene->nodes.size());
    EXPECT_NE(svg.find("#e57373"), std::string::npos); // a red rbtree node
}

TEST(Scene, WorkqueueSceneShowsTheHeldSimruptPipeline) {
    // topo_workq freezes simrupt: its worker busy in simrupt_work_fn, a work inactive on the
    // simruptd pool_workqueue (max_active 1), items in the circ_buf and the kfifo.
    auto s = fixture("topo_workq-held.json");
    PoolView v = buildPoolView(*s, true);
    bool busy = false;
    for (const PoolInfo& p : v.pools)
        for (const WorkerInfo& w : p.workers)
            busy = busy || (w.busy && w.currentFunc == "simrupt_work_fn");
    EXPECT_TRUE(busy);
    SceneRequest r;
    r.kind = SceneKind::Workqueues;
    ScenePtr scene = buildScene(*s, r);
    std::size_t busyNodes = 0, works = 0;
    bool simruptd = false;
    for (const SceneNode& n : scene->nodes) {
        busyNodes += n.style == NodeStyle::WorkerBusy;
        works += n.style == NodeStyle::Work && n.detail == "inactive (max_active)";
        simruptd = simruptd || n.label == "workqueue simruptd";
    }
    EXPECT_GE(busyNodes, 1u);
    EXPECT_GE(works, 1u);
    EXPECT_TRUE(simruptd);
    for (Kind k : {Kind::Kfifo, Kind::CircBuf})
        for (const ObjectPtr& o : s->objectsOf(k))
            EXPECT_GT(buildRing(*s, o->id()).len, 0u) << toString(o->id());
}
