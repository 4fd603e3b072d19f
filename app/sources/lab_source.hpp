// The lab VM from the app: list the running VMs, pause/resume one (QMP), boot or stop one,
// and run a lab program with snapshots at its marks. Booting and running go through the
// waitscope binary's own `lab` subcommands as child processes (the same code the CLI
// runs), waited for on this source's thread; the UI gets results through the RunQueue.
// It also owns the live timeline of the lab VM the app is attached to (its own thread).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/run_queue.hpp"
#include "../core/worker_pool.hpp"

namespace waitscope::app {

class LiveTimeline;

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
    ~LabSource(); ///< joins the live timeline's threads, then the worker

    /// Running lab VMs (reads $XDG_RUNTIME_DIR/waitscope/lab/*/vm.json on the worker).
    JobPtr refresh(std::function<void(std::vector<LabVmInfo>)> done);
    /// Pause (`stop`) or resume (`cont`) a VM; `done` gets "" or the error.
    JobPtr setPaused(const LabVmInfo& vm, bool paused, std::function<void(std::string)> done);
    /// `waitscope lab boot --name NAME` / `waitscope lab stop --name NAME`; `done` gets "" or why
    /// not.
    JobPtr boot(const std::string& name, std::function<void(std::string)> done);
    JobPtr stop(const std::string& name, std::function<void(std::string)> done);
    /// `waitscope lab run --events PROGRAM ARGS... --out DIR`: `done` gets the run directory
    /// (its <mark>.json snapshots make a session, events.json the timeline) or an error
    /// message. Cancelling kills the run. Once the run's VM is up, its flight recorder
    /// streams into the Timeline view (startLive on the run's state directory) until the
    /// run ends.
    /// `runOptions` go to `lab run` before the program (e.g. "--step-script", FILE).
    JobPtr runProgram(const std::string& program, const std::vector<std::string>& args,
                      std::function<void(std::filesystem::path, std::string)> done,
                      std::vector<std::string> runOptions = {});
    /// Lab program names (the build's or the install's lab/programs), empty without a lab.
    [[nodiscard]] static std::vector<std::string> programs();

    [[nodiscard]] std::vector<JobPtr> active() { return m_pool.active(); }
    [[nodiscard]] bool idle() const { return m_pool.idle(); }

    /// Capture vpoll's flight recorder of lab VM `vm` (name or state directory) live into
    /// the Timeline view; nothing when that VM's capture already runs. Any other capture
    /// stops. Never blocks (UI thread).
    void startLive(const std::string& vm);
    /// Stop the live capture (its thread is joined later, off the UI's way). UI thread.
    void stopLive();
    /// The live capture (null when none); it keeps its events after the VM exits.
    [[nodiscard]] LiveTimeline* live() const { return m_live.get(); }

private:
    /// Run our own binary with `args`, output to `log`; "" on exit status 0, else the
    /// status and the log's tail. Kills the child when the job is cancelled. `whileRunning`
    /// (may be empty) gets the child's pid about every 200 ms until it exits.
    static std::string runSelf(const std::vector<std::string>& args,
                               const std::filesystem::path& log, Job& job,
                               const std::function<void(pid_t)>& whileRunning = {});

    RunQueue& m_queue;
    std::function<void()> m_wake;
    WorkerPool m_pool;
    std::unique_ptr<LiveTimeline> m_live;
    /// Stopped captures whose threads are still winding down; joined once finished (or
    /// by the destructor).
    std::vector<std::unique_ptr<LiveTimeline>> m_stopping;
};

} // namespace waitscope::app
