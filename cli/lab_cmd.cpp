// `waitscope lab boot|run|shell|dump|stop|status`: the QEMU lab VM.
// [SECTION] shared VM options
// [SECTION] lab boot (a supervisor process owns the VM) / stop / status
// [SECTION] lab run / shell / dump
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/base/process.hpp>
#include <waitscope/base/signals.hpp>
#include <waitscope/lab/console.hpp>
#include <waitscope/lab/install.hpp>
#include <waitscope/lab/run.hpp>
#include <waitscope/lab/vm.hpp>
#include <waitscope/lab/vmcore.hpp>
#include <waitscope/model/session_file.hpp>
#include <waitscope/timeline/io.hpp>
#include <waitscope/timeline/live_capture.hpp>

#include "commands.hpp"
#include "lab_snapshot.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using waitscope::base::Error;
using namespace std::chrono_literals;

namespace waitscope::cli {

namespace {

// [SECTION] shared VM options

struct VmFlags {
    std::string kernel;
    std::string name = "default";
    unsigned mem = 512;
    unsigned cpus = 2;
    std::string accel = "auto";
    std::string append;
    std::string vpollArgs;
    std::string simruptArgs;
    std::string disk;
};

void addVmFlags(CLI::App* cmd, VmFlags& f, bool named) {
    cmd->add_option("--kernel", f.kernel, "Lab kernel: 6.1 (default), 6.12 or a full release");
    if (named)
        cmd->add_option("--name", f.name, "Name of the lab VM")->capture_default_str();
    cmd->add_option("--mem", f.mem, "Guest RAM in MiB (80-3072)")->capture_default_str();
    cmd->add_option("--cpus", f.cpus, "Guest CPUs")->capture_default_str();
    cmd->add_option("--accel", f.accel, "tcg, kvm, or auto (KVM only when a guest really boots)")
        ->check(CLI::IsMember({"auto", "tcg", "kvm"}))
        ->capture_default_str();
    cmd->add_option("--append", f.append, "Extra kernel command line");
    cmd->add_option("--vpoll-args", f.vpollArgs, "vpoll.ko parameters, e.g. 'ring_size=256'");
    cmd->add_option("--simrupt-args", f.simruptArgs, "simrupt.ko parameters");
    cmd->add_option("--disk", f.disk,
                    "Disk image (raw, read-only, virtio) mounted at /disk in the guest with its "
                    "/proc, /sys, /dev and /tmp inside, ready for chroot");
}

lab::VmOptions vmOptions(const VmFlags& f, const lab::LabInstall& install,
                         const fs::path& stateDir) {
    lab::VmOptions o;
    o.kernel = install.kernel(f.kernel);
    o.stateDir = stateDir;
    o.name = f.name;
    o.memMiB = f.mem;
    o.cpus = f.cpus;
    o.accel = f.accel == "tcg"   ? lab::Accel::Tcg
              : f.accel == "kvm" ? lab::Accel::Kvm
                                 : lab::Accel::Auto;
    o.append = f.append;
    o.vpollArgs = f.vpollArgs;
    o.simruptArgs = f.simruptArgs;
    if (!f.disk.empty())
        o.disk = f.disk;
    o.labPrograms = install.programs();
    return o;
}

fs::path namedStateDir(const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
        throw Error("bad lab VM name '" + name + "'");
    return lab::labRuntimeDir() / "lab" / name;
}

/// vm.json of a running named VM; throws when there is none.
json runningVm(const std::string& name) {
    lab::cleanupStaleLabs();
    fs::path dir = namedStateDir(name);
    if (!fs::exists(dir / "vm.json"))
        throw Error("no lab VM '" + name + "' is running (start one with: waitscope lab boot)");
    return json::parse(base::readFile(dir / "vm.json"));
}

template <typename F>
void guarded(int& status, F&& body) {
    try {
        status = body();
    } catch (const Error& e) {
        std::fprintf(stderr, "waitscope lab: %s\n", e.what());
        status = 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "waitscope lab: %s\n", e.what());
        status = 1;
    }
}

// [SECTION] lab boot (a supervisor process owns the VM) / stop / status

/// The supervisor: boot, report on `report`, then keep the VM until QEMU
/// exits or we are told to stop, and clean up after it. Never returns.
[[noreturn]] void superviseVm(const lab::VmOptions& options, int report) {
    ::setsid();
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(null, STDIN_FILENO);
    base::installStopSignals();
    std::unique_ptr<lab::Vm> vm;
    try {
        vm = lab::Vm::boot(options);
        vm->closeQmp();
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        std::string ok = "ok " + std::to_string(vm->info().bootSeconds) + " " + vm->info().accel;
        (void)!::write(report, ok.data(), ok.size());
        ::close(report);
        std::ofstream log(options.stateDir / "channel.log");
        while (!base::stopRequested()) {
            if (auto line = vm->readLine(1s))
                log << *line << std::endl;
        }
    } catch (const std::exception& e) {
        std::string err = std::string("err ") + e.what();
        (void)!::write(report, err.data(), err.size());
    }
    vm.reset();
    ::_exit(0);
}

int labBoot(const VmFlags& f, bool foreground) {
    auto install = lab::LabInstall::find();
    lab::cleanupStaleLabs();
    fs::path dir = namedStateDir(f.name);
    if (fs::exists(dir / "vm.json"))
        throw Error("lab VM '" + f.name + "' is already running (waitscope lab stop --name " +
                    f.name + ")");
    auto options = vmOptions(f, install, dir);
    if (foreground) {
        base::installStopSignals();
        auto vm = lab::Vm::boot(options);
        std::printf("lab: %s ready in %.2f s (%s); Ctrl-C stops it\n", vm->info().release.c_str(),
                    vm->info().bootSeconds, vm->info().accel.c_str());
        std::fflush(stdout);
        vm->closeQmp();
        while (!base::stopRequested()) {
            try {
                vm->readLine(1s);
            } catch (const Error&) {
                break;
            }
        }
        return 0;
    }
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0)
        throw base::systemError("pipe");
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0)
        throw base::systemError("fork");
    if (pid == 0) {
        ::close(pipefd[0]);
        superviseVm(options, pipefd[1]);
    }
    ::close(pipefd[1]);
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        reply.append(buf, static_cast<size_t>(n));
    }
    ::close(pipefd[0]);
    if (reply.rfind("ok ", 0) != 0)
        throw Error(reply.size() > 4 ? reply.substr(4) : "the lab VM supervisor died");
    json vm = json::parse(base::readFile(dir / "vm.json"));
    std::printf("lab: %s ready in %.2f s (%s)\n"
                "  name     %s\n  state    %s\n  qmp      %s\n  ram      %s\n"
                "  shell    waitscope lab shell --name %s\n"
                "  stop     waitscope lab stop --name %s\n",
                vm["release"].get<std::string>().c_str(), vm["boot_seconds"].get<double>(),
                vm["accel"].get<std::string>().c_str(), f.name.c_str(), dir.c_str(),
                vm["qmp"].get<std::string>().c_str(), vm["ram_path"].get<std::string>().c_str(),
                f.name.c_str(), f.name.c_str());
    return 0;
}

