// Scene painting: frames, arcs, edges, nodes, labels; culled by the SceneIndex, with level
// of detail by on-screen box size.
//
// [SECTION] Camera
// [SECTION] Edges
// [SECTION] Nodes
// [SECTION] paintScene / pickNode
#include "graph_painter.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace waitscope::app {

// [SECTION] Camera ---------------------------------------------------------------------

void Camera::zoomAt(ImVec2 origin, ImVec2 anchor, float factor) {
    ImVec2 w = toWorld(origin, anchor);
    zoom = std::clamp(zoom * factor, 1e-5f, 16.0f);
    panX = w.x - (anchor.x - origin.x) / zoom;
    panY = w.y - (anchor.y - origin.y) / zoom;
}

void Camera::fit(float minX, float minY, float maxX, float maxY, ImVec2 size, float margin) {
    float w = std::max(1.0f, maxX - minX), h = std::max(1.0f, maxY - minY);
    float zx = std::max(1.0f, size.x - 2 * margin) / w;
    float zy = std::max(1.0f, size.y - 2 * margin) / h;
    zoom = std::clamp(std::min({zx, zy, 1.5f}), 1e-5f, 16.0f);
    centreOn((minX + maxX) / 2, (minY + maxY) / 2, size);
}

void Camera::centreOn(float x, float y, ImVec2 size) {
    panX = x - size.x / 2 / zoom;
    panY = y - size.y / 2 / zoom;
}

namespace {

struct Painter {
    ImDrawList* dl;
    const PaintInput& in;
    const Scene& s;
    const Theme& th;
    PaintStats stats;
    float textSize; ///< font size on screen; 0: no text at this zoom
    bool boxesOnly; ///< no text, no arrows
    bool folded;    ///< boxes below MinVisSize

    ImVec2 P(float x, float y) const { return in.camera.toScreen(in.origin, x, y); }

    // [SECTION] Edges ------------------------------------------------------------------

    void arrowHead(ImVec2 a, ImVec2 b, ImU32 col, float size) {
        float dx = b.x - a.x, dy = b.y - a.y;
        float len = std::sqrt(dx * dx + dy * dy);
        if (len < 1e-3f)
            return;
        dx /= len, dy /= len;
        ImVec2 l(b.x - dx * size - dy * size * 0.5f, b.y - dy * size + dx * size * 0.5f);
        ImVec2 r(b.x - dx * size + dy * size * 0.5f, b.y - dy * size - dx * size * 0.5f);
        dl->AddTriangleFilled(b, l, r, col);
    }

    void edge(const SceneEdge& e) {
        if (e.pointCount < 2)
            return;
        ImU32 col = th.edges[static_cast<int>(e.style)];
        float width = th.edgeWidth * std::clamp(in.camera.zoom, 0.5f, 2.0f);
        if (e.style == EdgeStyle::Ready || e.style == EdgeStyle::Ovf)
            width *= 1.6f;
        ImVec2 pts[64];
        std::uint32_t n = std::min<std::uint32_t>(e.pointCount, 64);
        for (std::uint32_t k = 0; k < n; ++k)
            pts[k] = P(s.points[2 * (e.pointStart + k)], s.points[2 * (e.pointStart + k) + 1]);
        if (n == 2) {
            dl->AddLine(pts[0], pts[1], col, width);
        } else if (n == 3) {
            dl->AddBezierQuadratic(pts[0], pts[1], pts[2], col, width, 12);
        } else {
            dl->AddPolyline(pts, static_cast<int>(n), col, 0, width);
        }
        ++stats.edgesDrawn;
        if (!boxesOnly && e.arrow)
            arrowHead(pts[n - 2], pts[n - 1], col, std::clamp(8.0f * in.camera.zoom, 4.0f, 14.0f));
        if (textSize > 0 && !e.label.empty()) {
            ImVec2 m = n % 2 ? pts[n / 2]
                             : ImVec2((pts[n / 2 - 1].x + pts[n / 2].x) / 2,
                                      (pts[n / 2 - 1].y + pts[n / 2].y) / 2);
            float ts = textSize * 0.85f;
            ImVec2 sz = in.font->CalcTextSizeA(ts, 1e9f, 0, e.label.c_str());
            ImVec2 p(m.x - sz.x / 2, m.y - sz.y - 2);
            dl->AddRectFilled(p, ImVec2(p.x + sz.x, p.y + sz.y), IM_COL32(0, 0, 0, 150));
            dl->AddText(in.font, ts, p, th.edgeText, e.label.c_str());
            ++stats.labels;
        }
    }

