// vpoll flight-recorder records -> events (see ring_record.hpp).
#include <uapi/vpoll.h>

#include <cstring>
#include <string>
#include <utility>

#include <waitscope/timeline/ring_record.hpp>

namespace waitscope::timeline {

static_assert(VPOLL_KIND_OPEN == static_cast<int>(Kind::VpollOpen) &&
                  VPOLL_KIND_RELEASE == static_cast<int>(Kind::VpollRelease) &&
                  VPOLL_KIND_WAKE == static_cast<int>(Kind::VpollWake),
              "timeline kinds 1-6 are vpoll's record kinds");
static_assert(VPOLL_REC_PT == FlagPollTable && VPOLL_REC_WOKE == FlagFolded,
              "event flags carry the record's flags");

RingClock ringClock(const vpoll_ring_header& h) {
    if (h.abi < 2)
        return {};
    return {h.clock_tsc, h.clock_mono_ns, h.clock_tsc_khz};
}

uint64_t tscToNs(uint64_t tsc, const RingClock& clock) {
    // ticks * 1e6 / khz without overflow: whole ms, then the rest (r * 1e6 < 2^63).
    const auto scale = [&](uint64_t ticks) {
        return ticks / clock.tscKhz * 1000000u + ticks % clock.tscKhz * 1000000u / clock.tscKhz;
    };
    return tsc >= clock.tsc ? clock.monoNs + scale(tsc - clock.tsc)
                            : clock.monoNs - scale(clock.tsc - tsc);
}

std::optional<RingRecord> decodeRecord(const vpoll_record& rec, const RingClock& clock) {
    RingRecord r;
    r.seq = rec.seq;
    r.tsNs = rec.ts_ns;
    r.flags = rec.flags;
    if (rec.flags & VPOLL_REC_TSC) {
        if (!clock.tscKhz)
            return std::nullopt;
        r.tsNs = tscToNs(rec.ts_ns, clock);
        r.flags &= ~uint32_t{VPOLL_REC_TSC};
    }
    r.instance = rec.instance;
    r.kind = ringRecordKind(uint32_t{rec.kind});
    r.cpu = rec.cpu;
    r.pid = rec.pid;
    r.tgid = rec.tgid;
    r.arg = rec.arg;
    r.events = rec.events;
    r.waiters = rec.waiters;
    r.exclusive = rec.exclusive;
    r.comm = std::string_view(rec.comm, strnlen(rec.comm, sizeof rec.comm));
    return r;
}

Kind ringRecordKind(uint32_t kind) {
    return kind >= VPOLL_KIND_OPEN && kind <= VPOLL_KIND_RELEASE ? static_cast<Kind>(kind)
                                                                 : Kind::Unknown;
}

Kind ringRecordKind(std::string_view name) {
    constexpr std::pair<std::string_view, Kind> Names[] = {
        {"open", Kind::VpollOpen}, {"add", Kind::VpollAdd},   {"del", Kind::VpollDel},
        {"poll", Kind::VpollPoll}, {"wake", Kind::VpollWake}, {"release", Kind::VpollRelease}};
    for (const auto& [n, k] : Names)
        if (n == name)
            return k;
    return Kind::Unknown;
}

unsigned appendRingRecord(EventStore& store, const RingRecord& r) {
    Event e;
    e.tsNs = r.tsNs;
    e.seq = static_cast<uint32_t>(r.seq);
    e.pid = r.pid;
    e.instance = r.instance;
    e.events = r.events;
    e.kind = r.kind;
    e.cpu = r.cpu;
    const uint32_t waiters = uint32_t{r.waiters} | uint32_t{r.exclusive} << 16;
    e.arg = e.kind == Kind::VpollWake ? waiters : r.arg;
    e.flags = (r.flags & VPOLL_REC_PT) ? FlagPollTable : 0;
    store.append(e);
    unsigned n = 1;
    if ((r.flags & VPOLL_REC_WOKE) && (e.kind == Kind::VpollAdd || e.kind == Kind::VpollDel)) {
        Event w = e;
        w.kind = Kind::VpollWake;
        w.arg = waiters;
        w.flags = FlagFolded;
        store.append(w);
        ++n;
    }
    const TaskInfo* t = store.task(r.pid);
    if (!t || t->comm != r.comm || t->tgid != r.tgid)
        store.setTask({r.pid, r.tgid, std::string(r.comm)});
    return n;
}

} // namespace waitscope::timeline