int labStop(const std::string& name) {
    json vm = runningVm(name);
    auto owner = vm["owner_pid"].get<pid_t>();
    try {
        auto qmp = lab::QmpClient::connect(vm["qmp"].get<std::string>(), 5s);
        qmp.execute("quit", json::object(), 2s);
    } catch (const Error&) {
        // quit drops the connection before replying, or QEMU is gone already.
    }
    for (int i = 0; i < 100 && base::processAlive(owner); ++i)
        std::this_thread::sleep_for(50ms);
    if (base::processAlive(owner))
        ::kill(owner, SIGTERM);
    lab::cleanupStaleLabs();
    std::printf("lab: stopped '%s'\n", name.c_str());
    return 0;
}

int labStatus() {
    lab::cleanupStaleLabs();
    std::error_code ec;
    int n = 0;
    for (const auto& e : fs::directory_iterator(lab::labRuntimeDir() / "lab", ec)) {
        if (!fs::exists(e.path() / "vm.json"))
            continue;
        json vm = json::parse(base::readFile(e.path() / "vm.json"));
        std::printf("%-12s %-28s %-4s qemu pid %d, %u MiB, booted in %.2f s\n",
                    e.path().filename().c_str(), vm["release"].get<std::string>().c_str(),
                    vm["accel"].get<std::string>().c_str(), vm["qemu_pid"].get<int>(),
                    vm["mem_mib"].get<unsigned>(), vm["boot_seconds"].get<double>());
        ++n;
    }
    if (!n)
        std::printf("no lab VM is running\n");
    return 0;
}

