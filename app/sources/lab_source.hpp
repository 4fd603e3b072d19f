// The lab VM from the app: list the running VMs, pause/resume one (QMP), boot or stop one,
// and run a lab program with snapshots at its marks. Booting and running go through the
// waitscope binary's own `lab` subcommands as child processes (the same code the CLI
// runs), waited for on this source's thread; the UI gets results through the RunQueue.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "../core/run_queue.hpp"
#include "../core/worker_pool.hpp"

namespace waitscope::app {

/// A running lab VM, from its vm.json.
struct LabVmInfo {
    std::string name;
    std::string release;
    std::string accel;
    std::filesystem::path qmp;
    pid_t qemuPid = -1;
};

class LabSource {
public:
    LabSource(RunQueue& queue, std::function<void()> wake);

    /// Running lab VMs (reads $XDG_RUNTIME_DIR/waitscope/lab/*/vm.json on the worker).
    JobPtr refresh(std::function<void(std::vector<LabVmInfo>)> done);
    /// Pause (`stop`) or resume (`cont`) a VM; `done` gets "" or the error.
    JobPtr setPaused(const LabVmInfo& vm, bool paused, std::function<void(std::string)> done);
    /// `waitscope lab boot --name NAME` / `waitscope lab stop --name NAME`; `done` gets "" or why
    /// not.
    JobPtr boot(const std::string& name, std::function<void(std::string)> done);
    JobPtr stop(const std::string& name, std::function<void(std::string)> done);
    /// `waitscope lab run PROGRAM ARGS... --out DIR`: `done` gets the run directory (its
    /// <mark>.json snapshots make a session) or an error message. Cancelling kills the run.
    /// `runOptions` go to `lab run` before the program (e.g. "--step-script", FILE).
    JobPtr runProgram(const std::string& program, const std::vector<std::string>& args,
                      std::function<void(std::filesystem::path, std::string)> done,
                      std::vector<std::string> runOptions = {});
    /// Lab program names (the build's or the install's lab/programs), empty without a lab.
    [[nodiscard]] static std::vector<std::string> programs();

    [[nodiscard]] std::vector<JobPtr> active() { return m_pool.active(); }
    [[nodiscard]] bool idle() const { return m_pool.idle(); }

private:
    /// Run our own binary with `args`, output to `log`; "" on exit status 0, else the
    /// status and the log's tail. Kills the child when the job is cancelled.
    static std::string runSelf(const std::vector<std::string>& args,
                               const std::filesystem::path& log, Job& job);

    RunQueue& m_queue;
    WorkerPool m_pool;
};

} // namespace waitscope::app
