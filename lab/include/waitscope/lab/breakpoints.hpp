// Kernel breakpoints in a lab VM: hardware breakpoints through QEMU's
// gdbstub at symbols of the running kernel (KASLR resolved from the guest's
// VMCOREINFO), and what the CPU looked like when one hit.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include <waitscope/lab/gdb.hpp>
#include <waitscope/lab/ksyms.hpp>

namespace waitscope::lab {

class Vm;

struct BreakOptions {
    std::vector<std::string> symbols; ///< kernel functions to stop at
    unsigned count = 1;               ///< hits to stop for; then the breakpoints go
    /// Step scripts: breakpoints stay when the count is reached (add(), remove(),
    /// allow() change them while the VM is stopped); no symbol is needed at first.
    bool scripted = false;
};

/// One stop at a breakpoint: the vCPU's registers, the function's arguments
/// (x86-64 SysV: rdi, rsi, rdx, rcx, r8, r9) and the kernel text addresses
/// found on its stack (a scan: the innermost entries are the real callers,
/// deeper ones may be stale).
struct Hit {
    unsigned number = 0; ///< 1, 2, ...
    std::string symbol;
    int cpu = 0;
    X86Regs regs{};
    std::vector<std::pair<uint64_t, std::string>> stack;
    /// When the gdbstub's stop reply was read (the VM has been stopped since).
    std::chrono::steady_clock::time_point stoppedAt;
    nlohmann::json toJson() const;
};

class Breakpoints {
public:
    /// Connect to the VM's gdbstub (QEMU stops the VM while we set up), resolve
    /// and set the breakpoints, and let the VM run. Throws base::Error for an
    /// unknown symbol, naming it.
    Breakpoints(Vm& vm, const BreakOptions& options);
    ~Breakpoints();

    /// Wait up to `timeout` for a breakpoint hit. When one comes the VM stays
    /// stopped until resume(). Other stops (a QMP pause) are skipped.
    std::optional<Hit> poll(std::chrono::milliseconds timeout);
    /// Let the VM go on after a hit; after the last counted hit the
    /// breakpoints are removed first. A breakpoint still set is stepped over
    /// (removed, one instruction single-stepped, set again), else the vCPU
    /// would stop at it again at once.
    void resume();
    /// Let the VM go on after a hit that does not count (a condition did not
    /// hold): no snapshot, and it is not one of the `count` hits.
    void skip();
    /// Script mode, VM stopped (at a hit or after stop()): set / remove a breakpoint.
    /// Throws base::Error for an unknown symbol.
    void add(const std::string& symbol);
    void remove(const std::string& symbol);
    /// Stop for `n` more counted hits.
    void allow(unsigned n) { m_options.count = m_hits + n; }
    /// Stop the VM through the gdbstub (to change breakpoints or capture at any time).
    void stop();
    unsigned hits() const { return m_hits; }
    unsigned skipped() const { return m_skipped; }
    bool done() const { return m_hits >= m_options.count; }
    uint64_t kaslrOffset() const { return m_syms.offset(); }

private:
    BreakOptions m_options;
    KernelSymbols m_syms;
    std::unique_ptr<GdbClient> m_gdb;
    std::vector<std::pair<uint64_t, std::string>> m_set; ///< address, symbol
    unsigned m_hits = 0;
    unsigned m_skipped = 0;
    bool m_armed = false;
    /// The stop we are at (thread, breakpoint address), to step over it on resume.
    int m_stoppedThread = 0;
    std::optional<uint64_t> m_stoppedAt;
};

} // namespace waitscope::lab
