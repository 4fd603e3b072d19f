#include <endian.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <vector>

#include <waitscope/base/error.hpp>
#include <waitscope/base/fd.hpp>
#include <waitscope/lab/vmcore.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using waitscope::base::Error;

namespace waitscope::lab {

namespace {

// makedumpfile's flattened format: a 4096-byte header starting with
// "makedumpfile", then records {be64 offset, be64 size, data} until -1/-1.
constexpr size_t FlatHeaderSize = 4096;
constexpr const char FlatSignature[] = "makedumpfile";

// disk_dump_header: "KDUMP   ", int header_version, struct new_utsname (6 x 65).
constexpr const char KdumpSignature[] = "KDUMP   ";
constexpr size_t UtsOffset = 12, UtsField = 65;
enum UtsIndex { UtsSysname = 0, UtsRelease = 2, UtsVersion = 3 };

void readExact(int fd, void* buf, size_t n, const fs::path& path) {
    auto* p = static_cast<char*>(buf);
    while (n) {
        ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            throw Error(path.string() + ": truncated flattened dump");
        p += r;
        n -= static_cast<size_t>(r);
    }
}

void pwriteExact(int fd, const char* buf, size_t n, off_t off, const fs::path& path) {
    while (n) {
        ssize_t r = ::pwrite(fd, buf, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            throw base::systemError("cannot write " + path.string());
        buf += r;
        off += r;
        n -= static_cast<size_t>(r);
    }
}

void fillUts(int fd, UtsIndex index, const std::string& value, const fs::path& path) {
    char field[UtsField] = {};
    off_t off = static_cast<off_t>(UtsOffset + index * UtsField);
    if (::pread(fd, field, sizeof field, off) != static_cast<ssize_t>(sizeof field))
        throw Error(path.string() + ": short kdump header");
    if (field[0] != '\0')
        return;
    std::strncpy(field, value.c_str(), UtsField - 1);
    pwriteExact(fd, field, sizeof field, off, path);
}

} // namespace

DumpFormat parseDumpFormat(const std::string& name) {
    if (name == "elf")
        return DumpFormat::Elf;
    if (name == "elf-phys")
        return DumpFormat::ElfPhys;
    if (name == "kdump")
        return DumpFormat::Kdump;
    throw Error("unknown dump format '" + name + "' (elf, elf-phys, kdump)");
}

void fixQemuKdump(const fs::path& in, const fs::path& out, const std::string& release) {
    base::Fd src(::open(in.c_str(), O_RDONLY | O_CLOEXEC));
    if (!src)
        throw base::systemError("cannot open " + in.string());
    base::Fd dst(::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!dst)
        throw base::systemError("cannot create " + out.string());

    std::vector<char> header(FlatHeaderSize);
    readExact(src.get(), header.data(), header.size(), in);
    if (std::memcmp(header.data(), FlatSignature, sizeof FlatSignature - 1) == 0) {
        std::vector<char> buf;
        for (;;) {
            int64_t rec[2];
            readExact(src.get(), rec, sizeof rec, in);
            auto offset = static_cast<int64_t>(be64toh(static_cast<uint64_t>(rec[0])));
            auto size = static_cast<int64_t>(be64toh(static_cast<uint64_t>(rec[1])));
            if (offset == -1 && size == -1)
                break;
            if (offset < 0 || size < 0 || size > (int64_t(1) << 30))
                throw Error(in.string() + ": corrupt flattened dump record");
            buf.resize(static_cast<size_t>(size));
            readExact(src.get(), buf.data(), buf.size(), in);
            pwriteExact(dst.get(), buf.data(), buf.size(), offset, out);
        }
    } else {
        // Already plain: copy it.
        pwriteExact(dst.get(), header.data(), header.size(), 0, out);
        std::vector<char> buf(1 << 20);
        off_t off = static_cast<off_t>(header.size());
        for (ssize_t n; (n = ::read(src.get(), buf.data(), buf.size())) > 0; off += n)
            pwriteExact(dst.get(), buf.data(), static_cast<size_t>(n), off, out);
    }

    char sig[sizeof KdumpSignature - 1];
    if (::pread(dst.get(), sig, sizeof sig, 0) != static_cast<ssize_t>(sizeof sig) ||
        std::memcmp(sig, KdumpSignature, sizeof sig) != 0)
        throw Error(in.string() + ": not a kdump-compressed dump");
    fillUts(dst.get(), UtsSysname, "Linux", out);
    fillUts(dst.get(), UtsRelease, release.empty() ? "unknown" : release, out);
    fillUts(dst.get(), UtsVersion, "#1", out);
}

DumpStats dumpGuestMemory(QmpClient& qmp, const fs::path& out, DumpFormat format,
                          const std::string& release) {
    auto t0 = std::chrono::steady_clock::now();
    fs::path target = fs::absolute(out);
    fs::path raw = format == DumpFormat::Kdump ? fs::path(target.string() + ".flat") : target;
    // QEMU creates dumps 0400 and will not truncate an existing one.
    fs::remove(raw);
    json args = {{"paging", format == DumpFormat::Elf}, {"protocol", "file:" + raw.string()}};
    if (format == DumpFormat::Kdump)
        args["format"] = "kdump-zlib";
    qmp.execute("dump-guest-memory", args, std::chrono::minutes(10));
    if (format == DumpFormat::Kdump) {
        fs::remove(target);
        fixQemuKdump(raw, target, release);
        fs::remove(raw);
    }
    ::chmod(target.c_str(), 0644);
    DumpStats st;
    st.bytes = fs::file_size(target);
    st.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return st;
}

} // namespace waitscope::lab