// [SECTION] lab run / shell / dump

struct RunFlags {
    VmFlags vm;
    std::string program;
    std::vector<std::string> args;
    std::string out;
    bool vmcore = false;
    std::string vmcoreFormat = "elf";
    unsigned timeout = 600;
    bool quiet = false;
    bool noSnapshot = false;
    bool walkPaused = false;
    LabSnapshotter::Options snapshot;
    bool events = false;
    bool guestDump = false;
    std::vector<std::string> breaks;
    unsigned breakCount = 1;
    std::string stepScript;
};

int labRun(const RunFlags& f) {
    if (!f.snapshot.conditions.empty() && f.breaks.empty() && f.stepScript.empty())
        throw base::Error("--if needs a breakpoint (--break SYM)");
    if (!f.snapshot.conditions.empty() && f.noSnapshot)
        throw base::Error("--if decodes the stops with the snapshot's debug info: drop "
                          "--no-snapshot");
    auto install = lab::LabInstall::find();
    base::installStopSignals();
    fs::path runs = lab::labRuntimeDir() / "runs";
    lab::RunOptions o;
    o.vm = vmOptions(f.vm, install, base::makeTempDir(runs, "run-"));
    o.vm.name = "run";
    o.vm.program = install.program(f.program);
    o.vm.programArgs = f.args;
    o.vm.readyTimeout = std::chrono::seconds(std::max(120u, f.timeout));
    o.vm.guestDump = f.guestDump;
    o.outDir = f.out;
    o.vmcore = f.vmcore;
    o.vmcoreFormats.clear();
    for (size_t start = 0; start <= f.vmcoreFormat.size();) {
        size_t end = std::min(f.vmcoreFormat.find(',', start), f.vmcoreFormat.size());
        o.vmcoreFormats.push_back(lab::parseDumpFormat(f.vmcoreFormat.substr(start, end - start)));
        start = end + 1;
    }
    o.timeout = std::chrono::seconds(f.timeout);
    o.echo = !f.quiet;
    o.breaks.symbols = f.breaks;
    o.breaks.count = f.breakCount;
    if (!f.stepScript.empty()) {
        if (!f.breaks.empty())
            throw Error("--step-script sets its own breakpoints: drop --break");
        if (f.noSnapshot)
            throw Error("--step-script captures at every stop: drop --no-snapshot");
        std::string text = base::readFile(f.stepScript);
        std::size_t n = 0;
        for (std::size_t at = 0; at <= text.size();) {
            std::size_t end = std::min(text.find('\n', at), text.size());
            std::string line = text.substr(at, end - at);
            ++n;
            if (auto why = lab::stepScriptError(line); !why.empty())
                throw Error(f.stepScript + ":" + std::to_string(n) + ": " + why);
            if (auto ifAt = line.find(" if "); ifAt != std::string::npos) {
                std::istringstream conds(line.substr(ifAt + 4, line.find('#') - ifAt - 4));
                for (std::string c; conds >> c;)
                    if (auto bad = stopConditionError(c); !bad.empty())
                        throw Error(f.stepScript + ":" + std::to_string(n) + ": " + bad);
            }
            o.stepScript.push_back(line);
            at = end + 1;
        }
    }
    std::unique_ptr<timeline::LiveCapture> capture;
    if (f.events) {
        // vpoll's flight recorder, read from guest RAM while the program runs.
        o.onBooted = [&](lab::Vm& vm) {
            capture = std::make_unique<timeline::LiveCapture>(vm.info().ramPath);
        };
        o.onFinished = [&](lab::Vm& vm, json& run) {
            if (!capture)
                return;
            auto store = capture->finish();
            auto st = capture->stats();
            base::writeFileAtomic(
                o.outDir / "events.json",
                timeline::toChromeJson(store, {"lab-ram live", vm.info().release}));
            run["events"] = {{"path", "events.json"},
                             {"records", store.size()},
                             {"dropped", store.dropped()},
                             {"ring_capacity", st.capacity},
                             {"polls", st.polls}};
            if (!st.error.empty())
                run["events"]["error"] = st.error;
        };
    }
    std::unique_ptr<LabSnapshotter> snap;
    if (!f.noSnapshot) {
        auto opts = f.snapshot;
        opts.copyOnPause = !f.walkPaused;
        snap = std::make_unique<LabSnapshotter>(install.root(), opts);
        snap->attach(o);
    }
    return lab::runLabProgram(o);
}

