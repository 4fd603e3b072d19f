// The demo session compiled into the binary (generated from assets/demo at build time by
// cmake/EmbedFiles.cmake), so `waitscope` shows real epoll state even when moved alone.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace waitscope::app {

struct EmbeddedFile {
    std::string name;       ///< file name in assets/demo
    std::string_view bytes; ///< its content
};

/// The embedded demo files in session order (empty when assets/demo had none).
[[nodiscard]] std::span<const EmbeddedFile> embeddedDemo();

} // namespace waitscope::app
