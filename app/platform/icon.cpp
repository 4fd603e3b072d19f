// Icon rasteriser: anti-aliased discs, rings and thick lines by coverage sampling (4x4
// samples per pixel), composited over a rounded dark square. The same geometry is in
// assets/icons/waitscope.svg.
#include "icon.hpp"

#include <algorithm>
#include <cmath>

namespace waitscope::app {

namespace {

struct Rgba {
    float r, g, b, a;
};

/// Geometry in a 64 x 64 design space.
struct Disc {
    float x, y, r;
    Rgba fill;
};

constexpr Rgba Red{0.80f, 0.16f, 0.16f, 1}, Black{0.08f, 0.08f, 0.09f, 1},
    Green{0.31f, 0.90f, 0.43f, 1}, Edge{0.78f, 0.78f, 0.80f, 1}, Back{0.12f, 0.16f, 0.20f, 1},
    Rim{0.45f, 0.50f, 0.58f, 1};

constexpr Disc Nodes[] = {
    {32, 17, 7.5f, Black}, {18, 34, 6.5f, Red},   {46, 34, 6.5f, Red},
    {11, 50, 5.5f, Black}, {25, 50, 5.5f, Black}, {53, 50, 5.5f, Black},
};
constexpr int Links[][2] = {{0, 1}, {0, 2}, {1, 3}, {1, 4}, {2, 5}};

float segmentDistance(float px, float py, float ax, float ay, float bx, float by) {
    float dx = bx - ax, dy = by - ay;
    float t = std::clamp(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0f, 1.0f);
    float qx = ax + t * dx - px, qy = ay + t * dy - py;
    return std::sqrt(qx * qx + qy * qy);
}

/// The colour at design-space point (x, y), front to back.
Rgba sample(float x, float y) {
    // Nodes (with outlines), the ready ring around the root, edges, the background.
    for (const Disc& d : Nodes) {
        float dist = std::hypot(x - d.x, y - d.y);
        if (dist <= d.r - 1.2f)
            return d.fill;
        if (dist <= d.r)
            return Rim;
    }
    float ring = std::hypot(x - Nodes[0].x, y - Nodes[0].y);
    if (ring >= 9.5f && ring <= 12.0f)
        return Green;
    for (const auto& l : Links)
        if (segmentDistance(x, y, Nodes[l[0]].x, Nodes[l[0]].y, Nodes[l[1]].x, Nodes[l[1]].y) <=
            1.3f)
            return Edge;
    // Rounded square, corner radius 12.
    float cx = std::clamp(x, 12.0f, 52.0f), cy = std::clamp(y, 12.0f, 52.0f);
    if (x >= 1 && x <= 63 && y >= 1 && y <= 63 && std::hypot(x - cx, y - cy) <= 11.0f)
        return Back;
    return {0, 0, 0, 0};
}

} // namespace

std::vector<std::uint8_t> drawIcon(int size) {
    std::vector<std::uint8_t> px(static_cast<std::size_t>(size) * size * 4);
    const int n = 4; // samples per axis
    const float scale = 64.0f / static_cast<float>(size);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            Rgba acc{0, 0, 0, 0};
            for (int sy = 0; sy < n; ++sy)
                for (int sx = 0; sx < n; ++sx) {
                    Rgba c = sample(
                        (static_cast<float>(x) + (static_cast<float>(sx) + 0.5f) / n) * scale,
                        (static_cast<float>(y) + (static_cast<float>(sy) + 0.5f) / n) * scale);
                    acc.r += c.r * c.a, acc.g += c.g * c.a, acc.b += c.b * c.a, acc.a += c.a;
                }
            std::uint8_t* p = &px[(static_cast<std::size_t>(y) * size + x) * 4];
            float a = acc.a / (n * n);
            p[0] = static_cast<std::uint8_t>(acc.a > 0 ? 255 * acc.r / acc.a : 0);
            p[1] = static_cast<std::uint8_t>(acc.a > 0 ? 255 * acc.g / acc.a : 0);
            p[2] = static_cast<std::uint8_t>(acc.a > 0 ? 255 * acc.b / acc.a : 0);
            p[3] = static_cast<std::uint8_t>(255 * a);
        }
    return px;
}

} // namespace waitscope::app
