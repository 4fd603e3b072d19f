// SceneIndex: CSR grid buckets for nodes and edges.
#include "scene_index.hpp"

#include <algorithm>
#include <cmath>

namespace waitscope::app {

SceneIndex::SceneIndex(const Scene& scene) : m_scene(scene) {
    const std::size_t n = scene.nodes.size() + scene.edges.size();
    float w = std::max(1.0f, scene.maxX - scene.minX), h = std::max(1.0f, scene.maxY - scene.minY);
    // About two items per cell, at least one cell, square cells.
    double target = std::max<double>(1.0, static_cast<double>(n) / 2.0);
    m_cell = static_cast<float>(std::sqrt(static_cast<double>(w) * h / target));
    m_cell = std::max({m_cell, 8.0f, std::max(w, h) / 65536.0f});
    m_x0 = scene.minX;
    m_y0 = scene.minY;
    m_cols = std::max(1, static_cast<int>(std::ceil(w / m_cell)));
    m_rows = std::max(1, static_cast<int>(std::ceil(h / m_cell)));
    const std::size_t cellsN = static_cast<std::size_t>(m_cols) * m_rows;

    auto cellOf = [&](float x, float y) {
        int c = std::clamp(static_cast<int>((x - m_x0) / m_cell), 0, m_cols - 1);
        int r = std::clamp(static_cast<int>((y - m_y0) / m_cell), 0, m_rows - 1);
        return static_cast<std::size_t>(r) * m_cols + c;
    };
    // Nodes: counting sort by centre cell.
    m_nodeStart.assign(cellsN + 1, 0);
    for (const SceneNode& nd : scene.nodes) {
        ++m_nodeStart[cellOf(nd.x, nd.y) + 1];
        m_maxHalfW = std::max(m_maxHalfW, nd.w / 2);
        m_maxHalfH = std::max(m_maxHalfH, nd.h / 2);
    }
    for (std::size_t i = 0; i < cellsN; ++i)
        m_nodeStart[i + 1] += m_nodeStart[i];
    m_nodeItems.resize(scene.nodes.size());
    {
        std::vector<std::uint32_t> fill(m_nodeStart.begin(), m_nodeStart.end() - 1);
        for (std::uint32_t i = 0; i < scene.nodes.size(); ++i)
            m_nodeItems[fill[cellOf(scene.nodes[i].x, scene.nodes[i].y)]++] = i;
    }
    // Edges: every cell of the bounding box.
    m_edgeBox.resize(scene.edges.size());
    m_edgeStart.assign(cellsN + 1, 0);
    for (std::size_t e = 0; e < scene.edges.size(); ++e) {
        const SceneEdge& ed = scene.edges[e];
        WorldRect b{1e30f, 1e30f, -1e30f, -1e30f};
        for (std::uint32_t k = 0; k < ed.pointCount; ++k) {
            float x = scene.points[2 * (ed.pointStart + k)],
                  y = scene.points[2 * (ed.pointStart + k) + 1];
            b.minX = std::min(b.minX, x), b.maxX = std::max(b.maxX, x);
            b.minY = std::min(b.minY, y), b.maxY = std::max(b.maxY, y);
        }
        m_edgeBox[e] = b;
        if (ed.pointCount == 0)
            continue;
        CellRange cr = cells(b);
        for (int r = cr.r0; r <= cr.r1; ++r)
            for (int c = cr.c0; c <= cr.c1; ++c)
                ++m_edgeStart[static_cast<std::size_t>(r) * m_cols + c + 1];
    }
    for (std::size_t i = 0; i < cellsN; ++i)
        m_edgeStart[i + 1] += m_edgeStart[i];
    m_edgeItems.resize(m_edgeStart.back());
    {
        std::vector<std::uint32_t> fill(m_edgeStart.begin(), m_edgeStart.end() - 1);
        for (std::uint32_t e = 0; e < scene.edges.size(); ++e) {
            if (scene.edges[e].pointCount == 0)
                continue;
            CellRange cr = cells(m_edgeBox[e]);
            for (int r = cr.r0; r <= cr.r1; ++r)
                for (int c = cr.c0; c <= cr.c1; ++c)
                    m_edgeItems[fill[static_cast<std::size_t>(r) * m_cols + c]++] = e;
        }
    }
    m_edgeStamp.assign(scene.edges.size(), 0);
}

SceneIndex::CellRange SceneIndex::cells(const WorldRect& r) const {
    CellRange c;
    c.c0 = std::clamp(static_cast<int>(std::floor((r.minX - m_x0) / m_cell)), 0, m_cols - 1);
    c.c1 = std::clamp(static_cast<int>(std::floor((r.maxX - m_x0) / m_cell)), 0, m_cols - 1);
    c.r0 = std::clamp(static_cast<int>(std::floor((r.minY - m_y0) / m_cell)), 0, m_rows - 1);
    c.r1 = std::clamp(static_cast<int>(std::floor((r.maxY - m_y0) / m_cell)), 0, m_rows - 1);
    return c;
}

void SceneIndex::nodesIn(const WorldRect& q, std::vector<std::uint32_t>& out) const {
    WorldRect r{q.minX - m_maxHalfW, q.minY - m_maxHalfH, q.maxX + m_maxHalfW, q.maxY + m_maxHalfH};
    if (r.maxX < m_scene.minX - m_cell || r.minX > m_scene.maxX + m_cell ||
        r.maxY < m_scene.minY - m_cell || r.minY > m_scene.maxY + m_cell)
        return;
    CellRange cr = cells(r);
    for (int row = cr.r0; row <= cr.r1; ++row) {
        std::size_t base = static_cast<std::size_t>(row) * m_cols;
        // Cells of a row are contiguous in the CSR arrays.
        out.insert(out.end(), m_nodeItems.begin() + m_nodeStart[base + cr.c0],
                   m_nodeItems.begin() + m_nodeStart[base + cr.c1 + 1]);
    }
}

void SceneIndex::edgesIn(const WorldRect& r, std::vector<std::uint32_t>& out) const {
    if (r.maxX < m_scene.minX - m_cell || r.minX > m_scene.maxX + m_cell ||
        r.maxY < m_scene.minY - m_cell || r.minY > m_scene.maxY + m_cell)
        return;
    if (++m_stamp == 0) {
        std::fill(m_edgeStamp.begin(), m_edgeStamp.end(), 0);
        m_stamp = 1;
    }
    CellRange cr = cells(r);
    for (int row = cr.r0; row <= cr.r1; ++row) {
        std::size_t base = static_cast<std::size_t>(row) * m_cols;
        for (std::uint32_t i = m_edgeStart[base + cr.c0]; i < m_edgeStart[base + cr.c1 + 1]; ++i) {
            std::uint32_t e = m_edgeItems[i];
            if (m_edgeStamp[e] == m_stamp)
                continue;
            m_edgeStamp[e] = m_stamp;
            const WorldRect& b = m_edgeBox[e];
            if (b.maxX < r.minX || b.minX > r.maxX || b.maxY < r.minY || b.minY > r.maxY)
                continue;
            out.push_back(e);
        }
    }
}

} // namespace waitscope::app
