// The waitscope icon, drawn in code (no downloaded art): a small red-black tree whose root
// wears the green ring of a ready epitem. Used for the window icon and the installed PNG.
#pragma once

#include <cstdint>
#include <vector>

namespace waitscope::app {

/// RGBA pixels (size x size, row-major, straight alpha) of the icon.
[[nodiscard]] std::vector<std::uint8_t> drawIcon(int size);

} // namespace waitscope::app
