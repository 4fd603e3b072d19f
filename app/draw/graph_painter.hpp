// Paints a Scene into an ImDrawList with culling and level of detail: labelled boxes when
// zoomed in, plain boxes further out, and below MinVisSize pixels the boxes fold into one
// small square per screen cell (Tracy's zone folding, in two dimensions).
#pragma once

#include <imgui.h>

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../scene/scene.hpp"
#include "../scene/scene_index.hpp"
#include "theme.hpp"

namespace waitscope::app {

/// Boxes smaller than this many pixels are folded (Tracy's MinVisSize).
inline constexpr float MinVisSize = 3.0f;

/// World <-> screen transform of a canvas: screen = origin + (world - pan) * zoom.
struct Camera {
    float zoom = 1.0f;
    float panX = 0.0f, panY = 0.0f; ///< world point at the canvas' top-left corner

    [[nodiscard]] ImVec2 toScreen(ImVec2 origin, float x, float y) const {
        return {origin.x + (x - panX) * zoom, origin.y + (y - panY) * zoom};
    }
    [[nodiscard]] ImVec2 toWorld(ImVec2 origin, ImVec2 s) const {
        return {panX + (s.x - origin.x) / zoom, panY + (s.y - origin.y) / zoom};
    }
    /// Zoom by `factor` keeping the world point under `anchor` (screen) in place.
    void zoomAt(ImVec2 origin, ImVec2 anchor, float factor);
    /// Show the rectangle (world) centred in a canvas of `size` pixels with a margin.
    void fit(float minX, float minY, float maxX, float maxY, ImVec2 size, float margin = 24.0f);
    /// Centre the world point (x, y) in a canvas of `size`.
    void centreOn(float x, float y, ImVec2 size);
};

/// How an object changed since the previous snapshot (lecture mode / diff highlights).
enum class Change : std::uint8_t { Added, Changed };

/// Inputs of one paint.
struct PaintInput {
    const Scene* scene = nullptr;
    const SceneIndex* index = nullptr; ///< nullptr or !cull: visit everything
    Camera camera;
    ImVec2 origin, size; ///< canvas rectangle on screen
    const Theme* theme = nullptr;
    ImFont* font = nullptr;
    float fontSize = 15.0f; ///< text size at zoom 1
    model::ObjectId selected;
    std::int64_t hovered = -1;
    const std::unordered_map<model::ObjectId, Change>* changes = nullptr;
    float pulse = 0.0f; ///< 0..1, animates change highlights (0: none)
    /// Objects to outline (search hits, a timeline event's objects); may be null.
    const std::unordered_set<model::ObjectId>* highlights = nullptr;
    bool cull = true; ///< off: every node and edge, in full detail (the benchmark baseline)
    bool lod = true;
};

/// What one paint drew.
struct PaintStats {
    std::uint32_t nodesVisible = 0; ///< nodes in view
    std::uint32_t nodesDrawn = 0;   ///< drawn as boxes
    std::uint32_t nodesFolded = 0;  ///< folded into cells
    std::uint32_t foldCells = 0;
    std::uint32_t edgesDrawn = 0;
    std::uint32_t labels = 0;
    std::uint32_t epitemsDrawn = 0; ///< rbtree nodes (red or black epitems) drawn as boxes
    std::uint32_t epitemsVisible = 0;
    std::uint32_t highlighted = 0; ///< highlighted nodes drawn
    float zoom = 1.0f;
};

/// Paint `in.scene` into `dl` (clipped to the canvas). O(visible) with culling.
PaintStats paintScene(ImDrawList* dl, const PaintInput& in);

/// The node under screen point `p`, or -1. O(nodes near p).
[[nodiscard]] std::int64_t pickNode(const Scene& scene, const SceneIndex& index,
                                    const Camera& camera, ImVec2 origin, ImVec2 p);

} // namespace waitscope::app
