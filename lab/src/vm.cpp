// [SECTION] helpers: runtime dir, nonce, KVM probe
// [SECTION] Vm::boot / launch / waitReady
// [SECTION] channel I/O, pause/resume
// [SECTION] teardown and stale cleanup
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/base/process.hpp>
#include <waitscope/base/socket.hpp>
#include <waitscope/lab/initramfs.hpp>
#include <waitscope/lab/vm.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using waitscope::base::Error;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace waitscope::lab {

// [SECTION] helpers: runtime dir, nonce, KVM probe

namespace {

constexpr const char* RamPrefix = "waitscope-lab-";

// tsc=reliable: under TCG the vCPUs' TSCs drift apart, the guest marks the TSC
// unstable and falls back to the HPET, whose every read is an MMIO exit to
// QEMU (microseconds): ktime_get_ns() in our recorder and clock_gettime() in
// the programs (no vDSO on HPET) would measure the emulator, not the kernel.
constexpr const char* GuestCmdline = "console=ttyS0 panic=-1 quiet loglevel=4 tsc=reliable";

std::string randomHex(size_t n) {
    std::random_device rd;
    std::string out;
    const char* digits = "0123456789abcdef";
    while (out.size() < n)
        out.push_back(digits[rd() % 16]);
    return out;
}

std::string hostKernelRelease() {
    std::ifstream f("/proc/sys/kernel/osrelease");
    std::string s;
    std::getline(f, s);
    return s;
}

fs::path kvmVerdictFile() {
    const char* cache = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    fs::path dir = cache && *cache ? fs::path(cache) : fs::path(home ? home : "/tmp") / ".cache";
    return dir / "waitscope" / ("kvm-broken-" + hostKernelRelease());
}

void writeOwner(const fs::path& stateDir) {
    std::ofstream(stateDir / "owner") << ::getpid() << "\n";
}

pid_t readOwner(const fs::path& stateDir) {
    std::ifstream f(stateDir / "owner");
    pid_t pid = -1;
    f >> pid;
    return pid;
}

} // namespace

std::string toString(Accel accel) {
    switch (accel) {
    case Accel::Tcg:
        return "tcg";
    case Accel::Kvm:
        return "kvm";
    case Accel::Auto:
        break;
    }
    return "auto";
}

fs::path labRuntimeDir() {
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg)
        return fs::path(xdg) / "waitscope";
    if (::geteuid() == 0)
        return "/run/waitscope";
    return fs::path("/tmp") / ("waitscope-" + std::to_string(::geteuid()));
}

bool kvmLooksUsable() {
    if (::access("/dev/kvm", R_OK | W_OK) != 0)
        return false;
    // kvm_pvm is a software nested hypervisor that cannot run an unmodified
    // kernel (docs/lab.md); real KVM needs VMX or SVM in the CPU flags.
    if (fs::exists("/sys/module/kvm_pvm"))
        return false;
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("flags", 0) == 0)
            return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
    return false;
}

// [SECTION] Vm::boot / launch / waitReady

/// True when a boot failed because the guest died (a panic, an oops, QEMU gone) before our
/// modules were loaded (the console tail in `what` names neither), rather than because it
/// was slow or one of ours broke it.
static bool diedBooting(std::string_view what) {
    constexpr auto npos = std::string_view::npos;
    bool died = what.find("went away") != npos || what.find("Kernel panic") != npos;
    return died && what.find("vpoll") == npos && what.find("simrupt") == npos;
}

