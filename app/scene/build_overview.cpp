// The overview scene: tasks, eventpolls, epitems and watched files, laid out in layers.
#include <chrono>

#include <waitscope/model/query.hpp>

#include "build.hpp"
#include "layout_adapter.hpp"

namespace waitscope::app {

using namespace model;

namespace {

/// A second line that says what state a file's object is in.
std::string fileDetail(const Snapshot& s, const Object& file) {
    const Object* p = s.find(file[Key::private_].ref());
    if (!p)
        return std::string(file[Key::name].str());
    switch (p->kind()) {
    case Kind::Eventfd:
        return "count " + (*p)[Key::count].text();
    case Kind::Pipe:
        return "head " + (*p)[Key::head].text() + " tail " + (*p)[Key::tail].text();
    case Kind::Vpoll:
        return "#" + (*p)[Key::instance].text() + " " +
               epollEventNames((*p)[Key::events].asU64().value_or(0));
    case Kind::Timerfd:
        return "ticks " + (*p)[Key::ticks].text();
    default:
        return std::string(file[Key::name].str());
    }
}

SceneNode overviewNode(const Snapshot& s, const GraphNode& g) {
    const Object* o = s.find(g.object);
    SceneNode n;
    switch (g.role) {
    case GraphNodeRole::Task: {
        std::string name =
            o ? std::string((*o)[Key::comm].str()) + "[" + (*o)[Key::pid].text() + "]"
              : toString(g.object);
        std::string st = o ? std::string((*o)[Key::state].str()) : "";
        n = makeNode(g.object, g.blocked ? NodeStyle::TaskBlocked : NodeStyle::Task, name,
                     g.blocked ? "asleep (" + st + ")" : "state " + st);
        break;
    }
    case GraphNodeRole::Eventpoll: {
        std::string owners;
        if (o)
            for (Field ow : (*o)[Key::owners].children())
                owners += (owners.empty() ? "pid " : ", ") + ow[Key::pid].text() + " fd " +
                          ow[Key::fd].text();
        std::string items = o ? (*o)[Key::rbtree][Key::count].text() + " items, " +
                                    std::to_string(g.ready) + " ready"
                              : "";
        n = makeNode(g.object, NodeStyle::Eventpoll, "eventpoll " + owners, items);
        break;
    }
    case GraphNodeRole::Epitem: {
        std::string events = o ? epollEventNames((*o)[Key::events].asU64().value_or(0)) : "";
        if (events.size() > 24)
            events = events.substr(0, 22) + "..";
        n = makeNode(g.object, NodeStyle::Epitem,
                     o ? "epitem fd " + (*o)[Key::tfd].text() : "epitem", events);
        if (g.ready)
            n.flags |= NodeReady;
        if (o && (*o)[Key::on_ovflist].asBool())
            n.flags |= NodeOvf;
        break;
    }
    case GraphNodeRole::File:
        if (o && o->kind() == Kind::File)
            n = makeNode(g.object, NodeStyle::File, std::string((*o)[Key::kind].str()),
                         fileDetail(s, *o));
        else
            n = makeNode(g.object, NodeStyle::File,
                         o ? objectTitle(s, *o) : std::string(kindName(g.object.kind)));
        break;
    case GraphNodeRole::FoldedItems:
        n = makeNode(g.object, NodeStyle::Folded, std::to_string(g.count) + " epitems",
                     std::to_string(g.ready) + " ready (expand the eventpoll)");
        break;
    }
    if (g.partial)
        n.flags |= NodePartial;
    return n;
}

EdgeStyle edgeStyle(GraphEdgeRole r) {
    switch (r) {
    case GraphEdgeRole::Holds:
        return EdgeStyle::Holds;
    case GraphEdgeRole::Waits:
        return EdgeStyle::Waits;
    case GraphEdgeRole::Watches:
        return EdgeStyle::Watches;
    case GraphEdgeRole::Targets:
        return EdgeStyle::Targets;
    case GraphEdgeRole::Nested:
        return EdgeStyle::Nested;
    case GraphEdgeRole::Polls:
        return EdgeStyle::Waits;
    }
    return EdgeStyle::Holds;
}

} // namespace

Scene buildOverviewScene(const Snapshot& s, const SceneRequest& r) {
    Scene scene;
    scene.title = "Overview";
    auto t0 = std::chrono::steady_clock::now();
    OverviewGraph g = buildOverview(s, r.overview);
    scene.stats.queryMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    LayeredInput in;
    for (std::uint32_t i = 0; i < g.nodes.size(); ++i) {
        const GraphNode& gn = g.nodes[i];
        scene.nodes.push_back(overviewNode(s, gn));
        in.sizes.push_back({scene.nodes.back().w, scene.nodes.back().h});
        in.keys.push_back(hashId(gn.object) ^ (static_cast<std::uint64_t>(gn.role) << 59));
        // One box per eventpoll around it and its epitems.
        in.clusters.push_back(gn.role == GraphNodeRole::Eventpoll ? i
                              : gn.cluster == NoIndex             ? NoChild
                                                                  : gn.cluster);
    }
    for (const GraphEdge& e : g.edges)
        in.edges.push_back({e.from, e.to});
    Placement p = placeLayered(in, r.previous ? r.previous->layout : nullptr);
    scene.layout = p.memo;
    scene.stats.layoutMs = p.ms;
    for (std::size_t i = 0; i < scene.nodes.size(); ++i) {
        scene.nodes[i].x = p.x[i];
        scene.nodes[i].y = p.y[i];
    }
    for (std::size_t c = 0; c < p.clusters.size(); ++c) {
        SceneFrame f = p.clusters[c];
        f.object = g.nodes[p.clusterIds[c]].object;
        f.title = scene.nodes[p.clusterIds[c]].label;
        scene.frames.push_back(std::move(f));
    }
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
        const GraphEdge& e = g.edges[i];
        scene.addRoutedEdge(e.from, e.to, edgeStyle(e.role), p.edges[i], e.label);
        if (e.role == GraphEdgeRole::Waits)
            ++scene.stats.waitEntries;
    }
    for (const GraphNode& gn : g.nodes)
        if (gn.role == GraphNodeRole::Epitem && gn.ready)
            ++scene.stats.readyItems;
    if (g.nodes.empty())
        scene.notes.push_back("No eventpolls or sleeping tasks in this snapshot.");
    return scene;
}

} // namespace waitscope::app
