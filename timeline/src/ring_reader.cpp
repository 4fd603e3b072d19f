#include <uapi/vpoll.h>

#include <atomic>
#include <cstring>
#include <utility>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/ring_reader.hpp>
#include <waitscope/timeline/ring_record.hpp>

namespace waitscope::timeline {

namespace {

constexpr size_t PageSize = 4096;
/// A record still busy after this many polls lost its writer (it cannot be:
/// writers run with preemption off; but guest memory is not to be trusted).
constexpr unsigned MaxBusyPolls = 1000;

/// 64-bit load from guest memory that another CPU (a vCPU thread) writes.
uint64_t loadAcquire(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    std::atomic_thread_fence(std::memory_order_acquire);
    return v;
}

bool validHeader(const vpoll_ring_header& h, uint64_t phys, size_t memSize) {
    // ABI 1 and 2 share the layout (2 folds WAKE into ADD/DEL, may stamp with the TSC).
    if (h.magic != VPOLL_RING_MAGIC || h.abi < 1 || h.abi > VPOLL_RING_ABI ||
        h.header_size != sizeof(vpoll_ring_header) || h.record_size != sizeof(vpoll_record) ||
        h.capacity == 0 || (h.capacity & (h.capacity - 1)) != 0 || h.self_phys != phys ||
        h.records_offset < sizeof(vpoll_ring_header))
        return false;
    return phys + h.records_offset + uint64_t{h.capacity} * sizeof(vpoll_record) <= memSize;
}

} // namespace

std::optional<RingInfo> findRing(const GuestMemory& mem) {
    const uint64_t magic = VPOLL_RING_MAGIC;
    for (size_t off = 0; off + sizeof(vpoll_ring_header) <= mem.size(); off += PageSize) {
        if (std::memcmp(mem.data() + off, &magic, sizeof magic) != 0)
            continue;
        vpoll_ring_header h;
        std::memcpy(&h, mem.data() + off, sizeof h);
        if (!validHeader(h, off, mem.size()))
            continue;
        return RingInfo{off, h.self_virt, h.capacity, h.load_ns};
    }
    return std::nullopt;
}

RingReader::RingReader(const GuestMemory& mem, const RingInfo& info, bool fromNow)
    : m_mem(mem), m_info(info) {
    const uint8_t* hdr = mem.data() + info.phys;
    uint64_t head = loadAcquire(hdr + offsetof(vpoll_ring_header, head));
    if (fromNow) {
        m_next = head;
    } else if (head > info.capacity) {
        // Records the ring took before we found it and has since overwritten.
        m_next = head - info.capacity;
        m_pendingDropped = m_next;
    }
}

PollResult RingReader::poll(EventStore& store) {
    PollResult r;
    r.dropped = std::exchange(m_pendingDropped, 0);
    const uint8_t* hdr = m_mem.data() + m_info.phys;
    vpoll_ring_header h;
    std::memcpy(&h, hdr, sizeof h);
    if (!validHeader(h, m_info.phys, m_mem.size()) || h.capacity != m_info.capacity) {
        r.ringGone = true;
        return r;
    }
    const uint64_t head = loadAcquire(hdr + offsetof(vpoll_ring_header, head));
    if (head < m_next) { // the module was reloaded with a fresh ring at the same place
        r.ringGone = true;
        return r;
    }
    if (head - m_next > m_info.capacity) {
        r.dropped += head - m_info.capacity - m_next;
        m_next = head - m_info.capacity;
    }
    const uint8_t* records = hdr + h.records_offset;
    while (m_next < head) {
        const uint8_t* slot = records + (m_next & (m_info.capacity - 1)) * sizeof(vpoll_record);
        uint64_t before = loadAcquire(slot);
        vpoll_record rec;
        std::memcpy(&rec, slot, sizeof rec);
        std::atomic_thread_fence(std::memory_order_acquire);
        uint64_t after = loadAcquire(slot);
        // A writer claims head before it marks its slot busy: in between, slot 0 of a
        // fresh (zeroed) ring still reads seq 0 = the one expected. No record has kind 0.
        const bool zeroed = rec.kind == 0;
        if (before == m_next && after == m_next && !zeroed) {
            std::optional<RingRecord> decoded = decodeRecord(rec, ringClock(h));
            if (decoded) {
                appendRingRecord(store, *decoded);
                ++r.records;
                ++m_next;
                m_busyPolls = 0;
                continue;
            }
            // A TSC stamp while the module re-samples its clock (khz 0): next poll;
            // a clock that never comes back leaves the record untimed: dropped below.
        }
        bool unwritten = before == VPOLL_SEQ_BUSY || after == VPOLL_SEQ_BUSY || zeroed ||
                         (before < m_next && after < m_next) ||
                         (before == m_next && after == m_next);
        if (unwritten && ++m_busyPolls < MaxBusyPolls)
            break; // its writer is still at it: next poll
        // Overwritten while we looked (or a writer that never finished).
        ++r.dropped;
        ++m_next;
        m_busyPolls = 0;
    }
    m_dropped += r.dropped;
    store.addDropped(r.dropped);
    return r;
}

} // namespace waitscope::timeline