int labShell(const VmFlags& f) {
    base::installStopSignals();
    fs::path dir = namedStateDir(f.name);
    lab::cleanupStaleLabs();
    if (fs::exists(dir / "vm.json"))
        return lab::attachConsole(dir / "console.sock");
    // No VM of that name: boot one for this shell only.
    auto install = lab::LabInstall::find();
    auto vm = lab::Vm::boot(vmOptions(f, install, dir));
    std::fprintf(stderr, "lab: %s ready in %.2f s (%s); the VM stops when you leave\n",
                 vm->info().release.c_str(), vm->info().bootSeconds, vm->info().accel.c_str());
    return lab::attachConsole(dir / "console.sock");
}

int labDump(const std::string& name, const std::string& out, const std::string& format) {
    json vm = runningVm(name);
    auto fmt = lab::parseDumpFormat(format);
    auto qmp = lab::QmpClient::connect(vm["qmp"].get<std::string>(), 5s);
    auto t0 = std::chrono::steady_clock::now();
    qmp.execute("stop");
    lab::DumpStats st;
    try {
        st = lab::dumpGuestMemory(qmp, out, fmt, vm["release"].get<std::string>());
    } catch (...) {
        qmp.execute("cont");
        throw;
    }
    qmp.execute("cont");
    double paused =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("lab: wrote %s (%s, %.1f MB) in %.0f ms; VM paused %.0f ms\n", out.c_str(),
                format.c_str(), static_cast<double>(st.bytes) / 1e6, st.ms, paused);
    return 0;
}

/// PROGRAM's arguments: what CLI11 left over after our options, without the "--" separator
/// it keeps among them.
std::vector<std::string> programArgs(CLI::App& cmd) {
    std::vector<std::string> args = cmd.remaining();
    if (auto it = std::find(args.begin(), args.end(), "--"); it != args.end())
        args.erase(it);
    return args;
}

} // namespace

