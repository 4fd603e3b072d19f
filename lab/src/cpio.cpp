#include <cstdio>
#include <utility>

#include <waitscope/lab/cpio.hpp>

namespace waitscope::lab {

namespace {
constexpr uint32_t TypeDir = 0040000, TypeFile = 0100000, TypeLink = 0120000;

void pad4(std::string& s) {
    while (s.size() % 4)
        s.push_back('\0');
}
} // namespace

void CpioWriter::addEntry(std::string_view path, uint32_t mode, std::string_view data) {
    char header[111];
    // c_magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
    // rdevmajor, rdevminor, namesize, check: 13 eight-digit hex fields.
    std::snprintf(header, sizeof header,
                  "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", m_ino++, mode, 0u,
                  0u, 1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                  static_cast<unsigned>(path.size() + 1), 0u);
    m_out.append(header, 110);
    m_out.append(path);
    m_out.push_back('\0');
    pad4(m_out);
    m_out.append(data);
    pad4(m_out);
}

void CpioWriter::addDirectory(std::string_view path, uint32_t mode) {
    addEntry(path, TypeDir | mode, {});
}

void CpioWriter::addFile(std::string_view path, std::string_view data, uint32_t mode) {
    addEntry(path, TypeFile | mode, data);
}

void CpioWriter::addSymlink(std::string_view path, std::string_view target) {
    addEntry(path, TypeLink | 0777, target);
}

std::string CpioWriter::finish() {
    addEntry("TRAILER!!!", 0, {});
    // The kernel wants each concatenated archive to start 4-byte aligned;
    // pad the whole archive to 512 like cpio(1) does.
    while (m_out.size() % 512)
        m_out.push_back('\0');
    m_ino = 1;
    return std::exchange(m_out, {});
}

} // namespace waitscope::lab
