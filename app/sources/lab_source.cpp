#include "lab_source.hpp"

#include <signal.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include <waitscope/base/files.hpp>
#include <waitscope/base/process.hpp>
#include <waitscope/lab/install.hpp>
#include <waitscope/lab/qmp.hpp>
#include <waitscope/lab/vm.hpp>

#include "live_timeline.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace waitscope::app {

namespace {

/// (state directory, its vm.json) of every VM under `dir` (the lab's runtime "lab" or
/// "runs"); a vm.json being written or torn down is skipped.
std::vector<std::pair<fs::path, json>> vmStates(const fs::path& dir) {
    std::vector<std::pair<fs::path, json>> out;
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(dir, ec)) {
        fs::path f = d.path() / "vm.json";
        if (!fs::is_regular_file(f, ec))
            continue;
        try {
            out.emplace_back(d.path(), json::parse(base::readFile(f)));
        } catch (const std::exception&) {
            // Being written or torn down: not this time.
        }
    }
    return out;
}

/// The state directory of the VM that `waitscope lab run` process `owner` booted (its
/// vm.json, written once the guest is up, names it the owner), if it is up yet.
std::optional<fs::path> runVmOf(pid_t owner) {
    for (const auto& [dir, j] : vmStates(lab::labRuntimeDir() / "runs")) {
        try {
            if (j.value("owner_pid", -1) == owner)
                return dir;
        } catch (const std::exception&) {
            // owner_pid of the wrong type: not this VM.
        }
    }
    return std::nullopt;
}

} // namespace

LabSource::LabSource(RunQueue& queue, std::function<void()> wake)
    : m_queue(queue), m_wake(wake), m_pool(1, std::move(wake)) {}

LabSource::~LabSource() = default;

void LabSource::startLive(const std::string& vm) {
    if (m_live && m_live->vm() == vm) {
        LiveStatus::State st = m_live->status().state;
        if (st != LiveStatus::State::Stopped && st != LiveStatus::State::Failed)
            return; // a VM that went away and came back under its name starts over
    }
    stopLive();
    m_live = std::make_unique<LiveTimeline>(vm, m_wake);
}

void LabSource::stopLive() {
    std::erase_if(m_stopping, [](const auto& l) { return l->finished(); }); // joins at once
    if (!m_live)
        return;
    m_live->stop();
    m_stopping.push_back(std::move(m_live));
}

JobPtr LabSource::refresh(std::function<void(std::vector<LabVmInfo>)> done) {
    return m_pool.submit("Listing lab VMs", [this, done](Job&) {
        std::vector<LabVmInfo> vms;
        for (const auto& [dir, j] : vmStates(lab::labRuntimeDir() / "lab")) {
            try {
                LabVmInfo v;
                v.name = dir.filename().string();
                v.release = j.value("release", "");
                v.accel = j.value("accel", "");
                v.qmp = j.value("qmp", "");
                v.qemuPid = j.value("qemu_pid", -1);
                if (v.qemuPid > 0 && base::processAlive(v.qemuPid))
                    vms.push_back(std::move(v));
            } catch (const std::exception&) {
                // A vm.json with fields of the wrong type: not listed.
            }
        }
        std::sort(vms.begin(), vms.end(),
                  [](const LabVmInfo& a, const LabVmInfo& b) { return a.name < b.name; });
        m_queue.post([done, vms] { done(vms); });
    });
}

JobPtr LabSource::setPaused(const LabVmInfo& vm, bool paused,
                            std::function<void(std::string)> done) {
    return m_pool.submit(
        paused ? "Pausing " + vm.name : "Resuming " + vm.name, [this, vm, paused, done](Job&) {
            std::string error;
            try {
                auto qmp = lab::QmpClient::connect(vm.qmp, std::chrono::seconds(5));
                qmp.execute(paused ? "stop" : "cont");
            } catch (const std::exception& e) {
                error = e.what();
            }
            m_queue.post([done, error] { done(error); });
        });
}

std::string LabSource::runSelf(const std::vector<std::string>& args, const fs::path& log, Job& job,
                               const std::function<void(pid_t)>& whileRunning) {
    std::error_code ec;
    std::vector<std::string> argv{fs::read_symlink("/proc/self/exe", ec).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    base::SpawnOptions o;
    o.stdoutPath = log.string();
    o.stderrPath = log.string();
    pid_t pid = base::spawnProcess(argv, o);
    for (;;) {
        if (auto st = base::waitProcess(pid, std::chrono::milliseconds(200))) {
            int code = base::exitCodeOf(*st);
            if (code == 0)
                return {};
            std::string text;
            try {
                text = base::readFile(log);
            } catch (const std::exception&) {
            }
            if (text.size() > 600)
                text = "..." + text.substr(text.size() - 600);
            return "exit status " + std::to_string(code) + (text.empty() ? "" : ": " + text);
        }
        if (whileRunning)
            whileRunning(pid);
        if (job.cancelled()) {
            ::kill(pid, SIGTERM);
            base::waitProcess(pid, std::chrono::seconds(20));
            return "cancelled";
        }
    }
}

JobPtr LabSource::boot(const std::string& name, std::function<void(std::string)> done) {
    return m_pool.submit("Booting lab VM " + name, [this, name, done](Job& job) {
        std::string error;
        try {
            fs::path log = base::makeTempDir(fs::temp_directory_path(), "waitscope-boot-") / "log";
            error = runSelf({"lab", "boot", "--name", name}, log, job);
        } catch (const std::exception& e) {
            error = e.what();
        }
        m_queue.post([done, error] { done(error); });
    });
}

JobPtr LabSource::stop(const std::string& name, std::function<void(std::string)> done) {
    return m_pool.submit("Stopping lab VM " + name, [this, name, done](Job& job) {
        std::string error;
        try {
            fs::path log = base::makeTempDir(fs::temp_directory_path(), "waitscope-stop-") / "log";
            error = runSelf({"lab", "stop", "--name", name}, log, job);
        } catch (const std::exception& e) {
            error = e.what();
        }
        m_queue.post([done, error] { done(error); });
    });
}

JobPtr LabSource::runProgram(const std::string& program, const std::vector<std::string>& args,
                             std::function<void(fs::path, std::string)> done,
                             std::vector<std::string> runOptions) {
    return m_pool.submit("Running " + program + " in the lab VM", [this, program, args, done,
                                                                   runOptions](Job& job) {
        fs::path dir;
        std::string error;
        try {
            dir = base::makeTempDir(fs::temp_directory_path(), "waitscope-run-" + program + "-");
            std::vector<std::string> a{"lab", "run", "-q", "--events", "--out", dir.string()};
            a.insert(a.end(), runOptions.begin(), runOptions.end());
            a.insert(a.end(), {"--", program});
            a.insert(a.end(), args.begin(), args.end());
            bool found = false;
            error = runSelf(a, dir / "lab-run.log", job, [&](pid_t pid) {
                if (found)
                    return;
                if (auto vm = runVmOf(pid)) { // booted: follow its ring live
                    found = true;
                    m_queue.post([this, vm = vm->string()] { startLive(vm); });
                }
            });
        } catch (const std::exception& e) {
            error = e.what();
        }
        m_queue.post([done, dir, error] { done(dir, error); });
    });
}

std::vector<std::string> LabSource::programs() {
    std::vector<std::string> names;
    try {
        for (const fs::path& p : lab::LabInstall::find().programs())
            names.push_back(p.filename().string());
    } catch (const std::exception&) {
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace waitscope::app
