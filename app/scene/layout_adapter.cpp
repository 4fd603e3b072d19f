// Layout engine calls. TEMPORARY: until the layouts library (issue 6, branch `layouts`)
// lands on main these are minimal stand-ins (in-order tree, layer rows, plain circles); the
// merge replaces each body with the matching waitscope_layouts call (layoutTree with
// inOrder, layoutLayered, layoutRing, layoutRingBuffer).
#include "layout_adapter.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

namespace waitscope::app {

namespace {

constexpr float Gap = 18.0f, LevelGap = 48.0f;

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void straightEdges(Placement& p, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& e) {
    for (auto [a, b] : e)
        p.edges.push_back({p.x[a], p.y[a], p.x[b], p.y[b]});
}

} // namespace

Placement placeBinaryTree(const std::vector<std::uint32_t>& left,
                          const std::vector<std::uint32_t>& right,
                          const std::vector<std::uint32_t>& roots,
                          const std::vector<BoxSize>& sizes) {
    auto t0 = std::chrono::steady_clock::now();
    const std::size_t n = sizes.size();
    Placement p;
    p.x.assign(n, 0);
    p.y.assign(n, 0);
    float cursor = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    for (std::uint32_t root : roots) {
        // In-order walk: x is the running in-order position; y the depth.
        std::vector<std::pair<std::uint32_t, std::uint32_t>> stack; // node, depth
        std::uint32_t v = root, depth = 0;
        while (v != NoChild || !stack.empty()) {
            while (v != NoChild) {
                stack.push_back({v, depth});
                v = left[v];
                ++depth;
            }
            auto [u, d] = stack.back();
            stack.pop_back();
            p.x[u] = cursor + sizes[u].w / 2;
            p.y[u] = static_cast<float>(d) * (sizes[u].h + LevelGap);
            cursor += sizes[u].w + Gap;
            v = right[u];
            depth = d + 1;
        }
        cursor += 2 * Gap;
    }
    for (std::uint32_t v = 0; v < n; ++v)
        for (std::uint32_t c : {left[v], right[v]})
            if (c != NoChild)
                edges.push_back({v, c});
    straightEdges(p, edges);
    p.ms = msSince(t0);
    return p;
}

Placement placeLayered(const LayeredInput& in) {
    auto t0 = std::chrono::steady_clock::now();
    const std::size_t n = in.sizes.size();
    // Longest-path layers over the edges (cycles cut by visiting order), then rows.
    std::vector<std::uint32_t> layer(n, 0);
    for (std::size_t pass = 0; pass < std::min<std::size_t>(n, 8); ++pass)
        for (auto [a, b] : in.edges)
            if (a != b && layer[b] < layer[a] + 1 && layer[a] + 1 < 8)
                layer[b] = layer[a] + 1;
    std::vector<float> rowX(9, 0), rowH(9, 0);
    for (std::size_t v = 0; v < n; ++v)
        rowH[layer[v]] = std::max(rowH[layer[v]], in.sizes[v].h);
    std::vector<float> rowY(9, 0);
    for (std::size_t l = 1; l < rowY.size(); ++l)
        rowY[l] = rowY[l - 1] + rowH[l - 1] + LevelGap * 1.5f;
    Placement p;
    p.x.assign(n, 0);
    p.y.assign(n, 0);
    for (std::size_t v = 0; v < n; ++v) {
        p.x[v] = rowX[layer[v]] + in.sizes[v].w / 2;
        p.y[v] = rowY[layer[v]];
        rowX[layer[v]] += in.sizes[v].w + Gap;
    }
    straightEdges(p, in.edges);
    p.ms = msSince(t0);
    return p;
}

Placement placeRing(const std::vector<BoxSize>& sizes) {
    auto t0 = std::chrono::steady_clock::now();
    const std::size_t n = sizes.size();
    float perimeter = 0;
    for (const BoxSize& s : sizes)
        perimeter += std::max(s.w, s.h) + Gap;
    float r = std::max(60.0f, perimeter / (2 * std::numbers::pi_v<float>));
    Placement p;
    for (std::size_t i = 0; i < n; ++i) {
        float a = 2 * std::numbers::pi_v<float> * static_cast<float>(i) / static_cast<float>(n);
        p.x.push_back(r * std::sin(a));
        p.y.push_back(-r * std::cos(a));
    }
    p.arcs.push_back({0, 0, r, 0, 2 * std::numbers::pi_v<float>, false});
    p.ms = msSince(t0);
    return p;
}

Placement placeRingBuffer(std::uint32_t slots, std::uint64_t in, std::uint64_t out,
                          bool freeRunning, BoxSize slot) {
    auto t0 = std::chrono::steady_clock::now();
    Placement p;
    if (slots == 0)
        return p;
    float r = std::max(60.0f, static_cast<float>(slots) * (std::max(slot.w, slot.h) + 4.0f) /
                                  (2 * std::numbers::pi_v<float>));
    const float turn = 2 * std::numbers::pi_v<float>;
    for (std::uint32_t i = 0; i < slots; ++i) {
        float a = turn * (static_cast<float>(i) + 0.5f) / static_cast<float>(slots);
        p.x.push_back(r * std::sin(a));
        p.y.push_back(-r * std::cos(a));
    }
    std::uint64_t fill = freeRunning && in - out <= slots ? in - out : (in + slots - out) % slots;
    p.arcs.push_back({0, 0, r, 0, turn, false});
    if (fill > 0)
        p.arcs.push_back({0, 0, r,
                          turn * static_cast<float>(out % slots) / static_cast<float>(slots),
                          turn * static_cast<float>(fill) / static_cast<float>(slots), true});
    p.ms = msSince(t0);
    return p;
}

} // namespace waitscope::app
