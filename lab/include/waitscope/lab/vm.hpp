// One lab VM: the Debian cloud kernel under QEMU with a busybox initramfs
// holding our modules and programs, a QMP socket, guest RAM in a shared file
// under /dev/shm (for host-side reads), the console logged to a file, and a
// line-oriented program channel (guest ttyS1 <-> a host socket).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <waitscope/base/fd.hpp>
#include <waitscope/lab/install.hpp>
#include <waitscope/lab/qmp.hpp>

namespace waitscope::lab {

enum class Accel { Auto, Tcg, Kvm };

struct VmOptions {
    LabKernel kernel;
    std::filesystem::path stateDir; ///< sockets, logs, initramfs; created; removed on teardown
    std::string name = "run";       ///< shows in the QEMU process name and the /dev/shm file
    unsigned memMiB = 512;          ///< 80..3072 (file offset == guest physical address)
    unsigned cpus = 2;
    Accel accel = Accel::Auto;
    std::string append;    ///< extra kernel command line
    std::string vpollArgs; ///< insmod parameters, e.g. "ring_size=1024"
    std::string simruptArgs;
    std::vector<std::filesystem::path> labPrograms; ///< copied to /lab/bin in the guest
    std::optional<std::filesystem::path> program;   ///< run as root at boot (lab run)
    std::vector<std::string> programArgs;
    /// A disk image attached read-only (virtio) and mounted at /disk in the guest, with the
    /// guest's /proc, /sys, /dev and a /tmp mounted inside it so that `chroot /disk` works.
    std::optional<std::filesystem::path> disk;
    /// At every mark, the lab program also runs /disk/ws/guest-dump (a tools disk made by
    /// tools/lab/make-tools-disk.sh: `waitscope dump --kcore` inside the guest).
    bool guestDump = false;
    std::chrono::seconds readyTimeout{120};
};

/// Facts about a booted VM, also written to <stateDir>/vm.json for other
/// waitscope processes (dump --lab, the app).
struct VmInfo {
    std::string release;
    std::filesystem::path vmlinux, vpollKo, simruptKo;
    std::filesystem::path ramPath; ///< /dev/shm/waitscope-lab-*
    unsigned memMiB = 0;
    std::string accel; ///< "tcg" or "kvm"
    pid_t qemuPid = -1;
    pid_t ownerPid = -1;    ///< process that tears the VM down
    double bootSeconds = 0; ///< QEMU start -> READY
    std::filesystem::path stateDir;
};

class Vm {
public:
    /// Boot and return once the guest reported ready; throws base::Error with
    /// the console tail when the guest does not come up.
    static std::unique_ptr<Vm> boot(const VmOptions& options);
    ~Vm();
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;

    const VmInfo& info() const { return m_info; }
    /// The QMP connection, reconnected if it was closed. QEMU serves one QMP
    /// client at a time, so a VM that others use (lab boot) closes it when idle.
    QmpClient& qmp();
    void closeQmp() { m_qmp.reset(); }
    const std::string& nonce() const { return m_nonce; }

    /// Next line from the program channel (without '\n'); nullopt on timeout.
    /// Throws base::Error when the VM went away.
    std::optional<std::string> readLine(std::chrono::milliseconds timeout);
    /// Bytes received after the last complete line (a final unterminated line).
    std::string takePartialLine();
    /// Send bytes to the program's stdin.
    void write(std::string_view data);

    /// Pause/resume the guest; pause returns the QMP round trip in ms.
    double pause();
    void resume();

    /// The last `lines` lines of the serial console log.
    std::string consoleTail(size_t lines = 30) const;

    /// Quit QEMU, wait for it, remove the RAM file and the state directory.
    void shutdown();

private:
    Vm() = default;
    void launch(const VmOptions& options, Accel accel);
    void waitReady(std::chrono::seconds timeout);

    VmInfo m_info;
    std::string m_nonce;
    std::unique_ptr<QmpClient> m_qmp;
    base::Fd m_channel;
    std::string m_channelBuffer;
    bool m_down = false;
    bool m_channelClosed = false;
    std::chrono::steady_clock::time_point m_started;
};

/// Where per-user lab state lives: $XDG_RUNTIME_DIR/waitscope, /run/waitscope
/// for root, else /tmp/waitscope-<uid>.
std::filesystem::path labRuntimeDir();

/// Remove RAM files and state directories of lab VMs whose owner is gone.
void cleanupStaleLabs();

/// Whether this host has a KVM that can boot a real guest kernel (see
/// docs/lab.md: a software nested hypervisor such as kvm_pvm cannot).
bool kvmLooksUsable();

std::string toString(Accel accel);

} // namespace waitscope::lab
