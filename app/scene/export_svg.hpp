// SVG of a laid-out scene through the layouts library's writer (layouts::writeSvg).
#pragma once

#include <string>

#include "scene.hpp"

namespace waitscope::app {

/// Standalone SVG 1.1 of the scene: boxes with fills by style and their two lines of text,
/// edges with arrowheads, rings. Black rbtree nodes are drawn dark grey so their labels
/// stay legible on the writer's black text. O(size).
[[nodiscard]] std::string sceneToSvg(const Scene& scene);

} // namespace waitscope::app