void addLabCommands(CLI::App& app, int& status) {
    auto* lab =
        app.add_subcommand("lab", "The QEMU lab VM: a Debian kernel with vpoll and simrupt");
    lab->require_subcommand(1);

    static VmFlags bootFlags;
    static bool foreground = false;
    auto* boot = lab->add_subcommand("boot", "Boot a lab VM in the background and print how to "
                                             "reach it");
    addVmFlags(boot, bootFlags, true);
    boot->add_flag("--foreground", foreground, "Keep the VM in this process until Ctrl-C");
    boot->callback([&status] { guarded(status, [] { return labBoot(bootFlags, foreground); }); });

    static RunFlags run;
    auto* runCmd = lab->add_subcommand(
        "run", "Boot a VM, run PROGRAM (a static x86-64 binary) as root, capture at every "
               "'WAITSCOPE_MARK <name>' line it prints, and exit with its status");
    addVmFlags(runCmd, run.vm, false);
    runCmd->add_option("program", run.program, "Lab program name or path")->required();
    // Everything after PROGRAM that is not one of our options goes to PROGRAM,
    // in order; after "--" everything does.
    runCmd->allow_extras();
    runCmd->footer("PROGRAM's arguments may be mixed with the options above; put them after -- "
                   "when one looks like one of ours.");
    runCmd->add_option("--out", run.out, "Output directory (stdout.txt, run.json, captures)")
        ->required();
    runCmd->add_flag("--vmcore", run.vmcore, "Save DIR/<mark>.vmcore at every mark");
    runCmd->add_flag("--guest-dump", run.guestDump,
                     "With --disk TOOLS.img (tools/lab/make-tools-disk.sh): at every mark the "
                     "program also runs 'waitscope dump --kcore' inside the guest on itself; "
                     "saved as DIR/<mark>.kcore.json");
    runCmd->add_option("--vmcore-format", run.vmcoreFormat,
                       "elf (default), elf-phys or kdump; several, comma-separated, write "
                       "<mark>.<format>.vmcore each");
    runCmd->add_flag(
        "--no-snapshot", run.noSnapshot,
        "Do not write DIR/<mark>.json (the snapshot read from guest RAM at each mark)");
    runCmd
        ->add_option("--snapshot-format", run.snapshot.formats,
                     "Snapshot formats written at each mark: json (default), cbor, dot, text")
        ->check(CLI::IsMember({"json", "cbor", "dot", "text"}));
    runCmd->add_flag("--snapshot-pid-auto", run.snapshot.pidFromExpect,
                     "Snapshot only the process named by the program's last WAITSCOPE_EXPECT line");
    runCmd->add_flag("--snapshot-walk-paused", run.walkPaused,
                     "Walk while the VM is paused instead of copy-on-pause (rehearse, copy the "
                     "pages read, walk the copy after resuming)");
    runCmd->add_flag(
        "--snapshot-baseline", run.snapshot.baseline,
        "Also time a per-member drgn walk in the same pause (benchmarks; longer pauses)");
    runCmd
        ->add_option("--if", run.snapshot.conditions,
                     "Breakpoint condition KEY=VALUE (repeatable, all must hold), checked at each "
                     "hit while the VM is stopped; a hit that fails goes on without a snapshot "
                     "and does not count. KEY: pid, tgid, comm (the current task), cpu, "
                     "arg0..arg5, a register (rdi, rip, ...), or what the arguments lead to: "
                     "eventpoll, epitem, vpoll, file, wait_queue_head, wait_entry, wakee "
                     "(VALUE: its address)")
        ->check([](const std::string& c) { return stopConditionError(c); })
        ->allow_extra_args(false);
    runCmd->add_flag("--snapshot-cold-baseline", run.snapshot.coldBaseline,
                     "At breakpoint stops, also time a cold snapshot of the same stopped memory "
                     "by a fresh introspect process (benchmarks; longer stops)");
    runCmd
        ->add_option("--snapshot-arg", run.snapshot.extraArgs,
                     "Extra waitscope dump option for the mark snapshots (repeat per word, e.g. "
                     "--snapshot-arg=--pid --snapshot-arg=42)")
        ->allow_extra_args(false);
    runCmd->add_option("--timeout", run.timeout, "Seconds before the run is killed (status 124)")
        ->capture_default_str();
    runCmd->add_flag("-q,--quiet", run.quiet, "Do not echo the program's output");
    runCmd->add_option("--break", run.breaks,
                       "Stop at this kernel function (hardware breakpoint through QEMU's "
                       "gdbstub; repeatable) and capture as at a mark named hit-<n>");
    runCmd
        ->add_option("--break-count", run.breakCount,
                     "Breakpoint hits to stop for before removing the breakpoints")
        ->capture_default_str();
    runCmd->add_option("--step-script", run.stepScript,
                       "Drive breakpoints with a script, one command a line: break SYM [if "
                       "KEY=VALUE ...], delete SYM, continue [N], until-mark NAME, snapshot NAME, "
                       "resume (see docs/lab.md); every stop is captured");
    runCmd->add_flag("--events", run.events,
                     "Record vpoll's flight recorder live from guest RAM into DIR/events.json "
                     "(Chrome Trace Event JSON; see waitscope timeline show)");
    runCmd->callback([&status, runCmd] {
        run.args = programArgs(*runCmd);
        guarded(status, [] { return labRun(run); });
    });

    // `lab step`: the lecture form of `lab run --step-script`, which also packs the stops
    // into one session file.
    static RunFlags step;
    static std::string stepSession;
    auto* stepCmd = lab->add_subcommand(
        "step", "Run PROGRAM in a lab VM under a step script (breakpoints, continue N, to a "
                "mark, snapshots; as lab run --step-script) and pack every stop into "
                "DIR/session.wss for the app's History view");
    addVmFlags(stepCmd, step.vm, false);
    stepCmd->add_option("program", step.program, "Lab program name or path")->required();
    stepCmd->allow_extras();
    stepCmd->add_option("--script", step.stepScript, "The step script (docs/lab.md)")->required();
    stepCmd->add_option("--out", step.out, "Output directory (snapshots, run.json, session.wss)")
        ->required();
    stepCmd->add_option("--session", stepSession,
                        "Session file to write (default DIR/session.wss)");
    stepCmd->add_flag("--events", step.events, "Also record vpoll's events (DIR/events.json)");
    stepCmd->add_option("--timeout", step.timeout, "Seconds before the run is killed (status 124)")
        ->capture_default_str();
    stepCmd->add_flag("-q,--quiet", step.quiet, "Do not echo the program's output");
    stepCmd->callback([&status, stepCmd] {
        step.args = programArgs(*stepCmd);
        guarded(status, [] {
            int rc = labRun(step);
            std::filesystem::path out = stepSession.empty()
                                            ? std::filesystem::path(step.out) / "session.wss"
                                            : std::filesystem::path(stepSession);
            auto session = model::sessionFromDirectory(step.out);
            if (!session) {
                if (rc != 0) { // the run failed first: that is the error to report
                    std::fprintf(stderr, "lab step: no session (%s)\n",
                                 session.error().message.c_str());
                    return rc;
                }
                throw base::Error("packing the session: " + session.error().message);
            }
            auto st = model::writeSessionFile(out, session.value());
            std::fprintf(stderr, "lab step: %zu stops and marks in %s (%zu bytes)\n",
                         session->session.size(), out.c_str(), st.bytes);
            return rc;
        });
    });

    static VmFlags shellFlags;
    auto* shell = lab->add_subcommand(
        "shell", "Attach this terminal to a lab VM's console (booting one if none runs)");
    addVmFlags(shell, shellFlags, true);
    shell->callback([&status] { guarded(status, [] { return labShell(shellFlags); }); });

    static std::string dumpName = "default", dumpOut, dumpFormat = "elf";
    auto* dump = lab->add_subcommand("dump", "Dump a running lab VM's memory to OUT (paused)");
    dump->add_option("out", dumpOut, "Output file")->required();
    dump->add_option("--name", dumpName, "Name of the lab VM")->capture_default_str();
    dump->add_option("--format", dumpFormat, "elf (default), elf-phys or kdump")
        ->check(CLI::IsMember({"elf", "elf-phys", "kdump"}));
    dump->callback(
        [&status] { guarded(status, [] { return labDump(dumpName, dumpOut, dumpFormat); }); });

    static std::string stopName = "default";
    auto* stop = lab->add_subcommand("stop", "Stop a lab VM started with lab boot");
    stop->add_option("--name", stopName, "Name of the lab VM")->capture_default_str();
    stop->callback([&status] { guarded(status, [] { return labStop(stopName); }); });

    auto* st = lab->add_subcommand("status", "List the running lab VMs");
    st->callback([&status] { guarded(status, [] { return labStatus(); }); });
}

} // namespace waitscope::cli
