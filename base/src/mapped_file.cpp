#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <waitscope/base/error.hpp>
#include <waitscope/base/fd.hpp>
#include <waitscope/base/mapped_file.hpp>

namespace waitscope::base {

MappedFile::MappedFile(const std::filesystem::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw systemError("cannot open " + path.string());
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw systemError("cannot stat " + path.string());
    m_size = static_cast<size_t>(st.st_size);
    if (m_size == 0)
        throw Error(path.string() + " is empty");
    void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        throw systemError("cannot map " + path.string());
    m_data = static_cast<const uint8_t*>(p);
    m_mapped = true;
}

MappedFile::~MappedFile() {
    if (m_mapped)
        ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

} // namespace waitscope::base
