// One timeline event: a vpoll flight-recorder record, or an imported trace
// event (scheduler, kprobe), packed into 32 bytes so 10M events fit in 320 MB.
#pragma once

#include <cstdint>
#include <string_view>

namespace waitscope::timeline {

/// What happened. 1-6 are vpoll's record kinds (uapi/vpoll.h, same values).
enum class Kind : uint8_t {
    Unknown = 0,
    VpollOpen = 1,
    VpollAdd = 2,
    VpollDel = 3,
    VpollPoll = 4,
    VpollWake = 5,
    VpollRelease = 6,
    SchedWakeup = 16,    ///< `instance` = the woken tid, `arg` = its target cpu
    SchedSwitch = 17,    ///< `pid` = prev tid, `instance` = next tid
    EpPollCallback = 18, ///< kprobe hit; `arg` = low 32 bits of the wait entry address
    Mark = 32,           ///< a WAITSCOPE_MARK (snapshot time)
};

/// Event flags (the vpoll record's flags where they fit).
enum EventFlags : uint8_t {
    FlagPollTable = 0x1, ///< VPOLL_REC_PT: a poll() that registered a waiter
    /// A WAKE that its ADD/DEL record carried (VPOLL_REC_WOKE, ring ABI 2): it
    /// shares that record's seq and time (ring_record.hpp).
    FlagFolded = 0x2,
};

struct Event {
    uint64_t tsNs = 0;     ///< CLOCK_MONOTONIC of the guest, ns
    uint32_t seq = 0;      ///< low 32 bits of the recorder's sequence number (import order else)
    int32_t pid = 0;       ///< thread id that ran it
    uint32_t instance = 0; ///< vpoll instance; sched: the other task's tid
    uint32_t events = 0;   ///< event mask (resulting mask, wake key, poll result)
    uint32_t arg = 0;      ///< ADD/DEL: ioctl argument; WAKE: waiters | exclusive << 16
    uint16_t cpu = 0;
    Kind kind = Kind::Unknown;
    uint8_t flags = 0;

    uint16_t waiters() const { return static_cast<uint16_t>(arg & 0xffff); }
    uint16_t exclusive() const { return static_cast<uint16_t>(arg >> 16); }
};
static_assert(sizeof(Event) == 32, "timeline events are 32 bytes");

/// A Kind as one bit of a 16-bit set (vpoll kinds 1-6 keep their number,
/// sched_wakeup 8, sched_switch 9, ep_poll_callback 10, mark 11, unknown 0).
uint16_t kindBit(Kind kind);

/// "vpoll_add", "sched_wakeup", ...; "unknown" for Kind::Unknown.
std::string_view kindName(Kind kind);
/// Inverse of kindName(); Kind::Unknown when the name is not one of ours.
Kind kindFromName(std::string_view name);

} // namespace waitscope::timeline
