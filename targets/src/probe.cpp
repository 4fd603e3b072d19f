// [SECTION] helpers: files, notes, VMCOREINFO text
// [SECTION] ELF cores (libelf)
// [SECTION] kdump and flattened kdump (raw headers)
// [SECTION] vmlinux search, modules, kcore
#include <endian.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

#include <waitscope/base/fd.hpp>
#include <waitscope/targets/probe.hpp>

namespace fs = std::filesystem;

namespace waitscope::targets {

namespace {

// [SECTION] helpers: files, notes, VMCOREINFO text

constexpr char KdumpSignature[] = "KDUMP   ";
constexpr char FlatSignature[] = "makedumpfile";
constexpr size_t FlatHeaderSize = 4096;
constexpr size_t UtsOffset = 12, UtsField = 65;
constexpr uint32_t NtGnuBuildId = 3, NtPrstatus = 1;

class File {
public:
    explicit File(const fs::path& path) : m_path(path) {
        m_fd = base::Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!m_fd)
            throw TargetError(path.string() + ": " + std::strerror(errno));
        m_size = fs::file_size(path);
    }
    uint64_t size() const { return m_size; }
    int fd() const { return m_fd.get(); }
    /// Up to n bytes at off (fewer at the end of the file).
    std::string read(uint64_t off, size_t n) const {
        std::string out(n, '\0');
        size_t got = 0;
        while (got < n) {
            ssize_t r =
                ::pread(m_fd.get(), out.data() + got, n - got, static_cast<off_t>(off + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += static_cast<size_t>(r);
        }
        out.resize(got);
        return out;
    }

private:
    fs::path m_path;
    base::Fd m_fd;
    uint64_t m_size = 0;
};

template <typename T>
T load(const std::string& s, size_t off) {
    T v{};
    if (off + sizeof(T) <= s.size())
        std::memcpy(&v, s.data() + off, sizeof(T));
    return v;
}

void parseVmcoreinfo(std::string_view text, CoreInfo& info) {
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (auto eq = line.find('='); eq != std::string_view::npos) {
            std::string key(line.substr(0, eq));
            std::string value(line.substr(eq + 1));
            while (!value.empty() && value.back() == '\0')
                value.pop_back();
            info.vmcoreinfo.emplace(std::move(key), std::move(value));
        }
        start = end + 1;
    }
    auto get = [&](const char* k) -> std::optional<std::string> {
        auto it = info.vmcoreinfo.find(k);
        return it == info.vmcoreinfo.end() ? std::nullopt : std::optional(it->second);
    };
    info.release = get("OSRELEASE").value_or("");
    info.buildId = get("BUILD-ID").value_or("");
    std::transform(info.buildId.begin(), info.buildId.end(), info.buildId.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    info.crashTime = get("CRASHTIME");
    info.panicMessage = get("PANIC_MESSAGE");
}

/// Raw ELF notes: calls f(name, type, desc) for each.
template <typename F>
void forEachNote(std::string_view data, F&& f) {
    size_t o = 0;
    while (o + 12 <= data.size()) {
        uint32_t namesz, descsz, type;
        std::memcpy(&namesz, data.data() + o, 4);
        std::memcpy(&descsz, data.data() + o + 4, 4);
        std::memcpy(&type, data.data() + o + 8, 4);
        o += 12;
        size_t nameEnd = o + namesz, descOff = o + ((namesz + 3u) & ~3u);
        if (nameEnd > data.size() || descOff + descsz > data.size())
            return;
        std::string_view name = data.substr(o, namesz);
        while (!name.empty() && name.back() == '\0')
            name.remove_suffix(1);
        f(name, type, data.substr(descOff, descsz));
        o = descOff + ((descsz + 3u) & ~3u);
    }
}

// [SECTION] ELF cores (libelf)

struct ElfHandle {
    Elf* elf = nullptr;
    ~ElfHandle() {
        if (elf)
            elf_end(elf);
    }
};

void initLibelf() {
    static bool done = [] { return elf_version(EV_CURRENT) != EV_NONE; }();
    if (!done)
        throw TargetError("libelf: version mismatch");
}

CoreInfo probeElf(const fs::path& path, const File& file) {
    initLibelf();
    ElfHandle h;
    h.elf = elf_begin(file.fd(), ELF_C_READ_MMAP, nullptr);
    if (!h.elf || elf_kind(h.elf) != ELF_K_ELF)
        throw TargetError(path.string() + ": unreadable ELF header (" + elf_errmsg(-1) + ")");
    GElf_Ehdr eh;
    if (!gelf_getehdr(h.elf, &eh))
        throw TargetError(path.string() + ": truncated ELF header");
    if (gelf_getclass(h.elf) != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        throw TargetError(path.string() +
                          ": a 32-bit or big-endian ELF file; waitscope reads x86-64 vmcores");
    if (eh.e_type != ET_CORE) {
        const char* kind = eh.e_type == ET_REL    ? "a relocatable object (kernel module?)"
                           : eh.e_type == ET_EXEC ? "an executable"
                           : eh.e_type == ET_DYN  ? "a shared object"
                                                  : "an ELF file";
        throw TargetError(path.string() + ": " + kind +
                          ", not a core dump; pass a kernel image with --vmlinux and a vmcore "
                          "with --vmcore");
    }
    if (eh.e_machine != EM_X86_64)
        throw TargetError(path.string() + ": a core dump for another machine, not x86-64");
    size_t phnum = 0;
    if (elf_getphdrnum(h.elf, &phnum) != 0 ||
        eh.e_phoff + static_cast<uint64_t>(phnum) * eh.e_phentsize > file.size())
        throw TargetError(path.string() +
                          ": truncated ELF core (program headers cut off); re-copy the dump");
    CoreInfo info;
    info.path = path;
    info.fileSize = file.size();
    bool physicalOnly = true;
    size_t loads = 0;
    uint64_t end = 0;
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (!gelf_getphdr(h.elf, static_cast<int>(i), &ph))
            continue;
        end = std::max(end, ph.p_offset + ph.p_filesz);
        if (ph.p_type == PT_LOAD) {
            ++loads;
            // paging:false dumps give p_vaddr 0 (or = p_paddr for the BIOS ROM);
            // only a kernel-space address means virtual segments.
            if (ph.p_vaddr >= 0xffff800000000000ull)
                physicalOnly = false;
        } else if (ph.p_type == PT_NOTE && ph.p_offset + ph.p_filesz <= file.size()) {
            std::string notes = file.read(ph.p_offset, ph.p_filesz);
            forEachNote(notes, [&](std::string_view name, uint32_t type, std::string_view desc) {
                if (name == "VMCOREINFO")
                    parseVmcoreinfo(desc, info);
                else if (name == "CORE" && type == NtPrstatus)
                    ++info.cpus;
            });
        }
    }
    if (end > file.size())
        throw TargetError(path.string() + ": truncated vmcore (" + std::to_string(file.size()) +
                          " bytes, its headers describe " + std::to_string(end) +
                          "); re-copy or re-dump it");
    if (!loads)
        throw TargetError(path.string() + ": ELF core without memory segments");
    if (info.vmcoreinfo.empty())
        throw TargetError(path.string() +
                          ": ELF core without a VMCOREINFO note (a process core, or a QEMU dump "
                          "of a guest without qemu_fw_cfg); dump with -device vmcoreinfo and "
                          "qemu_fw_cfg loaded in the guest");
    info.format = physicalOnly ? CoreFormat::ElfPhysical : CoreFormat::ElfVirtual;
    return info;
}

// [SECTION] kdump and flattened kdump (raw headers)

/// Reads byte ranges of the kdump image, plain or flattened.
using Reader = std::function<std::string(uint64_t, size_t)>;

void kdumpVmcoreinfo(const Reader& read, const std::string& head, CoreInfo& info) {
    auto version = load<int32_t>(head, 8);
    auto blockSize = load<int32_t>(head, 428);
    if (blockSize <= 0 || blockSize > (1 << 20))
        throw TargetError(info.path.string() + ": corrupt kdump header (block size)");
    std::string sub = read(static_cast<uint64_t>(blockSize), 64);
    if (version >= 3 && sub.size() >= 48) {
        auto off = load<int64_t>(sub, 32);
        auto sz = load<uint64_t>(sub, 40);
        if (off > 0 && sz > 0 && sz < (1u << 20))
            parseVmcoreinfo(read(static_cast<uint64_t>(off), sz), info);
    }
    if (info.vmcoreinfo.empty() && version >= 4 && sub.size() >= 64) {
        auto off = load<int64_t>(sub, 48);
        auto sz = load<uint64_t>(sub, 56);
        if (off > 0 && sz > 0 && sz < (1u << 24)) {
            std::string notes = read(static_cast<uint64_t>(off), sz);
            forEachNote(notes, [&](std::string_view name, uint32_t, std::string_view desc) {
                if (name == "VMCOREINFO")
                    parseVmcoreinfo(desc, info);
            });
        }
    }
    if (info.vmcoreinfo.empty())
        throw TargetError(info.path.string() +
                          ": kdump without VMCOREINFO; cannot tell its kernel");
    std::string sysname = head.substr(UtsOffset, UtsField);
    info.kdumpUtsEmpty = sysname.empty() || sysname[0] == '\0';
    info.cpus = load<int32_t>(head, 460);
}

CoreInfo probeKdump(const fs::path& path, const File& file, const std::string& head) {
    CoreInfo info;
    info.path = path;
    info.fileSize = file.size();
    info.format = CoreFormat::Kdump;
    if (head.size() < 464)
        throw TargetError(path.string() + ": truncated kdump header");
    kdumpVmcoreinfo([&](uint64_t o, size_t n) { return file.read(o, n); }, head, info);
    // Completeness: the last page descriptor must point inside the file.
    auto blockSize = static_cast<uint64_t>(load<int32_t>(head, 428));
    auto subBlocks = static_cast<uint64_t>(load<int32_t>(head, 432));
    auto bitmapBlocks = static_cast<uint64_t>(load<uint32_t>(head, 436));
    uint64_t descOff = (1 + subBlocks + bitmapBlocks) * blockSize;
    std::string bm2 = file.read((1 + subBlocks) * blockSize + bitmapBlocks * blockSize / 2,
                                bitmapBlocks * blockSize / 2);
    uint64_t pages = 0;
    for (unsigned char c : bm2)
        pages += static_cast<uint64_t>(std::popcount(c));
    if (descOff > file.size() || (pages && descOff + pages * 24 > file.size()))
        throw TargetError(path.string() +
                          ": truncated kdump (page table cut off); re-copy or re-dump it");
    if (pages) {
        std::string last = file.read(descOff + (pages - 1) * 24, 24);
        auto off = load<int64_t>(last, 0);
        auto sz = load<uint32_t>(last, 8);
        if (last.size() == 24 && static_cast<uint64_t>(off) + sz > file.size())
            throw TargetError(path.string() + ": truncated kdump (" + std::to_string(file.size()) +
                              " bytes, its last page ends at " +
                              std::to_string(static_cast<uint64_t>(off) + sz) +
                              "); re-copy or re-dump it");
    }
    return info;
}

CoreInfo probeFlattened(const fs::path& path, const File& file) {
    // Records {be64 offset, be64 size, data} after a 4 KiB header; the kdump
    // headers are in the first records.
    struct Rec {
        uint64_t offset, size, filePos;
    };
    std::vector<Rec> recs;
    uint64_t pos = FlatHeaderSize;
    while (recs.size() < 64) {
        std::string hdr = file.read(pos, 16);
        if (hdr.size() < 16)
            throw TargetError(path.string() +
                              ": truncated flattened kdump (no end marker); re-copy it");
        auto off = static_cast<int64_t>(be64toh(load<uint64_t>(hdr, 0)));
        auto sz = static_cast<int64_t>(be64toh(load<uint64_t>(hdr, 8)));
        if (off == -1 && sz == -1)
            break;
        if (off < 0 || sz < 0 || sz > (int64_t(1) << 30))
            throw TargetError(path.string() + ": corrupt flattened kdump record");
        recs.push_back({static_cast<uint64_t>(off), static_cast<uint64_t>(sz), pos + 16});
        pos += 16 + static_cast<uint64_t>(sz);
        if (pos > file.size())
            throw TargetError(path.string() + ": truncated flattened kdump; re-copy it");
    }
    Reader read = [&](uint64_t o, size_t n) {
        std::string out(n, '\0');
        for (const auto& r : recs) {
            uint64_t lo = std::max(o, r.offset), hi = std::min(o + n, r.offset + r.size);
            if (lo < hi) {
                std::string part = file.read(r.filePos + (lo - r.offset), hi - lo);
                std::memcpy(out.data() + (lo - o), part.data(), part.size());
            }
        }
        return out;
    };
    std::string head = read(0, 4096);
    if (head.compare(0, 8, KdumpSignature) != 0)
        throw TargetError(path.string() + ": flattened dump that does not hold a kdump");
    CoreInfo info;
    info.path = path;
    info.fileSize = file.size();
    info.format = CoreFormat::KdumpFlattened;
    kdumpVmcoreinfo(read, head, info);
    return info;
}

} // namespace

const char* formatName(CoreFormat format) {
    switch (format) {
    case CoreFormat::ElfVirtual:
        return "elf";
    case CoreFormat::ElfPhysical:
        return "elf-phys";
    case CoreFormat::Kdump:
        return "kdump";
    case CoreFormat::KdumpFlattened:
        return "kdump-flat";
    }
    return "?";
}

CoreInfo probeCore(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw TargetError(path.string() + ": no such file");
    if (fs::is_directory(path, ec))
        throw TargetError(path.string() + ": a directory, not a vmcore");
    File file(path);
    std::string head = file.read(0, 4096);
    if (head.empty())
        throw TargetError(path.string() + ": empty file, not a vmcore");
    if (head.compare(0, 4,
                     "\x7f"
                     "ELF") == 0)
        return probeElf(path, file);
    if (head.compare(0, 8, KdumpSignature) == 0)
        return probeKdump(path, file, head);
    if (head.compare(0, sizeof FlatSignature - 1, FlatSignature) == 0)
        return probeFlattened(path, file);
    throw TargetError(path.string() +
                      ": not a vmcore (no ELF, kdump or flattened-kdump signature); pass a dump "
                      "from QEMU dump-guest-memory, kdump or `waitscope lab run --vmcore`");
}

// [SECTION] vmlinux search, modules, kcore

std::optional<std::string> elfBuildId(const fs::path& path) {
    initLibelf();
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    ElfHandle h;
    h.elf = elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr);
    if (!h.elf || elf_kind(h.elf) != ELF_K_ELF)
        return std::nullopt;
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(h.elf, scn)) != nullptr) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data)
            continue;
        size_t off = 0, nameOff, descOff;
        GElf_Nhdr nh;
        while ((off = gelf_getnote(data, off, &nh, &nameOff, &descOff)) > 0) {
            const char* base = static_cast<const char*>(data->d_buf);
            if (nh.n_type == NtGnuBuildId && nh.n_namesz == 4 &&
                std::memcmp(base + nameOff, "GNU", 4) == 0) {
                static const char hex[] = "0123456789abcdef";
                std::string out;
                for (size_t i = 0; i < nh.n_descsz; ++i) {
                    auto c = static_cast<unsigned char>(base[descOff + i]);
                    out += hex[c >> 4];
                    out += hex[c & 15];
                }
                return out;
            }
        }
    }
    return std::nullopt;
}

