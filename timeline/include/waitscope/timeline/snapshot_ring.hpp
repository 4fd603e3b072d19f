// The post-mortem timeline: vpoll's flight-recorder records as a snapshot
// carries them (the `vpoll_ring` object, docs/snapshot-schema.md), read from a
// vmcore, /proc/kcore or a lab VM by the drgn walkers, turned into events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <waitscope/timeline/ring_record.hpp>
#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

/// What a snapshot's ring said besides its records.
struct SnapshotRingInfo {
    uint64_t head = 0;      ///< records the ring ever took (its next sequence number)
    uint64_t records = 0;   ///< records the snapshot carries (the last ones before head)
    uint32_t capacity = 0;  ///< the ring's size
    uint64_t dropped = 0;   ///< the ring's own count (records read() lost)
    uint64_t captureNs = 0; ///< kernel.uptime_ns: CLOCK_MONOTONIC at capture (0 = unknown)
    std::string kernel;     ///< kernel.release
    std::string source;     ///< capture.source ("vmcore", "lab", ...)
};

/// True when `bytes` look like a waitscope snapshot (JSON with its `schema`
/// near the start, or the CBOR form's self-describe tag).
bool looksLikeSnapshot(std::string_view bytes);

/// The events of a snapshot file's `vpoll_ring` object (JSON or CBOR),
/// oldest first. Throws base::Error when it is not a snapshot or has no ring
/// (saying why: the capability's reason when the walker recorded one).
EventStore loadSnapshotRing(std::string_view bytes, SnapshotRingInfo* info = nullptr);

} // namespace waitscope::timeline
