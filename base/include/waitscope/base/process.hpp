// Child processes: spawn with a death signal, wait with a timeout, kill.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace waitscope::base {

struct SpawnOptions {
    std::string stdinPath = "/dev/null";
    std::string stdoutPath;    ///< empty: inherit
    std::string stderrPath;    ///< empty: inherit
    bool dieWithParent = true; ///< PR_SET_PDEATHSIG(SIGKILL)
    bool newSession = false;   ///< setsid(): own process group
};

/// Start argv[0] (searched in PATH) with argv; throws Error.
pid_t spawnProcess(const std::vector<std::string>& argv, const SpawnOptions& options = {});

/// Wait up to `timeout` for `pid` to exit; returns its wait status or nullopt.
std::optional<int> waitProcess(pid_t pid, std::chrono::milliseconds timeout);

/// True while `pid` runs (exists and is not a zombie).
bool processAlive(pid_t pid);

/// Exit code from a wait status (128 + signal when killed).
int exitCodeOf(int waitStatus);

} // namespace waitscope::base
