// A file mapped read-only (e.g. a lab VM's guest RAM, shared with QEMU while
// the guest runs), or a view over bytes someone else owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace waitscope::base {

class MappedFile {
public:
    /// Map `path` shared and read-only; throws Error.
    explicit MappedFile(const std::filesystem::path& path);
    /// A view over memory owned elsewhere (not unmapped).
    MappedFile(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
    bool m_mapped = false;
};

} // namespace waitscope::base
