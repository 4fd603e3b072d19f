// The embedded CPython that runs the introspect package (drgn): one worker
// thread owns the interpreter and is the only thread that holds the GIL.
// Callers submit work and get futures; long work reports progress and can be
// cancelled from any thread.
//
// The package is found, in order, in $WAITSCOPE_PYTHONPATH (':'-separated),
// <dir of the executable>/../share/waitscope/python (the build tree and
// installs; CMake stages the package and its C++ encoder there), and the
// source tree's introspect/ (compiled-in fallback).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <waitscope/base/error.hpp>

namespace waitscope::pyhost {

/// An error the Python side reported: IntrospectError's one-line message, or
/// "<ExceptionType>: message" for anything else.
class PythonError : public base::Error {
public:
    PythonError(const std::string& message, int status) : base::Error(message), m_status(status) {}
    /// The exit status the command line uses for it (2 for user errors, 70 internal).
    int status() const { return m_status; }

private:
    int m_status;
};

/// Directories searched for waitscope_introspect (see the file comment).
std::vector<std::filesystem::path> defaultPythonPaths();

/// Progress of long work: stage name ("open", "modules", "walk", "read") and
/// a fraction when known (0 otherwise). Return false to cancel.
using ProgressFn = std::function<bool(const std::string& stage, double fraction)>;

class PythonHost {
public:
    /// Start the interpreter thread; throws base::Error when CPython or the
    /// package cannot be initialised.
    explicit PythonHost(std::vector<std::filesystem::path> paths = defaultPythonPaths());
    ~PythonHost();
    PythonHost(const PythonHost&) = delete;
    PythonHost& operator=(const PythonHost&) = delete;

    /// Run `fn` on the interpreter thread (GIL held); its result or exception
    /// arrives through the future. Jobs run one at a time, in order.
    template <typename F>
    auto submit(F&& fn) -> std::future<std::invoke_result_t<F>> {
        using R = std::invoke_result_t<F>;
        auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(fn));
        auto fut = task->get_future();
        enqueue([task] { (*task)(); });
        return fut;
    }

    /// `python -m waitscope_introspect ARGV` in this interpreter; its exit status.
    int runCli(const std::vector<std::string>& argv);

    /// Interrupt the running job from any thread: progress callbacks return
    /// false from now on and a KeyboardInterrupt is raised in the interpreter
    /// at its next bytecode boundary. Cleared when the next job starts. Takes
    /// the GIL for a moment (a few ms while Python runs; longer only while a
    /// single C call such as one drgn read is in progress).
    void cancel();
    bool cancelled() const { return m_cancel.load(); }

    /// Directory the package was imported from.
    const std::filesystem::path& packageDir() const { return m_packageDir; }

private:
    void enqueue(std::function<void()> job);
    void run(std::vector<std::filesystem::path> paths, std::promise<void> ready);

    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_jobs;
    bool m_stop = false;
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_busy{false};
    unsigned long m_threadIdent = 0; ///< the interpreter thread's Python ident
    std::filesystem::path m_packageDir;
};

/// Timings of one capture (all reads), in milliseconds.
struct CaptureStats {
    double readMs = 0;
    double loadMs = 0;
};

/// One opened target (a Python Session): debug info loaded once, then
/// capture (reads, e.g. while a VM is paused) and render (after) as often as
/// wanted. Every call runs on the host's thread and blocks until done.
class IntrospectSession {
public:
    /// Open with command-line arguments (as for `python -m waitscope_introspect`,
    /// target options included). Throws PythonError.
    static std::unique_ptr<IntrospectSession>
    open(PythonHost& host, const std::vector<std::string>& argv, ProgressFn progress = {});
    ~IntrospectSession();
    IntrospectSession(const IntrospectSession&) = delete;
    IntrospectSession& operator=(const IntrospectSession&) = delete;

    /// Read the kernel now: the session's --pid selection, or `pids` when
    /// given. Throws PythonError.
    CaptureStats capture(const std::optional<std::string>& mark = std::nullopt,
                         const std::optional<std::vector<int>>& pids = std::nullopt);
    /// Copy-on-pause captures of a lab VM (--lab-ram): rehearse() walks the
    /// running VM recording the pages it reads; freeze() copies them (call
    /// it while the VM is paused: it is all the pause has to cover);
    /// captureFrozen() then walks the copy with the VM running again. It
    /// returns nullopt when the copy lacked a page (memory changed between
    /// rehearsal and pause): pause again and capture() instead.
    double rehearse(const std::optional<std::vector<int>>& pids = std::nullopt);
    double freeze(); ///< bytes copied
    std::optional<CaptureStats> captureFrozen(const std::optional<std::string>& mark,
                                              const std::optional<std::vector<int>>& pids);
    /// Time a per-member drgn walk of `pids` on live memory (benchmarks), ms.
    double baselineWalk(const std::vector<int>& pids);

    /// Encode the last capture: json, cbor, dot or text. `captureExtra` is a
    /// JSON object merged into the snapshot's capture (e.g. {"pause_ms": 12.5}).
    std::string render(const std::string& format, const std::string& captureExtraJson = "{}");
    /// A breakpoint stop decoded (read now, while the VM is stopped): `stopJson` is
    /// {"function", "cpu", "regs": {"rdi": "0x..", ...}}; returns the JSON of
    /// waitscope_introspect.stop.decode_stop (current task, argument object ids).
    std::string decodeStop(const std::string& stopJson);
    /// Run code in the console namespace (`prog` = this session's program);
    /// returns what it printed, or the traceback.
    std::string console(const std::string& code);

private:
    struct Impl;
    IntrospectSession(PythonHost& host, std::unique_ptr<Impl> impl);
    PythonHost& m_host;
    std::unique_ptr<Impl> m_impl;
};

} // namespace waitscope::pyhost
