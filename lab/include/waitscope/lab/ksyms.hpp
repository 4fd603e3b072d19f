// Kernel symbols for the lab (System.map made from the -dbg vmlinux) with the
// running guest's KASLR offset, found in its VMCOREINFO in guest RAM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace waitscope::lab {

class KernelSymbols {
public:
    /// Read a System.map ("addr type name" lines). Throws base::Error.
    static KernelSymbols load(const std::filesystem::path& systemMap);

    /// Relocate every address by `offset` (KASLR: VMCOREINFO's KERNELOFFSET).
    void setOffset(uint64_t offset) { m_offset = offset; }
    uint64_t offset() const { return m_offset; }

    /// Runtime address of a symbol; nullopt when there is no such symbol.
    std::optional<uint64_t> address(std::string_view name) const;
    /// "func+0x1a/0x40" for a runtime address, or "" outside the kernel image.
    std::string symbolize(uint64_t addr) const;
    /// Whether a runtime address lies in kernel text (_stext.._etext).
    bool isText(uint64_t addr) const;
    size_t size() const { return m_byAddr.size(); }

private:
    struct Sym {
        uint64_t addr;
        char type;
        std::string name;
    };
    std::vector<Sym> m_byAddr;                           ///< sorted by address
    std::map<std::string, size_t, std::less<>> m_byName; ///< first text symbol of a name
    uint64_t m_offset = 0;
    uint64_t m_stext = 0, m_etext = 0;
};

/// The key=value lines of the kernel's VMCOREINFO note, found by scanning
/// guest physical memory (the ELF note "VMCOREINFO" the kernel keeps).
/// Empty when not found.
std::map<std::string, std::string> scanVmcoreinfo(const uint8_t* ram, size_t size);

} // namespace waitscope::lab
