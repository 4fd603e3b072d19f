// Colours per node and edge style, for the normal and the high-contrast (lecture) themes.
#pragma once

#include <imgui.h>

#include "../scene/scene.hpp"

namespace waitscope::app {

struct NodeColors {
    ImU32 fill, border, text;
};

struct Theme {
    NodeColors nodes[static_cast<int>(NodeStyle::Count)];
    ImU32 edges[static_cast<int>(EdgeStyle::Count)];
    ImU32 canvasBg, grid, frame, frameText, selection, highlight, hover, ready, ovf, partial, added,
        changed, edgeText, badgeBg, badgeText;
    float edgeWidth = 1.5f;
    bool highContrast = false;
};

/// The default dark theme.
[[nodiscard]] const Theme& darkTheme();
/// Lecture mode: black background, saturated colours, thick lines.
[[nodiscard]] const Theme& highContrastTheme();

/// Apply the ImGui widget colours that go with a theme.
void applyImGuiStyle(bool highContrast);

} // namespace waitscope::app
