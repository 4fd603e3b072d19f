// Circular list layout and the kfifo/circ_buf ring layout.
// [SECTION] geometry helpers
// [SECTION] circular list
// [SECTION] ring buffer
#include <algorithm>
#include <cmath>
#include <numbers>

#include <waitscope/layouts/ring.hpp>

#include "common.hpp"

namespace waitscope::layouts {

namespace {

// [SECTION] geometry helpers

constexpr double Turn = 2.0 * std::numbers::pi;

/// Point at `angle` (0 = 12 o'clock, clockwise on screen) on a circle.
Point onCircle(Point c, double radius, double angle) {
    return {c.x + radius * std::sin(angle), c.y - radius * std::cos(angle)};
}

double halfDiagonal(Size s) {
    return 0.5 * std::hypot(s.width, s.height);
}

/// Smallest radius on which items with angular shares s_i (summing to total) never overlap,
/// given bounding-circle radii rho_i, with gap: for any two items the shorter arc between
/// them holds at least half of each one's share, so it is enough that the chord for the
/// pair with the two largest shares clears (x / sin x is increasing on (0, pi/2]).
double ringRadius(const std::vector<double>& share, double total, double minRadius) {
    if (share.size() < 2)
        return minRadius;
    double a = 0.0, b = 0.0; // two largest shares
    for (double s : share) {
        if (s > a) {
            b = a;
            a = s;
        } else if (s > b) {
            b = s;
        }
    }
    double q = (a + b) / 2.0; // = rho_i + rho_j + gap
    double r = q / (2.0 * std::sin(std::numbers::pi * q / total));
    return std::max(r, minRadius);
}

// [SECTION] circular list

std::vector<NodeId> ringOrder(const Graph& g, const RingOptions& o) {
    NodeId n = g.nodeCount();
    std::vector<NodeId> order;
    order.reserve(n);
    std::vector<std::uint8_t> seen(n, 0);
    auto take = [&](NodeId v) {
        if (v < n && !seen[v]) {
            seen[v] = 1;
            order.push_back(v);
            return true;
        }
        return false;
    };
    if (!o.order.empty()) {
        for (NodeId v : o.order)
            take(v);
        for (NodeId v = 0; v < n; ++v)
            take(v);
        return order;
    }
    std::vector<std::uint32_t> start(n + 1, 0);
    for (const Edge& e : g.edges)
        if (e.from < n && e.to < n)
            ++start[e.from + 1];
    for (NodeId v = 0; v < n; ++v)
        start[v + 1] += start[v];
    std::vector<NodeId> out(start[n]);
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (const Edge& e : g.edges)
        if (e.from < n && e.to < n)
            out[fill[e.from]++] = e.to;
    auto follow = [&](NodeId v) {
        while (take(v)) {
            NodeId next = NoNode;
            for (std::uint32_t i = start[v]; i < start[v + 1] && next == NoNode; ++i)
                if (!seen[out[i]])
                    next = out[i];
            if (next == NoNode)
                break;
            v = next;
        }
    };
    follow(o.head < n ? o.head : 0);
    for (NodeId v = 0; v < n; ++v)
        follow(v);
    return order;
}

} // namespace

LayoutResult layoutRing(const Graph& g, const RingOptions& o, const LayoutResult* previous) {
    LayoutResult r;
    detail::PhaseClock clock(r.timings);
    detail::initResult(r, g, g.sizes);
    NodeId n = g.nodeCount();
    std::vector<NodeId> order = ringOrder(g, o);
    std::vector<double> share(n), angle(n, 0.0);
    double total = 0.0;
    for (NodeId i = 0; i < n; ++i) {
        share[i] = 2.0 * halfDiagonal(g.sizes[order[i]]) + o.gap;
        total += share[i];
    }
    double radius = ringRadius(share, total, o.minRadius);
    if (previous && !previous->arcs.empty() && previous->arcs.front().kind == ArcKind::Track)
        radius = std::max(radius, previous->arcs.front().radius);
    double maxRho = 0.0;
    for (NodeId v = 0; v < n; ++v)
        maxRho = std::max(maxRho, halfDiagonal(g.sizes[v]));
    Point centre{radius + maxRho, radius + maxRho};
    double acc = 0.0;
    for (NodeId i = 0; i < n; ++i) {
        NodeId v = order[i];
        angle[v] = Turn * (acc + (share[i] - share[0]) / 2.0) / total; // head at 0
        acc += share[i];
        r.positions[v] = onCircle(centre, radius, angle[v]);
        r.layers[v] = static_cast<std::int32_t>(i);
    }
    clock.lap("place");

    // Edges: ring neighbours along the circle, the rest as chords.
    for (const Edge& e : g.edges) {
        if (e.from >= n || e.to >= n) {
            detail::endEdge(r, e.from, e.to);
            continue;
        }
        std::int32_t pu = r.layers[e.from], pv = r.layers[e.to];
        bool next = (pu + 1) % static_cast<std::int32_t>(n) == pv;
        bool prev = (pv + 1) % static_cast<std::int32_t>(n) == pu;
        if (e.from == e.to || n < 3 || !(next || prev)) {
            detail::addStraightEdge(r, e.from, e.to);
            continue;
        }
        double a0 = angle[e.from], a1 = angle[e.to];
        if (next && a1 <= a0)
            a1 += Turn; // wraps past 12 o'clock
        if (prev && a1 >= a0)
            a1 -= Turn;
        int steps = std::max(2, static_cast<int>(std::ceil(std::fabs(a1 - a0) / (Turn / 72.0))));
        std::vector<Point> arc;
        for (int s = 1; s < steps; ++s) {
            Point p = onCircle(centre, radius, a0 + (a1 - a0) * s / steps);
            auto inside = [&](NodeId v) {
                return std::fabs(p.x - r.positions[v].x) <= g.sizes[v].width / 2.0 &&
                       std::fabs(p.y - r.positions[v].y) <= g.sizes[v].height / 2.0;
            };
            if (!inside(e.from) && !inside(e.to))
                arc.push_back(p);
        }
        Point pa = arc.empty() ? r.positions[e.to] : arc.front();
        Point pb = arc.empty() ? r.positions[e.from] : arc.back();
        r.edgePoints.push_back(detail::clipToBox(r.positions[e.from], g.sizes[e.from], pa));
        r.edgePoints.insert(r.edgePoints.end(), arc.begin(), arc.end());
        r.edgePoints.push_back(detail::clipToBox(r.positions[e.to], g.sizes[e.to], pb));
        detail::endEdge(r, e.from, e.to);
    }
    r.arcs.push_back({ArcKind::Track, centre, radius, 0.0, Turn});
    if (n > 0) {
        NodeId h = order.front();
        Marker m;
        m.kind = MarkerKind::Head;
        m.owner = h;
        double out = halfDiagonal(g.sizes[h]) + 9.0;
        m.at = onCircle(centre, radius + out, angle[h]);
        r.markers.push_back(m);
    }
    r.bounds = computeBounds(r);
    clock.lap("route");
    return r;
}

// [SECTION] ring buffer

std::uint32_t ringFill(const RingBuffer& ring) {
    if (ring.slots == 0)
        return 0;
    std::uint64_t d = ring.in - ring.out;
    if (d <= ring.slots)
        return static_cast<std::uint32_t>(d);
    std::uint64_t in = ring.in % ring.slots, out = ring.out % ring.slots;
    return static_cast<std::uint32_t>((in + ring.slots - out) % ring.slots);
}

LayoutResult layoutRingBuffer(const RingBuffer& ring, const RingBufferOptions& o) {
    LayoutResult r;
    detail::PhaseClock clock(r.timings);
    std::uint32_t n = ring.slots;
    r.positions.resize(n);
    r.sizes.assign(n, o.slotSize);
    r.keys.resize(n);
    r.layers.resize(n);
    r.edgeStart.assign(1, 0);
    double s = 2.0 * halfDiagonal(o.slotSize) + o.gap;
    double radius = ringRadius(std::vector<double>(n, s), s * n, o.minRadius);
    double rho = halfDiagonal(o.slotSize);
    double margin = rho + 12.0;
    Point centre{radius + margin, radius + margin};
    auto slotAngle = [n](std::uint64_t i) { return Turn * (static_cast<double>(i) + 0.5) / n; };
    for (std::uint32_t i = 0; i < n; ++i) {
        r.positions[i] = onCircle(centre, radius, slotAngle(i));
        r.keys[i] = i;
        r.layers[i] = static_cast<std::int32_t>(i);
    }
    r.arcs.push_back({ArcKind::Track, centre, radius, 0.0, Turn});
    if (n > 0) {
        std::uint32_t filled = ringFill(ring);
        std::uint32_t out = static_cast<std::uint32_t>(ring.out % n);
        std::uint32_t in = static_cast<std::uint32_t>(ring.in % n);
        r.arcs.push_back({ArcKind::Filled, centre, radius, Turn * out / n, Turn * filled / n});
        auto marker = [&](MarkerKind kind, std::uint32_t slot) {
            Marker m;
            m.kind = kind;
            m.owner = slot;
            m.at = onCircle(centre, radius + rho + 6.0, slotAngle(slot));
            r.markers.push_back(m);
        };
        marker(MarkerKind::In, in);
        marker(MarkerKind::Out, out);
    }
    r.bounds = computeBounds(r);
    clock.lap("place");
    return r;
}

} // namespace waitscope::layouts
