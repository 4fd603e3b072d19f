// Identify introspection targets before Python starts: what a vmcore file is
// (ELF core with virtual or physical segments, kdump-compressed, makedumpfile's
// flattened stream, or not a core), its VMCOREINFO (OSRELEASE, BUILD-ID,
// crash data), whether it is complete, and which vmlinux matches it.
//
// Every failure is a TargetError whose message is one line saying what is
// wrong and what to do; nothing here needs drgn or Python.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <waitscope/base/error.hpp>

namespace waitscope::targets {

class TargetError : public base::Error {
public:
    using base::Error::Error;
};

enum class CoreFormat {
    ElfVirtual,     ///< QEMU paging:true, /proc/vmcore copies: PT_LOADs with virtual addresses
    ElfPhysical,    ///< QEMU paging:false: physical addresses only (drgn needs libkdumpfile)
    Kdump,          ///< kdump-compressed (diskdump), plain
    KdumpFlattened, ///< makedumpfile's flattened stream (QEMU < 8.2 kdump-zlib)
};

/// "elf", "elf-phys", "kdump", "kdump-flat" (the names the snapshot uses).
const char* formatName(CoreFormat format);

struct CoreInfo {
    std::filesystem::path path;
    CoreFormat format = CoreFormat::ElfVirtual;
    uint64_t fileSize = 0;
    std::map<std::string, std::string> vmcoreinfo; ///< KEY=value lines
    std::string release;                           ///< OSRELEASE
    std::string buildId;                           ///< BUILD-ID, lower-case hex
    int cpus = 0;                                  ///< PRSTATUS notes (ELF) or nr_cpus (kdump)
    bool kdumpUtsEmpty = false;                    ///< QEMU leaves utsname empty
    std::optional<std::string> crashTime;          ///< CRASHTIME= when a kernel crashed
    std::optional<std::string> panicMessage;       ///< VMCOREINFO PANIC_MESSAGE (if any)
};

/// Identify a vmcore; throws TargetError (not a core, truncated, no VMCOREINFO).
/// Reads headers and notes only: milliseconds for any size.
CoreInfo probeCore(const std::filesystem::path& path);

/// GNU build ID of an ELF file (hex), read with libelf from its notes only.
std::optional<std::string> elfBuildId(const std::filesystem::path& path);

/// Where vmlinux files are looked for, in order: --vmlinux, --debuginfo DIRs,
/// the lab's kernels (<lab>/kernels/<release>/vmlinux), then Debian's
/// /usr/lib/debug/boot/vmlinux-<release> and /usr/lib/debug/lib/modules/<release>/vmlinux.
struct VmlinuxSearch {
    std::optional<std::filesystem::path> vmlinux;
    std::vector<std::filesystem::path> debuginfoDirs;
    std::vector<std::filesystem::path> labDirs;
};

std::vector<std::filesystem::path> vmlinuxCandidates(const std::string& release,
                                                     const VmlinuxSearch& search);

/// The vmlinux whose build ID is `buildId` (any candidate when it is empty);
/// throws TargetError naming the mismatch or the package to install.
std::filesystem::path findVmlinux(const std::string& release, const std::string& buildId,
                                  const VmlinuxSearch& search);

/// Check that each path is a kernel module (.ko, an ELF relocatable file);
/// throws TargetError for a missing or wrong file.
void checkModules(const std::vector<std::filesystem::path>& modules);

/// Whether /proc/kcore can be read by this process; nullopt when it can,
/// else the one-line reason (absent, or not root).
std::optional<std::string> kcoreProblem();

} // namespace waitscope::targets
