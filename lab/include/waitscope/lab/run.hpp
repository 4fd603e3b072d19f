// `waitscope lab run`: boot a VM with a program, pause it at every
// "WAITSCOPE_MARK <name>" line the program prints, capture, resume, and return
// the program's exit status.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <waitscope/lab/breakpoints.hpp>
#include <waitscope/lab/vm.hpp>
#include <waitscope/lab/vmcore.hpp>

namespace waitscope::lab {

/// What a capture step sees while the VM is paused at a mark.
struct MarkContext {
    Vm& vm;
    std::string mark; ///< sanitized, unique within the run
    std::filesystem::path outDir;
    nlohmann::json& record; ///< this mark's entry in run.json; add what you saved
    std::chrono::steady_clock::time_point pausedAt; ///< just before QMP stop was sent
    const std::vector<std::string>& output;         ///< the program's lines so far
    /// Work to do once the VM runs again (encoding, writing), so the pause
    /// covers only the reads. Run in order after resume.
    std::vector<std::function<void()>> afterResume;
};

using CaptureStep = std::function<void(MarkContext&)>;

struct RunOptions {
    VmOptions vm; ///< vm.program must be set
    std::filesystem::path outDir;
    bool vmcore = false; ///< save vmcores at each mark
    /// One format: <mark>.vmcore. Several (tests compare them): <mark>.<format>.vmcore.
    std::vector<DumpFormat> vmcoreFormats = {DumpFormat::Elf};
    /// Run at each mark while the VM is paused, before the vmcores are dumped
    /// (a live read then sees exactly the memory the dumps hold).
    std::vector<CaptureStep> captures;
    /// Called once the VM is ready, before the program runs its course (e.g.
    /// to start reading guest memory live), and when the program has ended,
    /// before the VM goes down (`run` is what run.json will hold).
    std::function<void(Vm&)> onBooted;
    std::function<void(Vm&, nlohmann::json& run)> onFinished;
    /// Called at each mark before the VM is paused (the program waits for
    /// its newline meanwhile), e.g. to finish loading what captures need or
    /// to rehearse a capture. Gets the program's lines so far.
    std::function<void(const std::string& mark, const std::vector<std::string>& output)>
        beforePause;
    /// Kernel breakpoints: at each hit (up to breaks.count) the VM stays
    /// stopped while the capture steps run for a mark named "hit-<n>", whose
    /// run.json entry also holds the registers, arguments and stack scan.
    BreakOptions breaks;
    /// A step script (`lab run --step-script`, docs/lab.md), one command a line:
    /// break SYM [if K=V ...], delete SYM, continue [N], until-mark NAME,
    /// snapshot NAME, resume. Runs while the VM is stopped; "continue" and
    /// "until-mark" let it run until their stop. Empty: no script.
    std::vector<std::string> stepScript;
    /// Called at each breakpoint stop (VM stopped) with its run.json record;
    /// false: the stop does not count, the VM goes on without a capture.
    std::function<bool(nlohmann::json& record)> acceptStop;
    std::chrono::seconds timeout{600};
    bool echo = true; ///< copy the program's output to our stdout
};

/// "elf", "elf-phys" or "kdump".
std::string dumpFormatName(DumpFormat format);

/// runLabProgram()'s status when the guest kernel panicked (DIR/panic.vmcore saved).
constexpr int PanicStatus = 123;

/// Exit status: the program's, 123 when the guest kernel panicked, 124 on
/// timeout, 128+N on signal N; throws base::Error when the VM cannot be booted.
int runLabProgram(const RunOptions& options);

/// Why a step script line is wrong, or "" (checked before the VM boots).
std::string stepScriptError(const std::string& line);

/// A mark name made safe as a file name ([A-Za-z0-9._-], at most 64 chars).
std::string sanitizeMarkName(const std::string& raw);

} // namespace waitscope::lab
