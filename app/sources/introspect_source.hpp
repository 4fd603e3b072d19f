// Snapshots from live targets through the embedded Python host (pyhost): a vmcore, the
// running kernel (/proc/kcore) or a running lab VM. One driver thread talks to the host,
// whose own thread owns CPython (the GIL is only ever taken there); the UI thread only
// posts requests and receives results through the RunQueue.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <waitscope/model/result.hpp>
#include <waitscope/model/snapshot.hpp>

#include "../core/run_queue.hpp"
#include "../core/worker_pool.hpp"

namespace waitscope::pyhost {
class PythonHost;
class IntrospectSession;
} // namespace waitscope::pyhost

namespace waitscope::app {

/// What to read.
struct IntrospectTarget {
    enum class Kind { Vmcore, Kcore, Lab } kind = Kind::Vmcore;
    std::string spec; ///< vmcore path, or lab VM name / state directory
    friend bool operator==(const IntrospectTarget&, const IntrospectTarget&) = default;
    /// "vmcore /path", "live kernel", "lab VM default".
    [[nodiscard]] std::string label() const;
};

class IntrospectSource {
public:
    IntrospectSource(RunQueue& queue, std::function<void()> wake);
    ~IntrospectSource();
    IntrospectSource(const IntrospectSource&) = delete;
    IntrospectSource& operator=(const IntrospectSource&) = delete;

    using SnapshotCallback = std::function<void(model::Result<model::SnapshotPtr>)>;

    /// Take a snapshot of `target` (opening it first, once: debug info loads once per
    /// target); a lab VM is paused only while the pages a rehearsal walk read are copied.
    /// `shareWith` (may be null) shares unchanged objects. `done` runs on the UI thread.
    JobPtr capture(const IntrospectTarget& target, model::SnapshotPtr shareWith,
                   SnapshotCallback done);

    /// Run Python in the console namespace of the open target (`prog` is its drgn
    /// Program); `done` gets what it printed or the traceback (UI thread).
    JobPtr console(const std::string& code, std::function<void(std::string)> done);

    /// The target the last capture opened (UI thread's view).
    [[nodiscard]] const std::optional<IntrospectTarget>& openTarget() const { return m_uiTarget; }
    /// Jobs in flight, for the status bar.
    [[nodiscard]] std::vector<JobPtr> active() { return m_driver.active(); }
    [[nodiscard]] bool idle() const { return m_driver.idle(); }
    /// Interrupt the Python work in progress (any thread); the job ends with an error.
    void cancelRunning();

private:
    /// Driver thread: make sure the host runs and `target` is the open session.
    void ensureSession(const IntrospectTarget& target, Job& job);

    RunQueue& m_queue;
    WorkerPool m_driver; ///< one thread; blocks on the host while Python works
    // Driver thread only.
    std::unique_ptr<pyhost::PythonHost> m_host;
    std::atomic<pyhost::PythonHost*> m_hostForCancel{nullptr}; ///< set once the host runs
    std::unique_ptr<pyhost::IntrospectSession> m_session;
    std::optional<IntrospectTarget> m_open;
    // UI thread only.
    std::optional<IntrospectTarget> m_uiTarget;
};

} // namespace waitscope::app
