// `waitscope dump`: one snapshot of a kernel (a vmcore, /proc/kcore or a
// running lab VM) as json, cbor, dot or text.
//
// Before Python starts, the target is probed natively (targets/): a bad file,
// a missing or mismatched vmlinux, a missing module .ko or an unreadable
// /proc/kcore is one line on stderr and exit status 2, within milliseconds.
// Then the introspect package runs in the embedded interpreter: for a vmcore
// or kcore through its command line; for a lab VM as a session that pauses
// it (QMP stop/cont) only to copy the pages a rehearsal walk read.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include <waitscope/base/files.hpp>
#include <waitscope/lab/install.hpp>
#include <waitscope/lab/qmp.hpp>
#include <waitscope/lab/vm.hpp>
#include <waitscope/pyhost/python_host.hpp>
#include <waitscope/targets/probe.hpp>

#include "commands.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace waitscope::cli {

namespace {

struct DumpFlags {
    bool kcore = false;
    std::string vmcore;
    std::string lab;
    std::vector<int> pids;
    std::string format = "json";
    std::string out;
    std::string vmlinux;
    std::vector<std::string> debuginfo;
    std::vector<std::string> modules;
    std::vector<std::string> kfifos;
    bool noStacks = false;
    bool noWorkqueues = false;
    bool timings = false;
    bool report = false; ///< only the crash report (text or json)
};

/// The lab install root, when there is one (for vmlinux and modules).
std::optional<fs::path> labRoot() {
    try {
        return lab::LabInstall::find().root();
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

/// vm.json of a lab VM given by name, state directory, vm.json or QMP socket path.
json findLabVm(const std::string& spec) {
    std::error_code ec;
    fs::path p(spec);
    std::vector<fs::path> cands;
    if (spec.find('/') == std::string::npos)
        cands.push_back(lab::labRuntimeDir() / "lab" / spec / "vm.json");
    cands.push_back(p / "vm.json");
    cands.push_back(p.parent_path() / "vm.json");
    if (p.filename() == "vm.json")
        cands.push_back(p);
    for (const auto& c : cands) {
        if (fs::is_regular_file(c, ec)) {
            json vm = json::parse(base::readFile(c));
            if (!vm.contains("ram_path") || !fs::exists(vm["ram_path"].get<std::string>(), ec))
                throw targets::TargetError("lab VM " + spec +
                                           " has no guest RAM file (it is not running?)");
            return vm;
        }
    }
    throw targets::TargetError("no running lab VM '" + spec +
                               "' (start one with waitscope lab boot, or give its state "
                               "directory or QMP socket)");
}

std::vector<std::string> commonArgs(const DumpFlags& f) {
    std::vector<std::string> a;
    for (int p : f.pids) {
        a.push_back("--pid");
        a.push_back(std::to_string(p));
    }
    for (const auto& m : f.modules) {
        a.push_back("--module");
        a.push_back(m);
    }
    for (const auto& k : f.kfifos) {
        a.push_back("--kfifo");
        a.push_back(k);
    }
    for (const auto& d : f.debuginfo) {
        a.push_back("--debuginfo");
        a.push_back(d);
    }
    if (f.noStacks)
        a.push_back("--no-stacks");
    if (f.noWorkqueues)
        a.push_back("--no-workqueues");
    return a;
}

void addLabModules(std::vector<std::string>& a, const fs::path& root, const std::string& release) {
    for (const char* m : {"vpoll", "simrupt"}) {
        a.push_back("--auto-module");
        a.push_back((root / "kmod" / release / m / (std::string(m) + ".ko")).string());
    }
    a.push_back("--lab-dir");
    a.push_back(root.string());
}

void writeOutput(const std::string& out, const std::string& data) {
    if (out.empty() || out == "-") {
        std::fwrite(data.data(), 1, data.size(), stdout);
        std::fflush(stdout);
    } else {
        base::writeFileAtomic(out, data);
    }
}

int dumpLab(const DumpFlags& f) {
    json vm = findLabVm(f.lab);
    auto root = labRoot();
    std::vector<std::string> argv = {"--lab-ram", vm["ram_path"].get<std::string>(), "--source",
                                     "lab"};
    if (!f.vmlinux.empty())
        argv.insert(argv.end(), {"--vmlinux", f.vmlinux});
    else if (vm.contains("vmlinux"))
        argv.insert(argv.end(), {"--vmlinux", vm["vmlinux"].get<std::string>()});
    for (const char* k : {"vpoll_ko", "simrupt_ko"}) {
        if (vm.contains(k))
            argv.insert(argv.end(), {"--auto-module", vm[k].get<std::string>()});
    }
    if (root)
        argv.insert(argv.end(), {"--lab-dir", root->string()});
    auto common = commonArgs(f);
    argv.insert(argv.end(), common.begin(), common.end());
    pyhost::PythonHost host;
    auto session = pyhost::IntrospectSession::open(host, argv);
    auto qmp = lab::QmpClient::connect(vm["qmp"].get<std::string>(), std::chrono::seconds(5));
    // Copy-on-pause: rehearse while the VM runs, stop only to copy the pages
    // the rehearsal read, walk the copy after resuming; if the memory moved in
    // between (a page is missing), stop again and walk while stopped.
    std::string strategy = "copy";
    session->rehearse();
    auto t0 = Clock::now();
    qmp.execute("stop");
    try {
        session->freeze();
    } catch (...) {
        qmp.execute("cont");
        throw;
    }
    auto t1 = Clock::now();
    qmp.execute("cont");
    double pause = std::chrono::duration<double, std::milli>(t1 - t0).count();
    std::optional<pyhost::CaptureStats> frozen = session->captureFrozen(std::nullopt, std::nullopt);
    pyhost::CaptureStats st;
    if (frozen) {
        st = *frozen;
    } else {
        strategy = "copy-missed-then-walk";
        t0 = Clock::now();
        qmp.execute("stop");
        try {
            st = session->capture();
        } catch (...) {
            qmp.execute("cont");
            throw;
        }
        t1 = Clock::now();
        qmp.execute("cont");
        pause = std::chrono::duration<double, std::milli>(t1 - t0).count();
    }
    std::string data = session->render(f.format, "{\"pause_ms\": " + std::to_string(pause) +
                                                     ", \"pause_strategy\": \"" + strategy + "\"}");
    writeOutput(f.out, data);
    if (f.timings)
        std::fprintf(stderr, "timings: load %.0f ms, read %.1f ms, VM paused %.1f ms\n", st.loadMs,
                     st.readMs, pause);
    return 0;
}

int dump(const DumpFlags& f) {
    int targets = (f.kcore ? 1 : 0) + (f.vmcore.empty() ? 0 : 1) + (f.lab.empty() ? 0 : 1);
    if (targets != 1)
        throw targets::TargetError("give exactly one target: --kcore, --vmcore FILE or --lab NAME");
    std::vector<fs::path> mods(f.modules.begin(), f.modules.end());
    targets::checkModules(mods);
    if (f.report && f.format != "text" && f.format != "json")
        throw targets::TargetError("the crash report is --format text or json, not " + f.format);
    if (!f.lab.empty()) {
        if (f.report)
            throw targets::TargetError("--report reads a vmcore (a running lab VM has not "
                                       "panicked; its snapshot's crash section says so)");
        return dumpLab(f);
    }

    auto root = labRoot();
    targets::VmlinuxSearch search;
    if (!f.vmlinux.empty())
        search.vmlinux = f.vmlinux;
    search.debuginfoDirs.assign(f.debuginfo.begin(), f.debuginfo.end());
    if (root)
        search.labDirs.push_back(*root);
    std::vector<std::string> argv;
    if (f.kcore) {
        if (auto problem = targets::kcoreProblem())
            throw targets::TargetError(*problem);
        argv = {"--kcore"};
        if (!f.vmlinux.empty())
            argv.insert(argv.end(), {"--vmlinux", f.vmlinux});
        if (root)
            argv.insert(argv.end(), {"--lab-dir", root->string()});
    } else {
        auto info = targets::probeCore(f.vmcore);
        fs::path vmlinux = targets::findVmlinux(info.release, info.buildId, search);
        argv = {"--vmcore", f.vmcore, "--vmlinux", vmlinux.string()};
        if (root)
            addLabModules(argv, *root, info.release);
    }
    auto common = commonArgs(f);
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"--format", f.format});
    if (f.report)
        argv.push_back("--report");
    if (!f.out.empty() && f.out != "-")
        argv.insert(argv.end(), {"--out", f.out});
    if (f.timings)
        argv.push_back("--timings");
    pyhost::PythonHost host;
    return host.runCli(argv);
}

/// dump(f), its errors as one line on stderr ("waitscope <name>: ...") and a status.
int guardedDump(const char* name, const DumpFlags& f) {
    try {
        return dump(f);
    } catch (const pyhost::PythonError& e) {
        std::fprintf(stderr, "waitscope %s: %s\n", name, e.what());
        return e.status();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "waitscope %s: %s\n", name, e.what());
        return 2;
    }
}