    // [SECTION] Nodes ------------------------------------------------------------------

    void node(std::uint32_t i, const SceneNode& n) {
        ImVec2 a = P(n.x - n.w / 2, n.y - n.h / 2), b = P(n.x + n.w / 2, n.y + n.h / 2);
        const NodeColors& c = th.nodes[static_cast<int>(n.style)];
        float round = boxesOnly ? 0.0f : 4.0f * std::min(1.0f, in.camera.zoom);
        dl->AddRectFilled(a, b, c.fill, round);
        ++stats.nodesDrawn;
        if (n.style == NodeStyle::EpitemRed || n.style == NodeStyle::EpitemBlack)
            ++stats.epitemsDrawn;
        if (boxesOnly) {
            if (n.flags & NodeReady)
                dl->AddRect(a, b, th.ready, 0, 0, 1.5f);
        } else {
            float bw = std::clamp(1.2f * in.camera.zoom, 1.0f, 3.0f);
            dl->AddRect(a, b, c.border, round, 0, bw);
            if (n.flags & NodeReady)
                dl->AddRect(ImVec2(a.x - 3, a.y - 3), ImVec2(b.x + 3, b.y + 3), th.ready, round + 2,
                            0, 2.5f);
            if (n.flags & NodeOvf)
                dl->AddRect(ImVec2(a.x - 6, a.y - 6), ImVec2(b.x + 6, b.y + 6), th.ovf, round + 3,
                            0, 2.0f);
            if (n.flags & NodePartial)
                dl->AddRect(ImVec2(a.x + 2, a.y + 2), ImVec2(b.x - 2, b.y - 2), th.partial, 0, 0,
                            1.5f);
        }
        if (in.changes && in.pulse > 0 && n.object.valid()) {
            auto it = in.changes->find(n.object);
            if (it != in.changes->end()) {
                ImU32 col = it->second == Change::Added ? th.added : th.changed;
                float grow = 4 + 10 * in.pulse;
                int alpha = static_cast<int>(255 * (1.0f - 0.6f * in.pulse));
                dl->AddRect(ImVec2(a.x - grow, a.y - grow), ImVec2(b.x + grow, b.y + grow),
                            (col & 0x00ffffffu) | (static_cast<ImU32>(alpha) << 24), 6, 0, 3.0f);
            }
        }
        if (in.highlights && !in.highlights->empty() && n.object.valid() &&
            in.highlights->count(n.object)) {
            dl->AddRect(ImVec2(a.x - 7, a.y - 7), ImVec2(b.x + 7, b.y + 7), th.highlight, 8, 0,
                        2.5f);
            ++stats.highlighted;
        }
        if (n.object.valid() && n.object == in.selected)
            dl->AddRect(ImVec2(a.x - 4, a.y - 4), ImVec2(b.x + 4, b.y + 4), th.selection, 6, 0,
                        3.0f);
        else if (static_cast<std::int64_t>(i) == in.hovered)
            dl->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2), th.hover, 5, 0, 2.0f);
        if (textSize <= 0)
            return;
        ImVec4 clip(a.x + 2, a.y, b.x - 2, b.y);
        float lineH = textSize * 1.05f;
        bool two = !n.detail.empty() && (b.y - a.y) >= 2 * lineH;
        float ty = two ? (a.y + b.y) / 2 - lineH : (a.y + b.y) / 2 - lineH / 2;
        auto line = [&](const std::string& t, float size, ImU32 col, float y) {
            ImVec2 sz = in.font->CalcTextSizeA(size, 1e9f, 0, t.c_str());
            float x = std::max(a.x + 4, (a.x + b.x) / 2 - sz.x / 2);
            dl->AddText(in.font, size, ImVec2(x, y), col, t.c_str(), nullptr, 0, &clip);
            ++stats.labels;
        };
        line(n.label, textSize, c.text, ty);
        if (two)
            line(n.detail, textSize * 0.85f, (c.text & 0x00ffffffu) | 0xc0000000u, ty + lineH);
        if (n.badge > 0) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%d", n.badge);
            float r = std::max(7.0f, textSize * 0.7f);
            ImVec2 ctr(b.x - 2, a.y + 2);
            dl->AddCircleFilled(ctr, r, th.badgeBg);
            ImVec2 sz = in.font->CalcTextSizeA(textSize * 0.8f, 1e9f, 0, buf);
            dl->AddText(in.font, textSize * 0.8f, ImVec2(ctr.x - sz.x / 2, ctr.y - sz.y / 2),
                        th.badgeText, buf);
        }
    }
};

} // namespace