std::unique_ptr<Vm> Vm::boot(const VmOptions& options) {
    if (options.memMiB < 80 || options.memMiB > 3072)
        throw Error("--mem must be between 80 and 3072 MiB");
    cleanupStaleLabs();
    Accel accel = options.accel;
    bool kvmBroken = fs::exists(kvmVerdictFile());
    if (accel == Accel::Auto)
        accel = kvmLooksUsable() && !kvmBroken ? Accel::Kvm : Accel::Tcg;

    std::unique_ptr<Vm> vm(new Vm());
    try {
        vm->launch(options, accel);
        vm->waitReady(accel == Accel::Kvm && options.accel == Accel::Auto ? 30s
                                                                          : options.readyTimeout);
    } catch (const Error& e) {
        if (accel == Accel::Tcg && diedBooting(e.what())) {
            // Under TCG a guest can die while it boots for reasons of the emulation, not of
            // the kernel or our modules (6.12 sometimes takes an "Oops: int3" while boot code
            // patches a static key another vCPU is running): nothing of ours ran yet, so
            // boot once more, saying so.
            std::fprintf(stderr, "lab: the guest kernel died while booting, before any lab "
                                 "program ran; booting it once more\n");
        } else if (options.accel == Accel::Auto && accel == Accel::Kvm) {
            // KVM exists but cannot boot this guest: remember and fall back to TCG.
            fs::create_directories(kvmVerdictFile().parent_path());
            std::ofstream(kvmVerdictFile()) << e.what() << "\n";
        } else {
            throw;
        }
        vm->shutdown();
        vm.reset(new Vm());
        vm->launch(options, Accel::Tcg);
        vm->waitReady(options.readyTimeout);
    }
    json j = {{"release", vm->m_info.release},
              {"vmlinux", vm->m_info.vmlinux},
              {"vpoll_ko", vm->m_info.vpollKo},
              {"simrupt_ko", vm->m_info.simruptKo},
              {"ram_path", vm->m_info.ramPath},
              {"mem_mib", vm->m_info.memMiB},
              {"accel", vm->m_info.accel},
              {"qemu_pid", vm->m_info.qemuPid},
              {"owner_pid", vm->m_info.ownerPid},
              {"boot_seconds", vm->m_info.bootSeconds},
              {"qmp", vm->m_info.stateDir / "qmp.sock"},
              {"gdb", vm->m_info.stateDir / "gdb.sock"},
              {"console", vm->m_info.stateDir / "console.sock"},
              {"console_log", vm->m_info.stateDir / "console.log"}};
    base::writeFileAtomic(vm->m_info.stateDir / "vm.json", j.dump(2) + "\n");
    return vm;
}

