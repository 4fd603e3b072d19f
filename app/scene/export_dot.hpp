// Graphviz DOT of a laid-out scene (positions pinned, so `neato -n2 -Tsvg` draws it as the
// canvas does; `dot` re-lays it out).
#pragma once

#include <string>

#include "scene.hpp"

namespace waitscope::app {

/// DOT text: one node per box (label, detail, fill colour by style, pos in points with y
/// up), one edge per scene edge between boxes (colour by style, label). O(size).
[[nodiscard]] std::string sceneToDot(const Scene& scene);

} // namespace waitscope::app
