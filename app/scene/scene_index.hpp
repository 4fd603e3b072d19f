// A uniform grid over a scene for culling: nodes by the cell of their centre (queries widen
// the rectangle by the largest half box), edges in every cell their bounding box touches.
#pragma once

#include <cstdint>
#include <vector>

#include "scene.hpp"

namespace waitscope::app {

/// World-space rectangle.
struct WorldRect {
    float minX = 0, minY = 0, maxX = 0, maxY = 0;
};

class SceneIndex {
public:
    /// Build for `scene` (kept by reference: it must outlive the index). O(nodes + edge cells).
    explicit SceneIndex(const Scene& scene);

    /// Node indices whose boxes may intersect `r` (a superset, each once), appended to `out`.
    /// O(cells in r + nodes found); all nodes when r covers most of the grid.
    void nodesIn(const WorldRect& r, std::vector<std::uint32_t>& out) const;
    /// Edge indices whose bounding boxes intersect `r`, each once, appended to `out`.
    void edgesIn(const WorldRect& r, std::vector<std::uint32_t>& out) const;

    [[nodiscard]] float maxHalfW() const { return m_maxHalfW; }
    [[nodiscard]] float maxHalfH() const { return m_maxHalfH; }
    [[nodiscard]] std::size_t cellCount() const {
        return static_cast<std::size_t>(m_cols) * m_rows;
    }

private:
    struct CellRange {
        int c0, c1, r0, r1;
    };
    [[nodiscard]] CellRange cells(const WorldRect& r) const;

    const Scene& m_scene;
    float m_x0 = 0, m_y0 = 0, m_cell = 1;
    int m_cols = 1, m_rows = 1;
    float m_maxHalfW = 0, m_maxHalfH = 0;
    std::vector<std::uint32_t> m_nodeStart, m_nodeItems;
    std::vector<std::uint32_t> m_edgeStart, m_edgeItems;
    std::vector<WorldRect> m_edgeBox;
    mutable std::vector<std::uint32_t> m_edgeStamp;
    mutable std::uint32_t m_stamp = 0;
};

} // namespace waitscope::app
