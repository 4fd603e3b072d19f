// Import of tracefs's `trace` text (and `trace-cmd report`, which prints the
// same line format): vpoll's trace events, sched_wakeup/sched_switch, and an
// ep_poll_callback kprobe.
#include <charconv>
#include <cstring>
#include <map>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/timeline/io.hpp>
#include <waitscope/timeline/snapshot_ring.hpp>

namespace waitscope::timeline {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool parseUnsigned(std::string_view s, uint64_t& out) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

/// "123.456789" -> ns (any number of decimals up to 9).
bool parseTimestamp(std::string_view s, uint64_t& ns) {
    size_t dot = s.find('.');
    uint64_t sec = 0, frac = 0;
    if (dot == std::string_view::npos || !parseUnsigned(s.substr(0, dot), sec))
        return false;
    std::string_view f = s.substr(dot + 1);
    if (f.empty() || f.size() > 9 || !parseUnsigned(f, frac))
        return false;
    for (size_t i = f.size(); i < 9; ++i)
        frac *= 10;
    ns = sec * 1000000000ull + frac;
    return true;
}

/// key=value fields of an event's payload; tokens without '=' are ignored.
std::map<std::string_view, std::string_view> fields(std::string_view s) {
    std::map<std::string_view, std::string_view> out;
    while (!s.empty()) {
        s = trim(s);
        size_t end = s.find(' ');
        std::string_view tok = s.substr(0, end);
        if (size_t eq = tok.find('='); eq != std::string_view::npos)
            out[tok.substr(0, eq)] = tok.substr(eq + 1);
        if (end == std::string_view::npos)
            break;
        s.remove_prefix(end + 1);
    }
    return out;
}

uint32_t field32(const std::map<std::string_view, std::string_view>& f, std::string_view key,
                 bool& ok) {
    uint64_t v = 0;
    auto it = f.find(key);
    if (it == f.end() || !parseUnsigned(it->second, v)) {
        ok = false;
        return 0;
    }
    return static_cast<uint32_t>(v);
}

struct Line {
    std::string_view comm;
    int32_t tid = 0;
    int32_t tgid = 0;
    uint16_t cpu = 0;
    uint64_t ts = 0;
    std::string_view event;
    std::string_view payload;
};

/// "  comm-123  (  120) [001] d..1.  45.678901: name: payload"; false when
/// the line is not an event line.
bool parseLine(std::string_view s, Line& l) {
    size_t lb = s.find('[');
    size_t rb = s.find(']', lb == std::string_view::npos ? 0 : lb);
    if (lb == std::string_view::npos || rb == std::string_view::npos)
        return false;
    uint64_t v = 0;
    if (!parseUnsigned(s.substr(lb + 1, rb - lb - 1), v))
        return false;
    l.cpu = static_cast<uint16_t>(v);
    std::string_view who = trim(s.substr(0, lb));
    if (!who.empty() && who.back() == ')') { // "(tgid)" column (option record-tgid)
        size_t open = who.rfind('(');
        if (open == std::string_view::npos)
            return false;
        std::string_view t = trim(who.substr(open + 1, who.size() - open - 2));
        l.tgid = parseUnsigned(t, v) ? static_cast<int32_t>(v) : 0;
        who = trim(who.substr(0, open));
    }
    size_t dash = who.rfind('-');
    if (dash == std::string_view::npos || !parseUnsigned(who.substr(dash + 1), v))
        return false;
    l.comm = who.substr(0, dash);
    l.tid = static_cast<int32_t>(v);
    // After the CPU: optional latency flags, then "TIMESTAMP: event: payload".
    std::string_view rest = s.substr(rb + 1);
    for (;;) {
        rest = trim(rest);
        size_t sp = rest.find(' ');
        if (sp == std::string_view::npos)
            return false;
        std::string_view tok = rest.substr(0, sp);
        rest.remove_prefix(sp + 1);
        if (tok.size() > 1 && tok.back() == ':' &&
            parseTimestamp(tok.substr(0, tok.size() - 1), l.ts))
            break;
    }
    rest = trim(rest);
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos)
        return false;
    l.event = rest.substr(0, colon);
    l.payload = rest.substr(colon + 1);
    return true;
}

} // namespace

TextImport importTraceText(std::string_view text, EventStore& store) {
    TextImport r;
    uint32_t order = static_cast<uint32_t>(store.size());
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view s = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (trim(s).empty() || trim(s).front() == '#')
            continue;
        Line l;
        if (!parseLine(s, l)) {
            ++r.bad;
            continue;
        }
        Kind kind = kindFromName(l.event);
        if (kind == Kind::Unknown || kind == Kind::Mark) {
            ++r.skipped;
            continue;
        }
        auto f = fields(l.payload);
        bool ok = true;
        Event e;
        e.tsNs = l.ts;
        e.cpu = l.cpu;
        e.pid = l.tid;
        e.kind = kind;
        e.seq = order++;
        switch (kind) {
        case Kind::SchedWakeup:
            e.instance = field32(f, "pid", ok);
            e.arg = field32(f, "target_cpu", ok);
            if (ok && f.count("comm"))
                if (!store.task(static_cast<int32_t>(e.instance)))
                    store.setTask({static_cast<int32_t>(e.instance), 0, std::string(f["comm"])});
            break;
        case Kind::SchedSwitch:
            e.instance = field32(f, "next_pid", ok);
            if (ok && f.count("next_comm") && !store.task(static_cast<int32_t>(e.instance)))
                store.setTask({static_cast<int32_t>(e.instance), 0, std::string(f["next_comm"])});
            break;
        case Kind::EpPollCallback: {
            uint64_t wait = 0;
            if (f.count("wait") && parseUnsigned(f["wait"], wait))
                e.arg = static_cast<uint32_t>(wait);
            break;
        }
        default: { // vpoll_*
            e.instance = field32(f, "instance", ok);
            e.events = field32(f, "events", ok);
            uint32_t flags = field32(f, "flags", ok);
            e.flags = (flags & 0x1) ? FlagPollTable : 0;
            if (kind == Kind::VpollWake)
                e.arg = field32(f, "waiters", ok) | field32(f, "exclusive", ok) << 16;
            else
                e.arg = field32(f, "arg", ok);
            break;
        }
        }
        if (!ok) {
            ++r.bad;
            continue;
        }
        store.append(e);
        const TaskInfo* t = store.task(l.tid);
        if (!t || t->comm.empty() || (l.tgid && t->tgid != l.tgid))
            store.setTask({l.tid, l.tgid ? l.tgid : (t ? t->tgid : 0), std::string(l.comm)});
        ++r.events;
    }
    return r;
}

EventStore loadTimelineFile(const std::filesystem::path& path) {
    std::string text = base::readFile(path);
    if (looksLikeSnapshot(text)) {
        try {
            return loadSnapshotRing(text);
        } catch (const base::Error& e) {
            throw base::Error(path.string() + ": " + e.what());
        }
    }
    size_t i = text.find_first_not_of(" \t\r\n");
    if (i != std::string::npos && (text[i] == '{' || text[i] == '['))
        return fromChromeJson(text);
    EventStore store;
    TextImport r = importTraceText(text, store);
    if (r.events == 0)
        throw base::Error(path.string() + ": neither a Chrome trace nor trace text with events (" +
                          std::to_string(r.bad) + " unparsable lines)");
    return store;
}

} // namespace waitscope::timeline