void Vm::launch(const VmOptions& o, Accel accel) {
    m_nonce = randomHex(12);
    m_info = {};
    m_info.release = o.kernel.release;
    m_info.vmlinux = o.kernel.vmlinux;
    m_info.vpollKo = o.kernel.vpollKo();
    m_info.simruptKo = o.kernel.simruptKo();
    m_info.memMiB = o.memMiB;
    m_info.accel = toString(accel);
    m_info.ownerPid = ::getpid();
    m_info.stateDir = o.stateDir;
    m_info.ramPath = fs::path("/dev/shm") / (RamPrefix + std::to_string(::getpid()) + "-" + o.name +
                                             "-" + m_nonce.substr(0, 6));
    fs::create_directories(o.stateDir);
    writeOwner(o.stateDir);
    for (const char* f :
         {"channel.sock", "qmp.sock", "gdb.sock", "console.sock", "console.log", "vm.json"})
        fs::remove(o.stateDir / f);

    InitramfsSpec spec;
    spec.kernel = o.kernel;
    spec.config = "LAB_NONCE=" + m_nonce + "\nVPOLL_ARGS=" + base::shellQuote(o.vpollArgs) +
                  "\nSIMRUPT_ARGS=" + base::shellQuote(o.simruptArgs) +
                  "\nLAB_DISK=" + (o.disk ? "1" : "0") +
                  "\nLAB_GUEST_DUMP=" + (o.guestDump ? "1" : "0") + "\n";
    if (o.guestDump && !o.disk)
        throw Error("--guest-dump needs --disk (a tools disk: tools/lab/make-tools-disk.sh)");
    if (o.disk && !fs::is_regular_file(*o.disk))
        throw Error("no disk image " + o.disk->string());
    spec.run = o.program;
    spec.runArgs = o.programArgs;
    spec.programs = o.labPrograms;
    base::writeFileAtomic(o.stateDir / "initramfs.cpio", buildInitramfs(spec));

    const std::string mem = std::to_string(o.memMiB) + "M";
    const fs::path& d = o.stateDir;
    std::vector<std::string> argv = {
        "qemu-system-x86_64", "-name", "waitscope-lab-" + o.name, "-nodefaults", "-no-user-config",
        "-display", "none", "-no-reboot",
        // Guest RAM in a shared file: file offset == guest physical address.
        "-object",
        "memory-backend-file,id=mem,size=" + mem + ",mem-path=" + m_info.ramPath.string() +
            ",share=on",
        "-machine", "pc,memory-backend=mem", "-m", mem, "-smp", std::to_string(o.cpus), "-kernel",
        o.kernel.vmlinuz.string(), "-initrd", (d / "initramfs.cpio").string(), "-append",
        std::string(GuestCmdline) + " " + o.append, "-device", "vmcoreinfo",
        // A panicking guest tells QEMU (pvpanic), which pauses it for a dump.
        "-device", "pvpanic-pci", "-action", "panic=pause",
        // ttyS0: console (interactive through the socket, always logged).
        "-chardev",
        "socket,id=con,path=" + (d / "console.sock").string() +
            ",server=on,wait=off,logfile=" + (d / "console.log").string(),
        "-serial", "chardev:con",
        // ttyS1: the program channel. QEMU waits for us to connect first.
        "-chardev", "socket,id=chan,path=" + (d / "channel.sock").string() + ",server=on,wait=on",
        "-serial", "chardev:chan", "-qmp",
        "unix:" + (d / "qmp.sock").string() + ",server=on,wait=off",
        // gdbstub for kernel breakpoints (waitscope lab run --break).
        "-gdb", "unix:" + (d / "gdb.sock").string() + ",server=on,wait=off"};
    if (o.disk) {
        // Read-only, and QEMU's file lock stays shared: several VMs may use one image.
        std::string file;
        for (char c : fs::absolute(*o.disk).string())
            file += c == ',' ? std::string(",,") : std::string(1, c); // QEMU's option escape
        argv.insert(argv.end(), {"-drive", "file=" + file + ",if=virtio,format=raw,readonly=on"});
    }
    if (accel == Accel::Kvm) {
        argv.insert(argv.end(), {"-accel", "kvm", "-cpu", "host"});
    } else {
        // -cpu max gives the guest LA57 (5-level paging) under TCG.
        argv.insert(argv.end(), {"-accel", "tcg,thread=multi", "-cpu", "max"});
    }
    base::SpawnOptions so;
    so.stdoutPath = (d / "qemu.log").string();
    so.stderrPath = so.stdoutPath;
    m_started = Clock::now();
    m_info.qemuPid = base::spawnProcess(argv, so);

    auto deadline = Clock::now() + 15s;
    while (!(m_channel = base::connectUnix(d / "channel.sock"))) {
        if (!base::processAlive(m_info.qemuPid) || Clock::now() >= deadline) {
            std::string log;
            try {
                log = base::readFile(d / "qemu.log");
            } catch (const Error&) {
            }
            throw Error("QEMU did not start: " + (log.empty() ? "(no output)" : log));
        }
        std::this_thread::sleep_for(5ms);
    }
    m_qmp = std::make_unique<QmpClient>(QmpClient::connect(d / "qmp.sock", 15s));
}

