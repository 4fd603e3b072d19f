// One vpoll flight-recorder record -> timeline events: the one conversion that
// the live reader (guest RAM), the snapshot reader (a `vpoll_ring` object) and
// the app share (kmod/include/uapi/vpoll.h, docs/kmod-abi.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <waitscope/timeline/store.hpp>

struct vpoll_record;
struct vpoll_ring_header;

namespace waitscope::timeline {

/// A record's fields, decoded (from the uapi struct, or a snapshot's JSON).
struct RingRecord {
    uint64_t seq = 0;
    uint64_t tsNs = 0; ///< CLOCK_MONOTONIC ns
    uint32_t instance = 0;
    Kind kind = Kind::Unknown; ///< vpoll kinds only (1-6)
    uint16_t cpu = 0;
    int32_t pid = 0;
    int32_t tgid = 0;
    uint32_t arg = 0;
    uint32_t events = 0;
    uint16_t waiters = 0;
    uint16_t exclusive = 0;
    uint32_t flags = 0;
    std::string_view comm;
};

/// How a ring's TSC-stamped records (VPOLL_REC_TSC, ABI 2) convert to
/// CLOCK_MONOTONIC ns: the header's clock_* fields.
struct RingClock {
    uint64_t tsc = 0;    ///< a TSC value ...
    uint64_t monoNs = 0; ///< ... and CLOCK_MONOTONIC at that moment
    uint32_t tscKhz = 0; ///< TSC ticks per ms; 0: unknown (being rewritten, or ABI 1)
};
RingClock ringClock(const vpoll_ring_header& header);
/// CLOCK_MONOTONIC ns of a TSC stamp: monoNs + (tsc - clock.tsc) * 1e6 / tscKhz
/// (signed: a stamp may predate the clock's sample). Needs tscKhz != 0.
uint64_t tscToNs(uint64_t tsc, const RingClock& clock);

/// A uapi record's fields (comm points into `rec`), its time in ns: a TSC stamp
/// is converted by `clock` and VPOLL_REC_TSC cleared. nullopt when the record
/// is TSC-stamped and the clock is unknown (tscKhz 0).
std::optional<RingRecord> decodeRecord(const vpoll_record& rec, const RingClock& clock);

/// The Kind of a record's numeric kind (VPOLL_KIND_*); Unknown otherwise.
Kind ringRecordKind(uint32_t kind);
/// The Kind of a snapshot record's `kind` name ("add" -> VpollAdd); Unknown otherwise.
Kind ringRecordKind(std::string_view name);

/// Append a record's events and name its task: one event, or two for an ADD/DEL
/// that woke its waiters (ABI 2, VPOLL_REC_WOKE): the ADD/DEL, then a WAKE with
/// the same time and seq, the wake key (= the resulting mask) in `events`,
/// waiters | exclusive << 16 in `arg` and FlagFolded set. An ABI 1 WAKE record
/// becomes the same WAKE event without FlagFolded. Returns the events appended.
unsigned appendRingRecord(EventStore& store, const RingRecord& record);

} // namespace waitscope::timeline