// [SECTION] paintScene / pickNode ------------------------------------------------------

PaintStats paintScene(ImDrawList* dl, const PaintInput& in) {
    const Scene& s = *in.scene;
    const Theme& th = *in.theme;
    Painter p{dl, in, s, th, {}, 0, false, false};
    p.stats.zoom = in.camera.zoom;
    ImVec2 cmax(in.origin.x + in.size.x, in.origin.y + in.size.y);
    dl->PushClipRect(in.origin, cmax, true);
    dl->AddRectFilled(in.origin, cmax, th.canvasBg);

    const float z = in.camera.zoom;
    float screenText = in.fontSize * z;
    if (in.lod) {
        p.textSize = screenText >= 6.5f ? std::min(screenText, in.fontSize * 2.5f) : 0.0f;
        p.boxesOnly = p.textSize == 0;
        p.folded = 26.0f * z < MinVisSize || 40.0f * z < MinVisSize;
    } else {
        p.textSize = std::max(screenText, 1.0f);
    }

    ImVec2 w0 = in.camera.toWorld(in.origin, in.origin), w1 = in.camera.toWorld(in.origin, cmax);
    WorldRect view{w0.x, w0.y, w1.x, w1.y};
    auto visible = [&](float x0, float y0, float x1, float y1) {
        return !in.cull || !(x1 < view.minX || x0 > view.maxX || y1 < view.minY || y0 > view.maxY);
    };

    for (const SceneFrame& f : s.frames) {
        if (!visible(f.minX, f.minY - 24, f.maxX, f.maxY))
            continue;
        ImVec2 a = p.P(f.minX, f.minY), b = p.P(f.maxX, f.maxY);
        dl->AddRect(a, b, th.frame, 6, 0, 1.0f);
        if (p.textSize > 0 || !in.lod)
            dl->AddText(in.font, std::max(in.fontSize * std::min(z, 1.0f), 9.0f),
                        ImVec2(a.x + 6, a.y - in.fontSize * std::min(z, 1.0f) - 4), th.frameText,
                        f.title.c_str());
    }
    for (const SceneArc& a : s.arcs) {
        if (!visible(a.cx - a.r, a.cy - a.r, a.cx + a.r, a.cy + a.r))
            continue;
        ImVec2 c = p.P(a.cx, a.cy);
        float r = a.r * z;
        // Angles from 12 o'clock clockwise -> ImGui's from 3 o'clock clockwise (y down).
        float a0 = a.start - std::numbers::pi_v<float> / 2;
        dl->PathArcTo(c, r, a0, a0 + a.sweep, 64);
        dl->PathStroke(a.filled ? th.ready : th.frame, 0,
                       a.filled ? 8.0f * std::min(z, 1.5f) : 2.0f);
    }

    static thread_local std::vector<std::uint32_t> ids;
    // Edges: sub-pixel edges are not drawn when folded.
    if (!p.folded) {
        ids.clear();
        if (in.cull && in.index)
            in.index->edgesIn(view, ids);
        else
            for (std::uint32_t e = 0; e < s.edges.size(); ++e)
                ids.push_back(e);
        for (std::uint32_t e : ids)
            p.edge(s.edges[e]);
    }

    ids.clear();
    if (in.cull && in.index)
        in.index->nodesIn(view, ids);
    else
        for (std::uint32_t i = 0; i < s.nodes.size(); ++i)
            ids.push_back(i);
    if (p.folded) {
        // One square per MinVisSize cell of the screen; the first node's colour, brighter
        // with more nodes (Tracy folds sub-pixel zones the same way on its time axis).
        const int cw = static_cast<int>(in.size.x / MinVisSize) + 1;
        const int ch = static_cast<int>(in.size.y / MinVisSize) + 1;
        static thread_local std::vector<std::uint32_t> cells;
        static thread_local std::vector<std::uint32_t> used;
        cells.assign(static_cast<std::size_t>(cw) * ch, 0);
        used.clear();
        for (std::uint32_t i : ids) {
            const SceneNode& n = s.nodes[i];
            if (n.x + n.w / 2 < view.minX || n.x - n.w / 2 > view.maxX ||
                n.y + n.h / 2 < view.minY || n.y - n.h / 2 > view.maxY)
                continue;
            ++p.stats.nodesVisible;
            if (n.style == NodeStyle::EpitemRed || n.style == NodeStyle::EpitemBlack)
                ++p.stats.epitemsVisible;
            ImVec2 sp = p.P(n.x, n.y);
            int cx = std::clamp(static_cast<int>((sp.x - in.origin.x) / MinVisSize), 0, cw - 1);
            int cy = std::clamp(static_cast<int>((sp.y - in.origin.y) / MinVisSize), 0, ch - 1);
            std::uint32_t& cell = cells[static_cast<std::size_t>(cy) * cw + cx];
            if (cell == 0) {
                used.push_back(static_cast<std::uint32_t>(cy) * static_cast<std::uint32_t>(cw) +
                               static_cast<std::uint32_t>(cx));
                cell = (static_cast<std::uint32_t>(n.style) + 1) | (1u << 8);
            } else if ((cell >> 8) < 0xffffff) {
                cell += 1u << 8;
            }
            ++p.stats.nodesFolded;
        }
        for (std::uint32_t u : used) {
            std::uint32_t cell = cells[u];
            auto style = static_cast<NodeStyle>((cell & 0xff) - 1);
            std::uint32_t count = cell >> 8;
            float x =
                in.origin.x + static_cast<float>(u % static_cast<std::uint32_t>(cw)) * MinVisSize;
            float y =
                in.origin.y + static_cast<float>(u / static_cast<std::uint32_t>(cw)) * MinVisSize;
            ImU32 col = th.nodes[static_cast<int>(style)].border;
            if (count == 1)
                col = (col & 0x00ffffffu) | 0xa0000000u;
            dl->AddRectFilled(ImVec2(x, y), ImVec2(x + MinVisSize, y + MinVisSize), col);
        }
        p.stats.foldCells = static_cast<std::uint32_t>(used.size());
    } else {
        for (std::uint32_t i : ids) {
            const SceneNode& n = s.nodes[i];
            if (!visible(n.x - n.w / 2, n.y - n.h / 2, n.x + n.w / 2, n.y + n.h / 2))
                continue;
            ++p.stats.nodesVisible;
            if (n.style == NodeStyle::EpitemRed || n.style == NodeStyle::EpitemBlack)
                ++p.stats.epitemsVisible;
            p.node(i, n);
        }
    }
    dl->PopClipRect();
    return p.stats;
}

std::int64_t pickNode(const Scene& scene, const SceneIndex& index, const Camera& camera,
                      ImVec2 origin, ImVec2 pt) {
    ImVec2 w = camera.toWorld(origin, pt);
    std::vector<std::uint32_t> near;
    index.nodesIn({w.x, w.y, w.x, w.y}, near);
    std::int64_t best = -1;
    for (std::uint32_t i : near) {
        const SceneNode& n = scene.nodes[i];
        if (std::abs(w.x - n.x) <= n.w / 2 && std::abs(w.y - n.y) <= n.h / 2)
            best = std::max<std::int64_t>(best, i); // last drawn wins
    }
    return best;
}

} // namespace waitscope::app