void Vm::waitReady(std::chrono::seconds timeout) {
    auto deadline = Clock::now() + timeout;
    const std::string want = "WAITSCOPE_READY " + m_nonce;
    while (Clock::now() < deadline) {
        auto line = readLine(200ms);
        if (line && line->rfind(want, 0) == 0) {
            m_info.bootSeconds = std::chrono::duration<double>(Clock::now() - m_started).count();
            return;
        }
    }
    throw Error("the lab VM was not ready within " + std::to_string(timeout.count()) +
                " s; console:\n" + consoleTail());
}

// [SECTION] channel I/O, pause/resume

std::optional<std::string> Vm::readLine(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (auto nl = m_channelBuffer.find('\n'); nl != std::string::npos) {
            std::string line = m_channelBuffer.substr(0, nl);
            m_channelBuffer.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{m_channel.get(), POLLIN, 0};
        int r = ::poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
        if (r < 0 && errno == EINTR)
            return std::nullopt;
        if (r <= 0)
            return std::nullopt;
        char buf[8192];
        ssize_t n = ::read(m_channel.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            m_channelClosed = true;
            throw Error("the lab VM went away; console:\n" + consoleTail());
        }
        m_channelBuffer.append(buf, static_cast<size_t>(n));
    }
}

std::string Vm::takePartialLine() {
    return std::exchange(m_channelBuffer, {});
}

void Vm::write(std::string_view data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::send(m_channel.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw base::systemError("lab channel");
        done += static_cast<size_t>(n);
    }
}

QmpClient& Vm::qmp() {
    if (!m_qmp)
        m_qmp = std::make_unique<QmpClient>(QmpClient::connect(m_info.stateDir / "qmp.sock", 5s));
    return *m_qmp;
}

double Vm::pause() {
    auto t0 = Clock::now();
    qmp().execute("stop");
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void Vm::resume() {
    qmp().execute("cont");
}

std::string Vm::consoleTail(size_t lines) const {
    std::ifstream f(m_info.stateDir / "console.log");
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(f, line)) {
        tail.push_back(line);
        if (tail.size() > lines)
            tail.pop_front();
    }
    std::string out;
    for (const auto& l : tail)
        out += "  | " + l + "\n";
    return out.empty() ? "  | (empty)\n" : out;
}

// [SECTION] teardown and stale cleanup

void Vm::shutdown() {
    if (m_down)
        return;
    m_down = true;
    pid_t qemu = m_info.qemuPid;
    // After the channel closed, QEMU is on its way out: just reap it.
    if (qemu > 0 && !base::waitProcess(qemu, m_channelClosed ? 3s : 0ms)) {
        try {
            if (!m_qmp)
                m_qmp = std::make_unique<QmpClient>(
                    QmpClient::connect(m_info.stateDir / "qmp.sock", 1s));
            m_qmp->execute("quit", json::object(), 2s);
        } catch (const Error&) {
            // quit closes the connection; a reply is not guaranteed.
        }
        if (!base::waitProcess(qemu, 3s)) {
            ::kill(qemu, SIGKILL);
            base::waitProcess(qemu, 3s);
        }
    }
    m_qmp.reset();
    m_channel.reset();
    std::error_code ec;
    fs::remove(m_info.ramPath, ec);
    if (!m_info.stateDir.empty())
        fs::remove_all(m_info.stateDir, ec);
}

Vm::~Vm() {
    try {
        shutdown();
    } catch (...) {
    }
}

void cleanupStaleLabs() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
        std::string name = e.path().filename().string();
        if (name.rfind(RamPrefix, 0) != 0)
            continue;
        pid_t pid = std::atoi(name.c_str() + std::strlen(RamPrefix));
        if (pid > 0 && !base::processAlive(pid))
            fs::remove(e.path(), ec);
    }
    for (const auto& sub : {labRuntimeDir() / "lab", labRuntimeDir() / "runs"}) {
        for (const auto& e : fs::directory_iterator(sub, ec)) {
            pid_t pid = readOwner(e.path());
            if (!base::processAlive(pid))
                fs::remove_all(e.path(), ec);
        }
    }
}

} // namespace waitscope::lab
