// `waitscope lab shell`: the serial console of a lab VM on this terminal.
#pragma once

#include <filesystem>

namespace waitscope::lab {

/// Proxy this terminal (raw mode when it is a tty) to the console socket
/// until Ctrl-] or the VM goes away. Returns 0, or 1 when it cannot connect.
int attachConsole(const std::filesystem::path& consoleSocket);

} // namespace waitscope::lab
