// GDB remote serial protocol: "$payload#cs" packets, '+' acks, hex data.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include <waitscope/base/error.hpp>
#include <waitscope/base/socket.hpp>
#include <waitscope/lab/gdb.hpp>

using waitscope::base::Error;
using Clock = std::chrono::steady_clock;

namespace waitscope::lab {

namespace {

std::string hex64(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string fromHex(std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
        int hi = hexDigit(h[i]), lo = hexDigit(h[i + 1]);
        if (hi < 0 || lo < 0)
            throw Error("gdbstub: bad hex in reply");
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

StopReply parseStop(const std::string& p) {
    StopReply r;
    r.raw = p;
    if (p.size() >= 3 && (p[0] == 'T' || p[0] == 'S'))
        r.signal = hexDigit(p[1]) << 4 | hexDigit(p[2]);
    if (auto at = p.find("thread:"); at != std::string::npos)
        r.thread = static_cast<int>(std::strtol(p.c_str() + at + 7, nullptr, 16));
    return r;
}

} // namespace

GdbClient GdbClient::connect(const std::filesystem::path& socket,
                             std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    base::Fd fd;
    while (!(fd = base::connectUnix(socket))) {
        if (Clock::now() >= deadline)
            throw Error("cannot connect to the gdbstub at " + socket.string());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    GdbClient c(std::move(fd));
    c.command("qSupported:multiprocess-");
    return c;
}

void GdbClient::send(const std::string& payload) {
    unsigned sum = 0;
    for (unsigned char ch : payload)
        sum += ch;
    char cs[4];
    std::snprintf(cs, sizeof cs, "#%02x", sum & 0xff);
    std::string pkt = "$" + payload + cs;
    size_t done = 0;
    while (done < pkt.size()) {
        ssize_t n = ::send(m_fd.get(), pkt.data() + done, pkt.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw base::systemError("gdbstub send");
        done += static_cast<size_t>(n);
    }
}

std::optional<std::string> GdbClient::receive(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        // Drop acks and noise before a packet.
        size_t start = m_buffer.find('$');
        if (start != std::string::npos) {
            size_t hash = m_buffer.find('#', start);
            if (hash != std::string::npos && hash + 2 < m_buffer.size()) {
                std::string payload = m_buffer.substr(start + 1, hash - start - 1);
                m_buffer.erase(0, hash + 3);
                (void)!::send(m_fd.get(), "+", 1, MSG_NOSIGNAL);
                return payload;
            }
        } else {
            m_buffer.clear();
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{m_fd.get(), POLLIN, 0};
        // A zero timeout still looks at the socket once.
        int r = ::poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return std::nullopt;
        char buf[4096];
        ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Error("the gdbstub closed the connection (the VM went away?)");
        m_buffer.append(buf, static_cast<size_t>(n));
    }
}

std::string GdbClient::command(const std::string& payload, std::chrono::milliseconds timeout) {
    send(payload);
    auto reply = receive(timeout);
    if (!reply)
        throw Error("gdbstub: no reply to '" + payload.substr(0, 16) + "'");
    if (reply->size() == 3 && (*reply)[0] == 'E')
        throw Error("gdbstub: '" + payload.substr(0, 24) + "' failed (" + *reply + ")");
    return *reply;
}

void GdbClient::setBreakpoint(uint64_t addr) {
    if (command("Z1," + hex64(addr) + ",1") != "OK")
        throw Error("gdbstub: cannot set a hardware breakpoint at 0x" + hex64(addr));
    m_breakpoints.push_back(addr);
}

void GdbClient::clearBreakpoint(uint64_t addr) {
    command("z1," + hex64(addr) + ",1");
    std::erase(m_breakpoints, addr);
}

void GdbClient::resume() {
    send("c");
}

StopReply GdbClient::step(int thread, std::chrono::milliseconds timeout) {
    send("vCont;s:" + hex64(static_cast<uint64_t>(thread)));
    auto r = waitStop(timeout);
    if (!r)
        throw Error("gdbstub: no stop after a single step");
    return *r;
}

std::optional<StopReply> GdbClient::waitStop(std::chrono::milliseconds timeout) {
    auto pkt = receive(timeout);
    if (!pkt)
        return std::nullopt;
    StopReply r = parseStop(*pkt);
    m_thread = 0; // a stop resets gdbstub's selected thread to the stopping one
    return r;
}

StopReply GdbClient::interrupt(std::chrono::milliseconds timeout) {
    (void)!::send(m_fd.get(), "\x03", 1, MSG_NOSIGNAL);
    auto r = waitStop(timeout);
    if (!r)
        throw Error("gdbstub: the VM did not stop on interrupt");
    return *r;
}

void GdbClient::selectThread(int thread) {
    if (thread == m_thread || thread <= 0)
        return;
    command("Hg" + hex64(static_cast<uint64_t>(thread)));
    m_thread = thread;
}

X86Regs GdbClient::registers(int thread) {
    selectThread(thread);
    std::string raw = fromHex(command("g"));
    X86Regs r{};
    constexpr size_t Need = 17 * 8 + 4;
    if (raw.size() < Need)
        throw Error("gdbstub: short register reply");
    std::memcpy(&r, raw.data(), 17 * 8);
    std::memcpy(&r.eflags, raw.data() + 17 * 8, 4);
    return r;
}

std::string GdbClient::readMemory(int thread, uint64_t addr, size_t len) {
    selectThread(thread);
    std::string out;
    while (out.size() < len) {
        size_t chunk = std::min<size_t>(len - out.size(), 2048);
        out += fromHex(command("m" + hex64(addr + out.size()) + "," + hex64(chunk)));
    }
    return out;
}

void GdbClient::detach() {
    for (uint64_t a : std::vector<uint64_t>(m_breakpoints))
        clearBreakpoint(a);
    try {
        command("D", std::chrono::seconds(2));
    } catch (const Error&) {
        // QEMU may close the connection as it detaches.
    }
}

} // namespace waitscope::lab
