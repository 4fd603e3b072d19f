#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <waitscope/base/fd.hpp>
#include <waitscope/base/signals.hpp>
#include <waitscope/base/socket.hpp>
#include <waitscope/lab/console.hpp>

namespace waitscope::lab {

namespace {
constexpr char EscapeKey = 0x1d; // Ctrl-]

class RawTerminal {
public:
    RawTerminal() {
        if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &m_saved) != 0)
            return;
        termios raw = m_saved;
        ::cfmakeraw(&raw);
        m_active = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (m_active)
            ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    termios m_saved{};
    bool m_active = false;
};

bool writeAll(int fd, const char* p, size_t n) {
    while (n) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}
} // namespace

int attachConsole(const std::filesystem::path& consoleSocket) {
    base::Fd sock = base::connectUnix(consoleSocket);
    if (!sock) {
        std::fprintf(stderr, "lab: cannot connect to %s: %s\n", consoleSocket.c_str(),
                     std::strerror(errno));
        return 1;
    }
    std::fprintf(stderr, "lab: connected to the VM console; Ctrl-] quits\r\n");
    RawTerminal raw;
    writeAll(sock.get(), "\n", 1);
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sock.get(), POLLIN, 0}};
    char buf[4096];
    while (!base::stopRequested()) {
        if (::poll(fds, 2, 500) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(sock.get(), buf, sizeof buf);
            if (n <= 0 || !writeAll(STDOUT_FILENO, buf, static_cast<size_t>(n)))
                break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0 || std::memchr(buf, EscapeKey, static_cast<size_t>(n)))
                break;
            if (!writeAll(sock.get(), buf, static_cast<size_t>(n)))
                break;
        }
    }
    std::fprintf(stderr, "\r\nlab: console detached\r\n");
    return 0;
}

} // namespace waitscope::lab
