// The `waitscope lab run` capture step that writes DIR/<mark>.json: a
// snapshot read host-side from the paused guest's RAM. The debug info is
// loaded once per run (while the guest boots), each mark costs only the
// reads, and encoding happens after the VM was resumed.
#pragma once

#include <filesystem>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include <waitscope/lab/run.hpp>
#include <waitscope/pyhost/python_host.hpp>

namespace waitscope::cli {

class LabSnapshotter {
public:
    /// `extraArgs` are passed to the introspect session (e.g. "--pid", "42").
    struct Options {
        std::vector<std::string> extraArgs; ///< e.g. "--pid", "42"
        std::vector<std::string> formats = {"json"};
        /// Snapshot only the process the program names in its last
        /// "WAITSCOPE_EXPECT {...}" line ("pid").
        bool pidFromExpect = false;
        /// Also time a per-member drgn walk (waitscope_introspect.reference)
        /// of the same processes in the same pause: run.json's
        /// snapshot.baseline_ms (a benchmark aid; it lengthens the pause).
        bool baseline = false;
        /// At breakpoint stops, also time a cold snapshot of the same stopped
        /// memory by a fresh `python3 -m waitscope_introspect` process
        /// (interpreter, debug info, walk, encoding): run.json's
        /// snapshot.cold_ms (the step benchmark's baseline; lengthens stops).
        bool coldBaseline = false;
        /// Breakpoint conditions ("KEY=VALUE", all must hold; see stopConditionError()).
        std::vector<std::string> conditions;
        /// Copy-on-pause: rehearse the walk while the VM runs, pause only to
        /// copy the pages it read, walk the copy after resuming.
        bool copyOnPause = true;
    };
    LabSnapshotter(std::filesystem::path labRoot, Options options);
    ~LabSnapshotter();

    /// Hook for RunOptions::onBooted: starts loading debug info in the background.
    void onBoot(lab::Vm& vm);
    /// Hook for RunOptions::captures: reads while paused, encodes after resume.
    void capture(lab::MarkContext& ctx);

    /// Wait until the session is open.
    void ready();
    /// Hook for RunOptions::beforePause: open, then rehearse the capture.
    void beforePause(const std::vector<std::string>& output);

    /// Hook for RunOptions::acceptStop: decode the stop and check the conditions.
    bool accept(nlohmann::json& record);

    /// Install the hooks into `options`; the snapshotter must outlive the run.
    void attach(lab::RunOptions& options);

private:
    std::filesystem::path m_labRoot;
    Options m_options;
    bool m_rehearsed = false;
    double m_rehearseMs = 0;
    /// A breakpoint stop's current task and argument objects (record["decoded"]),
    /// plus the registers and stack scan: the snapshot's capture.stop.
    nlohmann::json decodeStop(nlohmann::json& record);
    std::optional<std::vector<int>> pidsFor(const std::vector<std::string>& output);
    /// A cold snapshot of the stopped VM by a fresh process, ms (-1 on failure).
    double coldSnapshot(const std::filesystem::path& out);
    std::vector<std::string> m_argv; ///< the session's introspect arguments
    std::unique_ptr<pyhost::PythonHost> m_host;
    std::future<std::unique_ptr<pyhost::IntrospectSession>> m_opening;
    std::unique_ptr<pyhost::IntrospectSession> m_session;
    std::string m_disabled; ///< why snapshots are off (reported once)
};

/// Why a breakpoint condition "KEY=VALUE" is malformed, or "" when it is fine. Keys: pid,
/// tgid, comm (the current task), cpu, arg0..arg5, a register (rdi, rip, ...), or an object
/// the arguments lead to (eventpoll, epitem, vpoll, file, wait_queue_head, wait_entry, wakee:
/// VALUE is its address).
std::string stopConditionError(const std::string& condition);

/// Does the stop (its run.json record with "decoded") satisfy "KEY=VALUE"?
bool stopMatches(const nlohmann::json& record, const std::string& condition);

} // namespace waitscope::cli
