// Host-side reader of vpoll's flight recorder in guest memory (the lab VM's
// shared RAM file, read while the guest runs): finds the self-describing ring
// by scanning for its header, then follows head/seq, counting every record it
// missed. The ABI is kmod/include/uapi/vpoll.h; docs/kmod-abi.md explains it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <waitscope/base/mapped_file.hpp>
#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

/// Guest physical memory mapped read-only (file offset == physical address).
using GuestMemory = base::MappedFile;

struct RingInfo {
    uint64_t phys = 0;     ///< where the header is
    uint64_t virt = 0;     ///< its kernel virtual address
    uint32_t capacity = 0; ///< records
    uint64_t loadNs = 0;   ///< CLOCK_MONOTONIC at module load
};

/// Scan page-aligned guest memory for a live vpoll ring header (magic, ABI 1 or 2,
/// sizes, and self_phys equal to where it was found). O(pages).
std::optional<RingInfo> findRing(const GuestMemory& mem);

/// What one poll() brought.
struct PollResult {
    size_t records = 0;    ///< appended to the store
    uint64_t dropped = 0;  ///< overwritten before we read them
    bool ringGone = false; ///< the header is no longer valid (module unloaded)
};

class RingReader {
public:
    /// Follow the ring at `info`, starting with the oldest record still in it
    /// (records it already overwrote count as dropped, reported by the first
    /// poll), or, with fromNow, only with records written after this call.
    RingReader(const GuestMemory& mem, const RingInfo& info, bool fromNow = false);

    /// Read every complete record up to the current head into `store`
    /// (tasks named from the records' comm/tgid). Never blocks.
    PollResult poll(EventStore& store);

    uint64_t nextSeq() const { return m_next; }
    uint64_t totalDropped() const { return m_dropped; }

private:
    const GuestMemory& m_mem;
    RingInfo m_info;
    uint64_t m_next = 0;
    uint64_t m_dropped = 0;
    uint64_t m_pendingDropped = 0; ///< lost before the first poll
    unsigned m_busyPolls = 0;      ///< polls the record at m_next has stayed busy
};

} // namespace waitscope::timeline
