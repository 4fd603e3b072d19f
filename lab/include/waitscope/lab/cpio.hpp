// Writer for the "newc" cpio format the kernel unpacks as an initramfs.
// Archives may be concatenated: the kernel unpacks each in turn, so a run's
// program is appended to the lab's base archive without rebuilding it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace waitscope::lab {

class CpioWriter {
public:
    /// Add a directory (parents must have been added first, as in `cpio -o`).
    void addDirectory(std::string_view path, uint32_t mode = 0755);
    /// Add a regular file with `data` as its contents.
    void addFile(std::string_view path, std::string_view data, uint32_t mode = 0644);
    void addSymlink(std::string_view path, std::string_view target);
    /// Append the trailer and return the archive. The writer is empty afterwards.
    std::string finish();

private:
    void addEntry(std::string_view path, uint32_t mode, std::string_view data);
    std::string m_out;
    uint32_t m_ino = 1;
};

} // namespace waitscope::lab
