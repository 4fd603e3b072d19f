// Where the lab's parts live in a build tree (or an install):
//
//   <lab>/kernels/<release>/{vmlinuz,vmlinux,System.map,config,modules/{order,*.ko}}
//                                                                  tools/lab/fetch-kernels.sh
//   <lab>/kmod/<release>/{vpoll/vpoll.ko,simrupt/simrupt.ko}        kmod/CMakeLists.txt
//   <lab>/programs/<name>                                          programs/CMakeLists.txt
//
// <lab> is $WAITSCOPE_LAB_DIR, else <directory of the waitscope binary>/../lab.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace waitscope::lab {

struct LabKernel {
    std::string release;           ///< e.g. 6.1.0-56-cloud-amd64
    std::filesystem::path vmlinuz; ///< bootable image
    std::filesystem::path vmlinux; ///< DWARF debug info (from the -dbg package)
    /// In-tree modules the guest loads, in order (qemu_fw_cfg.ko: VMCOREINFO
    /// for QEMU's dumps; pvpanic*.ko: panic notification to QEMU).
    std::vector<std::filesystem::path> inTreeModules;
    /// What a virtio disk needs (lab run --disk), in load order; empty when built in.
    std::vector<std::filesystem::path> diskModules;
    std::filesystem::path kmodDir; ///< our modules built for this release
    std::filesystem::path vpollKo() const { return kmodDir / "vpoll" / "vpoll.ko"; }
    std::filesystem::path simruptKo() const { return kmodDir / "simrupt" / "simrupt.ko"; }
};

class LabInstall {
public:
    /// Locate the lab directory; throws base::Error with what to run when it is missing.
    static LabInstall find();

    const std::filesystem::path& root() const { return m_root; }
    std::vector<std::string> releases() const;

    /// Kernel by series or release: "" or "6.1" (the default), "6.12", or a full
    /// release. Throws base::Error naming the available ones.
    LabKernel kernel(const std::string& spec) const;

    /// A lab program by name (<lab>/programs/<name>) or path; throws if absent.
    std::filesystem::path program(const std::string& nameOrPath) const;
    std::vector<std::filesystem::path> programs() const;

private:
    std::filesystem::path m_root;
};

} // namespace waitscope::lab