std::vector<fs::path> vmlinuxCandidates(const std::string& release, const VmlinuxSearch& s) {
    std::vector<fs::path> out;
    for (const auto& d : s.debuginfoDirs) {
        out.push_back(d / "vmlinux");
        out.push_back(d / ("vmlinux-" + release));
        out.push_back(d / release / "vmlinux");
        out.push_back(d / "boot" / ("vmlinux-" + release));
        out.push_back(d / "lib" / "modules" / release / "vmlinux");
    }
    for (const auto& d : s.labDirs)
        out.push_back(d / "kernels" / release / "vmlinux");
    out.push_back("/usr/lib/debug/boot/vmlinux-" + release);
    out.push_back("/usr/lib/debug/lib/modules/" + release + "/vmlinux");
    return out;
}

fs::path findVmlinux(const std::string& release, const std::string& buildId,
                     const VmlinuxSearch& s) {
    std::error_code ec;
    if (s.vmlinux) {
        if (!fs::is_regular_file(*s.vmlinux, ec))
            throw TargetError("--vmlinux " + s.vmlinux->string() + ": no such file");
        auto bid = elfBuildId(*s.vmlinux);
        if (!bid)
            throw TargetError("--vmlinux " + s.vmlinux->string() +
                              ": not an ELF file with a build ID");
        if (!buildId.empty() && *bid != buildId)
            throw TargetError("--vmlinux " + s.vmlinux->string() +
                              " does not match the dump: its build ID is " + *bid +
                              ", the kernel's is " + buildId + " (" + release +
                              "); pass the vmlinux of that build");
        return *s.vmlinux;
    }
    std::optional<fs::path> mismatch;
    for (const auto& c : vmlinuxCandidates(release, s)) {
        if (!fs::is_regular_file(c, ec))
            continue;
        auto bid = elfBuildId(c);
        if (buildId.empty() || (bid && *bid == buildId))
            return c;
        if (!mismatch)
            mismatch = c;
    }
    if (mismatch)
        throw TargetError("no vmlinux matches the dump's kernel " + release + " (build ID " +
                          buildId + "): " + mismatch->string() +
                          " is another build; pass the right one with --vmlinux");
    throw TargetError("no vmlinux with debug info for " + release + "; install linux-image-" +
                      release + "-dbg, or pass --vmlinux FILE or --debuginfo DIR");
}

void checkModules(const std::vector<fs::path>& modules) {
    std::error_code ec;
    for (const auto& m : modules) {
        if (!fs::is_regular_file(m, ec))
            throw TargetError("--module " + m.string() +
                              ": no such file; pass the .ko that is loaded in the kernel");
        File f(m);
        std::string head = f.read(0, 18);
        if (head.size() < 18 ||
            head.compare(0, 4,
                         "\x7f"
                         "ELF") != 0 ||
            load<uint16_t>(head, 16) != ET_REL)
            throw TargetError("--module " + m.string() + ": not a kernel module (.ko)");
    }
}

std::optional<std::string> kcoreProblem() {
    std::error_code ec;
    if (!fs::exists("/proc/kcore", ec))
        return "this kernel has no /proc/kcore (CONFIG_PROC_KCORE off, or hidden in this "
               "container); use --vmcore FILE or --lab NAME instead";
    if (::geteuid() != 0)
        return "reading /proc/kcore needs root (CAP_SYS_RAWIO); run waitscope dump --kcore with "
               "sudo";
    return std::nullopt;
}

} // namespace waitscope::targets
