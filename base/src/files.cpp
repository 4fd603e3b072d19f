#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <waitscope/base/error.hpp>
#include <waitscope/base/fd.hpp>
#include <waitscope/base/files.hpp>

namespace fs = std::filesystem;

namespace waitscope::base {

std::string readFile(const fs::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw systemError("cannot open " + path.string());
    std::string out;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw systemError("cannot read " + path.string());
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

void writeFileAtomic(const fs::path& path, std::string_view data) {
    fs::path tmp = path;
    tmp += ".tmp";
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd)
            throw systemError("cannot create " + tmp.string());
        size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                throw systemError("cannot write " + tmp.string());
            done += static_cast<size_t>(n);
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        throw systemError("cannot rename " + tmp.string());
}

fs::path executableDir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : exe.parent_path();
}

fs::path makeTempDir(const fs::path& parent, const std::string& prefix) {
    fs::create_directories(parent);
    std::string templ = (parent / (prefix + "XXXXXX")).string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        throw systemError("cannot create a directory in " + parent.string());
    return fs::path(buf.data());
}

std::string shellQuote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

} // namespace waitscope::base
