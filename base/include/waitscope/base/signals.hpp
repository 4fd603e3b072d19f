// SIGINT/SIGTERM/SIGHUP as a flag, so long-running commands can tear down
// what they started (VMs, files) instead of dying mid-way.
#pragma once

namespace waitscope::base {

/// Install handlers (without SA_RESTART: blocking calls return EINTR).
void installStopSignals();
/// The signal number received, or 0.
int stopRequested();

} // namespace waitscope::base
