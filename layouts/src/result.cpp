// LayoutResult helpers: bounds, moved-node fraction, straight edges.
#include <algorithm>
#include <cmath>
#include <utility>

#include <waitscope/layouts/result.hpp>

#include "common.hpp"

namespace waitscope::layouts {

double LayoutResult::totalMs() const {
    double t = 0.0;
    for (const PhaseTiming& p : timings)
        t += p.ms;
    return t;
}

double LayoutResult::stat(std::string_view name) const {
    for (const LayoutStat& s : stats)
        if (name == s.name)
            return s.value;
    return -1.0;
}

Rect computeBounds(const LayoutResult& r) {
    Rect b{INFINITY, INFINITY, -INFINITY, -INFINITY};
    auto box = [&b](Point c, double w, double h) {
        b.minX = std::min(b.minX, c.x - w / 2.0);
        b.maxX = std::max(b.maxX, c.x + w / 2.0);
        b.minY = std::min(b.minY, c.y - h / 2.0);
        b.maxY = std::max(b.maxY, c.y + h / 2.0);
    };
    for (std::size_t v = 0; v < r.positions.size(); ++v)
        box(r.positions[v], r.sizes[v].width, r.sizes[v].height);
    for (const Point& p : r.edgePoints)
        box(p, 0.0, 0.0);
    for (const ClusterBox& c : r.clusters) {
        box({c.box.minX, c.box.minY}, 0.0, 0.0);
        box({c.box.maxX, c.box.maxY}, 0.0, 0.0);
    }
    for (const Marker& m : r.markers)
        box(m.at, m.size.width, m.size.height);
    for (const Arc& a : r.arcs)
        box(a.centre, 2.0 * a.radius, 2.0 * a.radius);
    if (b.minX > b.maxX)
        return Rect{};
    return b;
}

double movedFraction(const LayoutResult& before, const LayoutResult& after, double threshold) {
    std::vector<std::pair<std::uint64_t, std::size_t>> old(before.keys.size());
    for (std::size_t i = 0; i < old.size(); ++i)
        old[i] = {before.keys[i], i};
    std::sort(old.begin(), old.end());
    std::size_t shared = 0, moved = 0;
    for (std::size_t v = 0; v < after.keys.size(); ++v) {
        auto it = std::lower_bound(old.begin(), old.end(), std::make_pair(after.keys[v], 0ul));
        if (it == old.end() || it->first != after.keys[v])
            continue;
        ++shared;
        Point a = before.positions[it->second], b = after.positions[v];
        if (std::hypot(a.x - b.x, a.y - b.y) > threshold)
            ++moved;
    }
    return shared ? static_cast<double>(moved) / static_cast<double>(shared) : 0.0;
}

namespace detail {

void addStraightEdge(LayoutResult& r, NodeId u, NodeId v) {
    Point a = r.positions[u], b = r.positions[v];
    if (u == v) {
        // A loop on the right side of the box.
        double hw = r.sizes[u].width / 2.0, hh = r.sizes[u].height / 4.0;
        Point p0{a.x + hw, a.y - hh}, p1{a.x + hw + hh * 2.0, a.y - hh},
            p2{a.x + hw + hh * 2.0, a.y + hh}, p3{a.x + hw, a.y + hh};
        r.edgePoints.insert(r.edgePoints.end(), {p0, p1, p2, p3});
    } else {
        r.edgePoints.push_back(clipToBox(a, r.sizes[u], b));
        r.edgePoints.push_back(clipToBox(b, r.sizes[v], a));
    }
    endEdge(r, u, v);
}

} // namespace detail

} // namespace waitscope::layouts
