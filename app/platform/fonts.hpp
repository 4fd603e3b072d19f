// Fonts: DejaVu Sans / Sans Mono from Debian's fonts-dejavu-core at two sizes (normal and
// lecture mode), falling back to ImGui's built-in font.
#pragma once

#include "../core/app.hpp"

namespace waitscope::app {

/// Add the fonts to ImGui's atlas (before the first frame). `log` gets a line per fallback.
[[nodiscard]] Fonts loadFonts(std::vector<std::string>& log);

} // namespace waitscope::app
