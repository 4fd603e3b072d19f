#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <waitscope/base/error.hpp>
#include <waitscope/lab/ksyms.hpp>

namespace waitscope::lab {

KernelSymbols KernelSymbols::load(const std::filesystem::path& systemMap) {
    std::ifstream in(systemMap);
    if (!in)
        throw base::Error("cannot read " + systemMap.string());
    KernelSymbols ks;
    std::string line;
    while (std::getline(in, line)) {
        unsigned long long addr = 0;
        char type = 0, name[512];
        if (std::sscanf(line.c_str(), "%llx %c %511s", &addr, &type, name) != 3)
            continue;
        ks.m_byAddr.push_back({addr, type, name});
    }
    if (ks.m_byAddr.size() < 100)
        throw base::Error(systemMap.string() +
                          " is not a real System.map (run tools/lab/fetch-kernels.sh)");
    std::stable_sort(ks.m_byAddr.begin(), ks.m_byAddr.end(),
                     [](const Sym& a, const Sym& b) { return a.addr < b.addr; });
    for (size_t i = 0; i < ks.m_byAddr.size(); ++i) {
        const Sym& s = ks.m_byAddr[i];
        bool text = s.type == 't' || s.type == 'T';
        auto it = ks.m_byName.find(s.name);
        if (it == ks.m_byName.end() || (text && !std::strchr("tT", ks.m_byAddr[it->second].type)))
            ks.m_byName[s.name] = i;
        if (s.name == "_stext")
            ks.m_stext = s.addr;
        if (s.name == "_etext")
            ks.m_etext = s.addr;
    }
    return ks;
}

std::optional<uint64_t> KernelSymbols::address(std::string_view name) const {
    auto it = m_byName.find(name);
    if (it == m_byName.end())
        return std::nullopt;
    return m_byAddr[it->second].addr + m_offset;
}

bool KernelSymbols::isText(uint64_t addr) const {
    return addr >= m_stext + m_offset && addr < m_etext + m_offset;
}

std::string KernelSymbols::symbolize(uint64_t addr) const {
    uint64_t a = addr - m_offset;
    auto it = std::upper_bound(m_byAddr.begin(), m_byAddr.end(), a,
                               [](uint64_t v, const Sym& s) { return v < s.addr; });
    if (it == m_byAddr.begin() || !isText(addr))
        return "";
    const Sym& s = *std::prev(it);
    uint64_t size = it == m_byAddr.end() ? 0 : it->addr - s.addr;
    char buf[64];
    std::snprintf(buf, sizeof buf, "+0x%llx/0x%llx", static_cast<unsigned long long>(a - s.addr),
                  static_cast<unsigned long long>(size));
    return s.name + buf;
}

std::map<std::string, std::string> scanVmcoreinfo(const uint8_t* ram, size_t size) {
    // The note is "VMCOREINFO\0" padded to 4 bytes, then the text.
    static const char Needle[] = "VMCOREINFO\0\0OSRELEASE=";
    constexpr size_t NeedleLen = sizeof Needle - 1;
    std::map<std::string, std::string> out;
    const void* hit = memmem(ram, size, Needle, NeedleLen);
    if (!hit)
        return out;
    const char* p = static_cast<const char*>(hit) + 12;
    const char* end = reinterpret_cast<const char*>(ram) + size;
    const char* stop = static_cast<const char*>(memchr(p, '\0', std::min<size_t>(end - p, 8192)));
    std::string text(p, stop ? stop : std::min(end, p + 8192));
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string kv = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (auto eq = kv.find('='); eq != std::string::npos)
            out[kv.substr(0, eq)] = kv.substr(eq + 1);
        if (nl == std::string::npos)
            break;
        pos = nl + 1;
    }
    return out;
}

} // namespace waitscope::lab
