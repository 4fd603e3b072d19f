// Unix-domain stream sockets (QEMU's QMP, gdbstub, console and channel).
#pragma once

#include <filesystem>

#include <waitscope/base/fd.hpp>

namespace waitscope::base {

/// Connect to the socket at `path`; an empty Fd when nobody listens (yet).
/// Throws Error when the path is too long for a socket address.
Fd connectUnix(const std::filesystem::path& path);

} // namespace waitscope::base
