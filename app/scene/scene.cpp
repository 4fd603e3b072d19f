// Scene helpers and the builder dispatch.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "build.hpp"

namespace waitscope::app {

using namespace model;

std::int64_t Scene::findNode(ObjectId id) const {
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].object == id)
            return static_cast<std::int64_t>(i);
    return -1;
}

void Scene::computeBounds() {
    bool any = false;
    auto grow = [&](float x0, float y0, float x1, float y1) {
        if (!any) {
            minX = x0, minY = y0, maxX = x1, maxY = y1;
            any = true;
            return;
        }
        minX = std::min(minX, x0), minY = std::min(minY, y0);
        maxX = std::max(maxX, x1), maxY = std::max(maxY, y1);
    };
    for (const SceneNode& n : nodes)
        grow(n.x - n.w / 2, n.y - n.h / 2, n.x + n.w / 2, n.y + n.h / 2);
    for (std::size_t i = 0; i + 1 < points.size(); i += 2)
        grow(points[i], points[i + 1], points[i], points[i + 1]);
    for (const SceneArc& a : arcs)
        grow(a.cx - a.r, a.cy - a.r, a.cx + a.r, a.cy + a.r);
    for (const SceneFrame& f : frames)
        grow(f.minX, f.minY - 22, f.maxX, f.maxY);
    if (!any)
        minX = minY = maxX = maxY = 0;
}

namespace {

/// Where the segment from the centre of `n` towards (tx, ty) leaves its box.
std::pair<float, float> clipToBox(const SceneNode& n, float tx, float ty) {
    float dx = tx - n.x, dy = ty - n.y;
    if (dx == 0 && dy == 0)
        return {n.x, n.y};
    float sx = dx != 0 ? (n.w / 2) / std::abs(dx) : 1e30f;
    float sy = dy != 0 ? (n.h / 2) / std::abs(dy) : 1e30f;
    float s = std::min({sx, sy, 1.0f});
    return {n.x + dx * s, n.y + dy * s};
}

} // namespace

std::uint32_t Scene::addEdge(std::uint32_t from, std::uint32_t to, EdgeStyle style,
                             std::string label, bool arrow) {
    const SceneNode& a = nodes[from];
    const SceneNode& b = nodes[to];
    auto [x0, y0] = clipToBox(a, b.x, b.y);
    auto [x1, y1] = clipToBox(b, a.x, a.y);
    return addPolyline(from, to, style, {x0, y0, x1, y1}, std::move(label), arrow);
}

std::uint32_t Scene::addRoutedEdge(std::uint32_t from, std::uint32_t to, EdgeStyle style,
                                   std::vector<float> xy, std::string label) {
    if (xy.size() < 4)
        return addEdge(from, to, style, std::move(label));
    const std::size_t n = xy.size();
    auto [x0, y0] = clipToBox(nodes[from], xy[2], xy[3]);
    auto [x1, y1] = clipToBox(nodes[to], xy[n - 4], xy[n - 3]);
    xy[0] = x0, xy[1] = y0, xy[n - 2] = x1, xy[n - 1] = y1;
    return addPolyline(from, to, style, xy, std::move(label), true);
}

std::uint32_t Scene::addPolyline(std::uint32_t from, std::uint32_t to, EdgeStyle style,
                                 const std::vector<float>& xy, std::string label, bool arrow) {
    SceneEdge e;
    e.from = from;
    e.to = to;
    e.style = style;
    e.arrow = arrow;
    e.label = std::move(label);
    e.pointStart = static_cast<std::uint32_t>(points.size() / 2);
    e.pointCount = static_cast<std::uint32_t>(xy.size() / 2);
    points.insert(points.end(), xy.begin(), xy.end());
    edges.push_back(std::move(e));
    return static_cast<std::uint32_t>(edges.size() - 1);
}

float labelWidth(std::string_view text) {
    return 7.2f * static_cast<float>(text.size());
}

SceneNode makeNode(ObjectId id, NodeStyle style, std::string label, std::string detail) {
    SceneNode n;
    n.object = id;
    n.style = style;
    n.w = std::max({48.0f, labelWidth(label), labelWidth(detail)}) + 16.0f;
    n.h = detail.empty() ? 26.0f : 40.0f;
    n.label = std::move(label);
    n.detail = std::move(detail);
    return n;
}

SceneRequest expandRequest(const Snapshot& s, ObjectId id) {
    SceneRequest r;
    r.kind = SceneKind::Empty;
    const Object* o = s.find(id);
    if (!o)
        return r;
    switch (o->kind()) {
    case Kind::Eventpoll:
        r.kind = SceneKind::Eventpoll;
        r.focus = id;
        break;
    case Kind::Epitem:
        r.kind = SceneKind::Eventpoll;
        r.focus = (*o)[Key::ep].ref();
        break;
    case Kind::File:
        if (ObjectId p = (*o)[Key::private_].ref(); p.valid())
            return expandRequest(s, p);
        break;
    case Kind::WaitQueueHead:
        r.kind = SceneKind::WaitQueue;
        r.focus = id;
        break;
    case Kind::WaitEntry:
        r.kind = SceneKind::WaitQueue;
        r.focus = (*o)[Key::head].ref();
        break;
    case Kind::Kfifo:
    case Kind::CircBuf:
        r.kind = SceneKind::Ring;
        r.focus = id;
        break;
    case Kind::Workqueue:
    case Kind::PoolWorkqueue:
    case Kind::WorkerPool:
    case Kind::Worker:
    case Kind::Work:
        r.kind = SceneKind::Workqueues;
        break;
    default:
        for (Key k : {Key::wqh, Key::wq, Key::rd_wait, Key::rx_wait})
            if (ObjectId h = (*o)[k].ref(); h.kind == Kind::WaitQueueHead) {
                r.kind = SceneKind::WaitQueue;
                r.focus = h;
                break;
            }
    }
    return r;
}

ScenePtr buildScene(const Snapshot& s, const SceneRequest& r) {
    auto t0 = std::chrono::steady_clock::now();
    Scene scene;
    switch (r.kind) {
    case SceneKind::Overview:
        scene = buildOverviewScene(s, r);
        break;
    case SceneKind::Eventpoll:
        scene = buildEventpollScene(s, r);
        break;
    case SceneKind::WaitQueue:
        scene = buildWaitQueueScene(s, r);
        break;
    case SceneKind::Workqueues:
        scene = buildWorkqueueScene(s, r);
        break;
    case SceneKind::Ring:
        scene = buildRingScene(s, r);
        break;
    case SceneKind::Empty:
        break;
    }
    scene.kind = r.kind;
    scene.focus = r.focus;
    scene.computeBounds();
    scene.stats.buildMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::make_shared<const Scene>(std::move(scene));
}

} // namespace waitscope::app
