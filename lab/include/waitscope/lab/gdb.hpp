// A GDB remote serial protocol client for QEMU's gdbstub: hardware
// breakpoints at kernel addresses, continue, interrupt, registers and memory
// of the vCPU that stopped. All-stop mode: when one vCPU stops, the VM stops.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <waitscope/base/fd.hpp>

namespace waitscope::lab {

/// x86-64 general registers as gdb's `g` packet orders them (the first 18).
struct X86Regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip;
    uint32_t eflags;
};

/// Why the VM stopped.
struct StopReply {
    int signal = 0;  ///< 5 (SIGTRAP) for a breakpoint, 2 (SIGINT) for a pause
    int thread = 0;  ///< gdbstub thread id: vCPU index + 1
    std::string raw; ///< the packet
};

class GdbClient {
public:
    /// Connect to a gdbstub socket (retrying until `timeout`). Throws base::Error.
    static GdbClient connect(const std::filesystem::path& socket,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Insert / remove a hardware breakpoint (Z1/z1). Throws base::Error.
    void setBreakpoint(uint64_t addr);
    void clearBreakpoint(uint64_t addr);
    /// Resume every vCPU (does not wait).
    void resume();
    /// Execute one instruction on gdbstub thread `thread` alone (vCont;s) and
    /// wait for it to stop again. Throws base::Error when it does not.
    StopReply step(int thread, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Wait for the next stop; nullopt on timeout. Throws when the stub goes away.
    std::optional<StopReply> waitStop(std::chrono::milliseconds timeout);
    /// Stop the VM (Ctrl-C) and wait for the stop reply.
    StopReply interrupt(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Registers of gdbstub thread `thread` (a stopped VM).
    X86Regs registers(int thread);
    /// Read guest virtual memory through the stopped vCPU `thread`'s page tables.
    std::string readMemory(int thread, uint64_t addr, size_t len);
    /// Remove every breakpoint we set, resume, and detach ("D").
    void detach();

    int fd() const { return m_fd.get(); }

private:
    explicit GdbClient(base::Fd fd) : m_fd(std::move(fd)) {}
    void send(const std::string& payload);
    /// Next packet payload (acknowledging it); nullopt on timeout.
    std::optional<std::string> receive(std::chrono::milliseconds timeout);
    std::string command(const std::string& payload,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
    void selectThread(int thread);

    base::Fd m_fd;
    std::string m_buffer;
    int m_thread = 0;
    std::vector<uint64_t> m_breakpoints;
};

} // namespace waitscope::lab
