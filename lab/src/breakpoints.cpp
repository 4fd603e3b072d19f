#include <cstdio>
#include <cstring>

#include <waitscope/base/error.hpp>
#include <waitscope/base/mapped_file.hpp>
#include <waitscope/lab/breakpoints.hpp>
#include <waitscope/lab/vm.hpp>

using nlohmann::json;
using waitscope::base::Error;

namespace waitscope::lab {

namespace {

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

constexpr uint64_t ThreadSize = 16384; // x86-64 kernel stacks (THREAD_SIZE, KASAN off)
constexpr size_t MaxStackEntries = 32;

} // namespace

json Hit::toJson() const {
    json regsJson = {{"rip", hex(regs.rip)}, {"rsp", hex(regs.rsp)}, {"rbp", hex(regs.rbp)},
                     {"rax", hex(regs.rax)}, {"rbx", hex(regs.rbx)}, {"rcx", hex(regs.rcx)},
                     {"rdx", hex(regs.rdx)}, {"rsi", hex(regs.rsi)}, {"rdi", hex(regs.rdi)},
                     {"r8", hex(regs.r8)},   {"r9", hex(regs.r9)},   {"r10", hex(regs.r10)},
                     {"r11", hex(regs.r11)}, {"r12", hex(regs.r12)}, {"r13", hex(regs.r13)},
                     {"r14", hex(regs.r14)}, {"r15", hex(regs.r15)}, {"eflags", hex(regs.eflags)}};
    json stackJson = json::array();
    for (const auto& [addr, sym] : stack)
        stackJson.push_back({{"addr", hex(addr)}, {"symbol", sym}});
    return {
        {"number", number},
        {"symbol", symbol},
        {"cpu", cpu},
        {"pc", hex(regs.rip)},
        {"args",
         {hex(regs.rdi), hex(regs.rsi), hex(regs.rdx), hex(regs.rcx), hex(regs.r8), hex(regs.r9)}},
        {"regs", regsJson},
        {"stack_scan", stackJson}};
}

Breakpoints::Breakpoints(Vm& vm, const BreakOptions& options)
    : m_options(options),
      m_syms(KernelSymbols::load(vm.info().vmlinux.parent_path() / "System.map")) {
    if (options.symbols.empty() && !options.scripted)
        throw Error("no breakpoint symbols");
    {
        base::MappedFile ram(vm.info().ramPath);
        auto info = scanVmcoreinfo(ram.data(), ram.size());
        if (info.empty())
            throw Error("no VMCOREINFO in guest RAM: cannot tell the KASLR offset");
        if (info["OSRELEASE"] != vm.info().release)
            throw Error("guest runs " + info["OSRELEASE"] + ", symbols are for " +
                        vm.info().release);
        m_syms.setOffset(std::strtoull(info["KERNELOFFSET"].c_str(), nullptr, 16));
    }
    std::vector<uint64_t> addrs;
    for (const auto& name : options.symbols) {
        auto addr = m_syms.address(name);
        if (!addr)
            throw Error("no kernel symbol '" + name + "' in " + vm.info().release);
        addrs.push_back(*addr);
    }
    m_gdb = std::make_unique<GdbClient>(GdbClient::connect(vm.info().stateDir / "gdb.sock"));
    // Connecting stopped the VM; make sure, then arm and go.
    m_gdb->interrupt();
    for (size_t i = 0; i < addrs.size(); ++i) {
        m_gdb->setBreakpoint(addrs[i]);
        m_set.emplace_back(addrs[i], options.symbols[i]);
    }
    m_armed = true;
    m_gdb->resume();
}

Breakpoints::~Breakpoints() {
    try {
        if (m_gdb) {
            m_gdb->interrupt(std::chrono::seconds(2));
            m_gdb->detach();
        }
    } catch (const Error&) {
        // The VM is going away.
    }
}

std::optional<Hit> Breakpoints::poll(std::chrono::milliseconds timeout) {
    auto stop = m_gdb->waitStop(timeout);
    if (!stop)
        return std::nullopt;
    if (stop->signal != 5) {
        // A stop we did not ask for here (a QMP pause at a mark): the VM goes
        // on when QMP resumes it; keep waiting for ours.
        return std::nullopt;
    }
    Hit hit;
    hit.stoppedAt = std::chrono::steady_clock::now();
    hit.number = ++m_hits;
    hit.cpu = stop->thread > 0 ? stop->thread - 1 : 0;
    hit.regs = m_gdb->registers(stop->thread);
    m_stoppedThread = stop->thread;
    m_stoppedAt.reset();
    for (const auto& [addr, name] : m_set)
        if (addr == hit.regs.rip) {
            hit.symbol = name;
            m_stoppedAt = addr;
        }
    if (hit.symbol.empty())
        hit.symbol = m_syms.symbolize(hit.regs.rip);
    uint64_t top = (hit.regs.rsp | (ThreadSize - 1)) + 1;
    size_t len = static_cast<size_t>(std::min<uint64_t>(top - hit.regs.rsp, ThreadSize));
    try {
        std::string stack = m_gdb->readMemory(stop->thread, hit.regs.rsp, len);
        for (size_t off = 0; off + 8 <= stack.size() && hit.stack.size() < MaxStackEntries;
             off += 8) {
            uint64_t v;
            std::memcpy(&v, stack.data() + off, 8);
            if (m_syms.isText(v))
                hit.stack.emplace_back(v, m_syms.symbolize(v));
        }
    } catch (const Error&) {
        // An unreadable stack leaves the scan empty; the registers stand.
    }
    return hit;
}

void Breakpoints::add(const std::string& symbol) {
    for (const auto& [addr, name] : m_set)
        if (name == symbol)
            return;
    auto addr = m_syms.address(symbol);
    if (!addr)
        throw Error("no kernel symbol '" + symbol + "'");
    m_gdb->setBreakpoint(*addr);
    m_set.emplace_back(*addr, symbol);
}

void Breakpoints::remove(const std::string& symbol) {
    for (auto it = m_set.begin(); it != m_set.end(); ++it)
        if (it->second == symbol) {
            m_gdb->clearBreakpoint(it->first);
            m_set.erase(it);
            return;
        }
}

void Breakpoints::stop() {
    // A QMP pause (a mark) left its stop reply queued: drop it, or the
    // interrupt would take it for its own while the VM runs.
    while (m_gdb->waitStop(std::chrono::milliseconds(0))) {
    }
    m_gdb->interrupt();
    m_stoppedAt.reset();
}

void Breakpoints::skip() {
    --m_hits;
    ++m_skipped;
    resume();
}

void Breakpoints::resume() {
    if (m_armed && done() && !m_options.scripted) {
        for (const auto& [addr, name] : m_set)
            m_gdb->clearBreakpoint(addr);
        m_armed = false;
    }
    bool stillSet = false;
    for (const auto& [addr, name] : m_set)
        stillSet = stillSet || (m_stoppedAt && addr == *m_stoppedAt);
    if (m_armed && m_stoppedAt && stillSet) {
        // QEMU does not step over a breakpoint itself: continuing at its
        // address would stop there again without executing anything.
        m_gdb->clearBreakpoint(*m_stoppedAt);
        m_gdb->step(m_stoppedThread);
        m_gdb->setBreakpoint(*m_stoppedAt);
    }
    m_stoppedAt.reset();
    m_gdb->resume();
}

} // namespace waitscope::lab
