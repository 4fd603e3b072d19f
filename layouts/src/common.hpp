// Helpers shared by the engines (internal): phase timer, box clipping, result assembly.
#pragma once

#include <chrono>
#include <cmath>
#include <vector>

#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts::detail {

/// Appends one PhaseTiming per finished phase to a result.
class PhaseClock {
public:
    explicit PhaseClock(std::vector<PhaseTiming>& out)
        : m_out(out), m_start(std::chrono::steady_clock::now()) {}
    /// End the current phase as `name` (a static string) and start the next one.
    void lap(const char* name) {
        auto now = std::chrono::steady_clock::now();
        m_out.push_back({name, std::chrono::duration<double, std::milli>(now - m_start).count()});
        m_start = now;
    }

private:
    std::vector<PhaseTiming>& m_out;
    std::chrono::steady_clock::time_point m_start;
};

/// Where the segment from the centre `c` of a box (w x h) towards `to` leaves the box.
inline Point clipToBox(Point c, Size s, Point to) {
    double dx = to.x - c.x, dy = to.y - c.y;
    if (dx == 0.0 && dy == 0.0)
        return c;
    double hw = s.width / 2.0, hh = s.height / 2.0;
    double tx = dx != 0.0 ? hw / std::fabs(dx) : INFINITY;
    double ty = dy != 0.0 ? hh / std::fabs(dy) : INFINITY;
    double t = std::fmin(std::fmin(tx, ty), 1.0);
    return {c.x + dx * t, c.y + dy * t};
}

/// Start a result for n nodes: positions zeroed, sizes/keys/layers filled.
template <typename Input>
void initResult(LayoutResult& r, const Input& in, const std::vector<Size>& sizes) {
    NodeId n = static_cast<NodeId>(sizes.size());
    r.positions.assign(n, Point{});
    r.sizes = sizes;
    r.keys.resize(n);
    for (NodeId v = 0; v < n; ++v)
        r.keys[v] = in.keyOf(v);
    r.layers.assign(n, -1);
    r.edgeStart.assign(1, 0);
}

/// Close the polyline of the next edge, u -> v (its points were appended to edgePoints).
inline void endEdge(LayoutResult& r, NodeId u, NodeId v) {
    r.edges.push_back({u, v});
    r.edgeStart.push_back(static_cast<std::uint32_t>(r.edgePoints.size()));
}

/// A straight edge between the boxes of u and v (a self loop gets a small loop on the right).
void addStraightEdge(LayoutResult& r, NodeId u, NodeId v);

} // namespace waitscope::layouts::detail
