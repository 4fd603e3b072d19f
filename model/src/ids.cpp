// ObjectId text forms, the kind registry (fixed schema types + types seen at run time).
#include <array>
#include <charconv>
#include <unordered_map>

#include <waitscope/model/ids.hpp>

#include "name_table.hpp"

namespace waitscope::model {

namespace {

constexpr std::array<std::string_view, FixedKindCount> FixedKindNames = {
    "",
    "task",
    "files",
    "file",
    "eventpoll",
    "epitem",
    "wait_queue_head",
    "wait_entry",
    "pipe",
    "eventfd",
    "socket",
    "timerfd",
    "vpoll",
    "simrupt",
    "workqueue",
    "pool_workqueue",
    "worker_pool",
    "worker",
    "work",
    "kfifo",
    "circ_buf",
    "vpoll_ring",
};

/// The schema's types (fixed kinds) and the type names this build does not know, which get
/// kinds from FirstDynamicKind on; names are never freed.
class KindRegistry {
public:
    KindRegistry() {
        for (std::uint16_t i = 1; i < FixedKindCount; ++i)
            m_fixed.emplace(FixedKindNames[i], static_cast<Kind>(i));
    }
    std::optional<Kind> find(std::string_view name) const {
        auto it = m_fixed.find(name);
        return it != m_fixed.end() ? it->second : m_dynamic.find(name);
    }
    Kind intern(std::string_view name) {
        auto it = m_fixed.find(name);
        return it != m_fixed.end() ? it->second : m_dynamic.intern(name);
    }
    std::string_view name(Kind kind) const {
        auto v = static_cast<std::uint16_t>(kind);
        return v < FixedKindCount ? FixedKindNames[v] : m_dynamic.name(kind);
    }

private:
    std::unordered_map<std::string_view, Kind> m_fixed; ///< written once, before any use
    detail::NameTable<Kind> m_dynamic{static_cast<std::uint16_t>(Kind::FirstDynamicKind)};
};

KindRegistry& registry() {
    static KindRegistry r;
    return r;
}

bool isTypeChar(char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
}

/// Writes lower-case hex without leading zeros into `buf` (>= 16 bytes); returns length.
std::size_t formatHex(std::uint64_t v, char* buf) {
    auto [end, ec] = std::to_chars(buf, buf + 16, v, 16);
    (void)ec;
    return static_cast<std::size_t>(end - buf);
}

} // namespace

std::string_view kindName(Kind kind) {
    return registry().name(kind);
}
Kind kindFromName(std::string_view name) {
    return name.empty() ? Kind::Unknown : registry().intern(name);
}
std::optional<Kind> findKind(std::string_view name) {
    return registry().find(name);
}

std::string hexString(std::uint64_t value) {
    char buf[18] = {'0', 'x'};
    std::size_t n = formatHex(value, buf + 2);
    return std::string(buf, n + 2);
}

std::string toString(ObjectId id) {
    std::string out(kindName(id.kind));
    out += ':';
    out += hexString(id.kaddr);
    return out;
}

std::optional<std::uint64_t> parseCanonicalHex(std::string_view text) {
    if (text.size() < 3 || text.size() > 18 || text[0] != '0' || text[1] != 'x')
        return std::nullopt;
    if (text.size() > 3 && text[2] == '0')
        return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 2; i < text.size(); ++i) {
        char c = text[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else
            return std::nullopt;
        v = (v << 4) | d;
    }
    return v;
}

std::optional<std::uint64_t> parseAddress(std::string_view text) {
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text.remove_prefix(2);
    while (text.size() > 1 && text[0] == '0')
        text.remove_prefix(1);
    if (text.empty() || text.size() > 16)
        return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

std::optional<ObjectId> parseObjectId(std::string_view text) {
    std::size_t colon = text.find(':');
    if (colon == 0 || colon == std::string_view::npos)
        return std::nullopt;
    std::string_view type = text.substr(0, colon);
    for (char c : type)
        if (!isTypeChar(c))
            return std::nullopt;
    auto addr = parseCanonicalHex(text.substr(colon + 1));
    if (!addr)
        return std::nullopt;
    return ObjectId{kindFromName(type), *addr};
}

int compareIdText(ObjectId a, ObjectId b) {
    if (a.kind != b.kind) {
        std::string_view na = kindName(a.kind), nb = kindName(b.kind);
        // Compare "na:" with "nb:" byte-wise.
        std::size_t n = std::min(na.size(), nb.size());
        for (std::size_t i = 0; i < n; ++i)
            if (na[i] != nb[i])
                return static_cast<unsigned char>(na[i]) < static_cast<unsigned char>(nb[i]) ? -1
                                                                                             : 1;
        if (na.size() == nb.size())
            return 0; // unreachable for distinct kinds
        unsigned char ca = na.size() > n ? static_cast<unsigned char>(na[n]) : ':';
        unsigned char cb = nb.size() > n ? static_cast<unsigned char>(nb[n]) : ':';
        return ca < cb ? -1 : 1;
    }
    if (a.kaddr == b.kaddr)
        return 0;
    char ba[16], bb[16];
    std::size_t la = formatHex(a.kaddr, ba), lb = formatHex(b.kaddr, bb);
    std::string_view sa(ba, la), sb(bb, lb);
    return sa < sb ? -1 : 1;
}

std::uint64_t hashId(ObjectId id) {
    std::uint64_t z = id.kaddr ^ (static_cast<std::uint64_t>(id.kind) * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace waitscope::model
