// The introspection worker: argument building per target (as `waitscope dump` does), the
// copy-on-pause capture of a lab VM, the console.
#include "introspect_source.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include <waitscope/base/files.hpp>
#include <waitscope/lab/install.hpp>
#include <waitscope/lab/qmp.hpp>
#include <waitscope/lab/vm.hpp>
#include <waitscope/model/snapshot_io.hpp>
#include <waitscope/pyhost/python_host.hpp>
#include <waitscope/targets/probe.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace waitscope::app {

namespace {

std::optional<fs::path> labRoot() {
    try {
        return lab::LabInstall::find().root();
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

/// vm.json of a running lab VM given by name or state directory.
json labVm(const std::string& spec) {
    std::error_code ec;
    std::vector<fs::path> cands;
    if (spec.find('/') == std::string::npos)
        cands.push_back(lab::labRuntimeDir() / "lab" / spec / "vm.json");
    cands.push_back(fs::path(spec) / "vm.json");
    for (const fs::path& c : cands)
        if (fs::is_regular_file(c, ec)) {
            json vm = json::parse(base::readFile(c));
            if (!vm.contains("ram_path") || !fs::exists(vm["ram_path"].get<std::string>(), ec))
                throw targets::TargetError("lab VM " + spec + " is not running");
            return vm;
        }
    throw targets::TargetError("no running lab VM '" + spec +
                               "' (start one: waitscope lab boot, or the Targets view)");
}

/// The introspect command line for a target (what `waitscope dump` passes).
std::vector<std::string> targetArgs(const IntrospectTarget& t) {
    auto root = labRoot();
    std::vector<std::string> a;
    switch (t.kind) {
    case IntrospectTarget::Kind::Vmcore: {
        auto info = targets::probeCore(t.spec);
        targets::VmlinuxSearch search;
        if (root)
            search.labDirs.push_back(*root);
        a = {"--vmcore", t.spec, "--vmlinux",
             targets::findVmlinux(info.release, info.buildId, search).string()};
        if (root)
            for (const char* m : {"vpoll", "simrupt"})
                a.insert(a.end(),
                         {"--auto-module",
                          (*root / "kmod" / info.release / m / (std::string(m) + ".ko")).string()});
        break;
    }
    case IntrospectTarget::Kind::Kcore:
        if (auto problem = targets::kcoreProblem())
            throw targets::TargetError(*problem);
        a = {"--kcore"};
        break;
    case IntrospectTarget::Kind::Lab: {
        json vm = labVm(t.spec);
        a = {"--lab-ram", vm["ram_path"].get<std::string>(), "--source", "lab"};
        if (vm.contains("vmlinux"))
            a.insert(a.end(), {"--vmlinux", vm["vmlinux"].get<std::string>()});
        for (const char* k : {"vpoll_ko", "simrupt_ko"})
            if (vm.contains(k))
                a.insert(a.end(), {"--auto-module", vm[k].get<std::string>()});
        break;
    }
    }
    if (root)
        a.insert(a.end(), {"--lab-dir", root->string()});
    return a;
}

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

std::string IntrospectTarget::label() const {
    switch (kind) {
    case Kind::Vmcore:
        return "vmcore " + spec;
    case Kind::Kcore:
        return "live kernel";
    case Kind::Lab:
        return "lab VM " + spec;
    }
    return spec;
}

IntrospectSource::IntrospectSource(RunQueue& queue, std::function<void()> wake)
    : m_queue(queue), m_driver(1, std::move(wake)) {}

IntrospectSource::~IntrospectSource() {
    cancelRunning();
    // m_driver's destructor joins its thread before the session and host go away.
}

void IntrospectSource::ensureSession(const IntrospectTarget& target, Job& job) {
    if (!m_host) {
        job.setProgress(0.02);
        m_host = std::make_unique<pyhost::PythonHost>();
        m_hostForCancel = m_host.get();
    }
    if (m_session && m_open == target)
        return;
    m_session.reset();
    m_open.reset();
    auto args = targetArgs(target);
    m_session =
        pyhost::IntrospectSession::open(*m_host, args, [&job](const std::string&, double fraction) {
            if (fraction > 0)
                job.setProgress(0.05 + 0.6 * fraction);
            return !job.cancelled();
        });
    m_open = target;
}

JobPtr IntrospectSource::capture(const IntrospectTarget& target, model::SnapshotPtr shareWith,
                                 SnapshotCallback done) {
    return m_driver.submit("Reading " + target.label(), [this, target, shareWith, done](Job& job) {
        auto result = [&]() -> model::Result<model::SnapshotPtr> {
            try {
                ensureSession(target, job);
                job.setProgress(0.7);
                std::string extra = "{}";
                if (target.kind == IntrospectTarget::Kind::Lab) {
                    // Copy-on-pause (see waitscope dump --lab): rehearse while the VM runs,
                    // stop it only to copy the pages read, walk the copy after resuming.
                    json vm = labVm(target.spec);
                    auto qmp = lab::QmpClient::connect(vm["qmp"].get<std::string>(),
                                                       std::chrono::seconds(5));
                    m_session->rehearse();
                    auto t0 = std::chrono::steady_clock::now();
                    qmp.execute("stop");
                    try {
                        m_session->freeze();
                    } catch (...) {
                        qmp.execute("cont");
                        throw;
                    }
                    double pause = msSince(t0);
                    qmp.execute("cont");
                    if (!m_session->captureFrozen(std::nullopt, std::nullopt)) {
                        t0 = std::chrono::steady_clock::now();
                        qmp.execute("stop");
                        try {
                            m_session->capture();
                        } catch (...) {
                            qmp.execute("cont");
                            throw;
                        }
                        pause = msSince(t0);
                        qmp.execute("cont");
                    }
                    extra = "{\"pause_ms\": " + std::to_string(pause) + "}";
                } else {
                    m_session->capture();
                }
                job.setProgress(0.85);
                std::string text = m_session->render("json", extra);
                model::LoadOptions o;
                o.shareWith = shareWith.get();
                o.cancel = job.cancelFlag();
                return model::loadSnapshot(text, o);
            } catch (const std::exception& e) {
                if (m_host)
                    m_host->cancel(); // leave no half-done Python work behind
                return model::Error{model::ErrorKind::Io, target.label() + ": " + e.what()};
            }
        }();
        m_queue.post([this, target, done, r = std::move(result)]() mutable {
            if (r)
                m_uiTarget = target;
            done(std::move(r));
        });
    });
}

void IntrospectSource::cancelRunning() {
    if (pyhost::PythonHost* host = m_hostForCancel.load())
        host->cancel();
}

JobPtr IntrospectSource::console(const std::string& code, std::function<void(std::string)> done) {
    return m_driver.submit("drgn console", [this, code, done](Job&) {
        std::string out;
        try {
            out = m_session ? m_session->console(code)
                            : std::string("no target is open: open a vmcore, the live kernel "
                                          "or a lab VM first\n");
        } catch (const std::exception& e) {
            out = std::string(e.what()) + "\n";
        }
        m_queue.post([done, out] { done(out); });
    });
}

} // namespace waitscope::app
