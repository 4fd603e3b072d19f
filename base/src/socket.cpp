#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <waitscope/base/error.hpp>
#include <waitscope/base/socket.hpp>

namespace waitscope::base {

Fd connectUnix(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.native().size() >= sizeof addr.sun_path)
        throw Error("socket path too long: " + path.string());
    std::strcpy(addr.sun_path, path.c_str());
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        throw systemError("socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Fd();
    return fd;
}

} // namespace waitscope::base
