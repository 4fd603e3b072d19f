// Guest memory dumps through QMP, in a form drgn 0.0.22 opens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <waitscope/lab/qmp.hpp>

namespace waitscope::lab {

enum class DumpFormat {
    Elf,     ///< ELF with virtual addresses (paging: true); drgn opens it as is
    ElfPhys, ///< ELF of physical memory (paging: false); drgn needs DRGN_USE_LIBKDUMPFILE_FOR_ELF=1
    Kdump,   ///< kdump-compressed (zlib), de-flattened and fixed up for libkdumpfile
};

DumpFormat parseDumpFormat(const std::string& name); ///< "elf", "elf-phys", "kdump"; throws

struct DumpStats {
    double ms = 0;
    uint64_t bytes = 0;
};

/// Dump guest memory to `out` (absolute or relative path; replaced if it
/// exists). `release` fills the kdump header's empty utsname. Throws base::Error.
DumpStats dumpGuestMemory(QmpClient& qmp, const std::filesystem::path& out, DumpFormat format,
                          const std::string& release);

/// QEMU < 8.2 writes kdump files in makedumpfile's "flattened" stream format
/// and fills only utsname.machine; libkdumpfile needs the plain format and a
/// sane utsname. Rewrite `in` as `out` with both fixed. Throws base::Error.
void fixQemuKdump(const std::filesystem::path& in, const std::filesystem::path& out,
                  const std::string& release);

} // namespace waitscope::lab