/// --out, --vmlinux, --debuginfo and --module, shared by dump and report.
void addOutputAndDebugInfoOptions(CLI::App* cmd, DumpFlags& f) {
    cmd->add_option("--out", f.out, "Write here instead of stdout");
    cmd->add_option("--vmlinux", f.vmlinux, "vmlinux with debug info (else found by release)");
    cmd->add_option("--debuginfo", f.debuginfo, "Directory to search for vmlinux (repeatable)");
    cmd->add_option("--module", f.modules,
                    "Debug info of an out-of-tree module, .ko (repeatable; the lab's vpoll and "
                    "simrupt are found automatically)");
}

} // namespace

void addDumpCommand(CLI::App& app, int& status) {
    static DumpFlags f;
    auto* cmd = app.add_subcommand(
        "dump", "Snapshot a kernel's wait/epoll machinery (waitscope snapshot v1, "
                "docs/snapshot-schema.md) from a vmcore, /proc/kcore or a running lab VM");
    auto* target = cmd->add_option_group("target", "exactly one of");
    target->add_flag("--kcore", f.kcore, "The running kernel through /proc/kcore (root)");
    target->add_option("--vmcore", f.vmcore,
                       "An ELF vmcore (QEMU paging true/false, kdump's /proc/vmcore copy) or a "
                       "kdump-compressed one (QEMU's flattened output is fixed up in the cache)");
    target->add_option("--lab", f.lab,
                       "A running lab VM: its name (waitscope lab boot --name), state directory "
                       "or QMP socket; paused only while its memory is read");
    target->require_option(1);
    cmd->add_option("--pid", f.pids, "Only this process (repeatable); default: all");
    cmd->add_option("--format", f.format, "json (the snapshot), cbor, dot (Graphviz) or text")
        ->check(CLI::IsMember({"json", "cbor", "dot", "text"}))
        ->capture_default_str();
    addOutputAndDebugInfoOptions(cmd, f);
    cmd->add_option("--kfifo", f.kfifos,
                    "Also show this kfifo: a variable, var.member, or *(type *)0xADDR");
    cmd->add_flag("--no-stacks", f.noStacks, "Skip kernel stacks of sleeping user tasks");
    cmd->add_flag("--no-workqueues", f.noWorkqueues, "Skip workqueues");
    cmd->add_flag("--timings", f.timings, "Print load/read/encode times to stderr");
    cmd->add_flag("--report", f.report,
                  "Only the crash report of a panicked kernel (text, or --format json: the "
                  "snapshot's crash section); --format text prints it first anyway");
    cmd->footer("Exit status: 0, 2 for a bad target or option (one line on stderr), 70 for an "
                "internal error.");
    cmd->callback([&status] { status = guardedDump("dump", f); });
}

void addReportCommand(CLI::App& app, int& status) {
    static DumpFlags f;
    f.report = true;
    f.format = "text";
    auto* cmd = app.add_subcommand(
        "report", "Post-mortem crash report of a vmcore: panic reason and message, the crashing "
                  "task and CPU with its stack, tasks in D state, wait/epoll locks held, the "
                  "last vpoll events and the dmesg tail (docs/introspect.md)");
    cmd->add_option("vmcore", f.vmcore, "The vmcore (as for waitscope dump --vmcore)")->required();
    cmd->add_option("--format", f.format,
                    "text, or json ({schema, kernel, capture, crash}: the snapshot's crash "
                    "section, docs/snapshot-schema.md)")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    addOutputAndDebugInfoOptions(cmd, f);
    cmd->footer("A vmcore of a kernel that did not panic gives a report saying so (status 0). "
                "Exit status: 0, 2 for a bad vmcore or option (one line on stderr), 70 for an "
                "internal error.");
    cmd->callback([&status] { status = guardedDump("report", f); });
}

} // namespace waitscope::cli
