// The event store: append-only, sorted per lane (one lane per CPU, one per
// task), with time-range queries, in 31 bytes per event: 27 for the event in
// its CPU lane (its CPU is the chunk's), 4 for its entry in its task lane. CPU
// lanes live in fixed-size chunks from one pool, so a 32-bit number addresses any event and task
// lanes are plain vectors of those numbers. Every lane also keeps, per block of 256 events, the
// kinds inside and its first/last time (0.14 byte per event in all), which frames fold by. Not
// thread-safe: one writer; readers synchronise outside (or take the store over once the writer is
// done; settle it first with any query, e.g. firstNs(), so that concurrent reads never sort).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <waitscope/timeline/event.hpp>

namespace waitscope::timeline {

/// Times of the first and last event of one block of 2^SummaryBits events of a lane.
struct BlockSpan {
    uint64_t first = 0, last = 0;
};

/// A task as the events name it.
struct TaskInfo {
    int32_t tid = 0;
    int32_t tgid = 0;
    std::string comm;
};

/// Fixed-size chunks of events shared by all CPU lanes of a store, carved out of
/// 54 MiB slabs (512 chunks exactly) backed by transparent huge pages where the system
/// allows: a frame that jumps through a task's events across CPU lanes then costs a
/// cache miss per event, not a TLB miss and a page walk too.
struct Pool {
    std::vector<struct PackedEvent*> chunks;

    Pool() = default;
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    ~Pool();
    std::vector<uint8_t> cpuOf; ///< chunk -> the CPU whose lane it belongs to
    /// A new chunk (uninitialised) of `cpu`'s lane, appended to `chunks`.
    PackedEvent* newChunk(uint16_t cpu);

private:
    std::vector<void*> m_slabs;
    size_t m_free = 0; ///< chunks left in the last slab
};

/// An event as stored: 27 bytes, unaligned. Time (48 bits of ns: 78 hours),
/// kind (6 bits) and flags (2 bits) share 7 bytes; the CPU is not stored: it is
/// the lane's (each chunk belongs to one CPU lane, Pool::cpuOf).
struct [[gnu::packed]] PackedEvent {
    uint32_t tsLo;
    uint16_t tsHi;     ///< ts bits 32-47
    uint8_t kindFlags; ///< kind | flags << 6
    uint32_t seq;
    int32_t pid;
    uint32_t instance;
    uint32_t events;
    uint32_t arg;

    static PackedEvent pack(const Event& e);
    /// The event, on `cpu` (its lane's).
    Event unpack(uint16_t cpu) const;
    uint64_t tsNs() const { return uint64_t{tsHi} << 32 | tsLo; }
    Kind kind() const { return static_cast<Kind>(kindFlags & 0x3f); }
};
static_assert(sizeof(PackedEvent) == 27);

class EventStore {
public:
    static constexpr unsigned ChunkBits = 12;
    static constexpr size_t ChunkSize = size_t{1} << ChunkBits;
    static constexpr uint16_t MaxCpu = 255;
    /// Lanes keep the set of kinds (kindBit) of every block of this many
    /// events, so a fold of many events knows every kind inside it.
    static constexpr unsigned SummaryBits = 8;
    /// Global number of an event (chunk << ChunkBits | offset): what task lanes hold.
    using Ref = uint32_t;

    EventStore() = default;
    EventStore(EventStore&&) noexcept = default;
    EventStore& operator=(EventStore&&) noexcept = default;

    /// Add one event (CPU ≤ 255; timestamps below 2^48 ns). Amortised O(1)
    /// when events arrive in time order per CPU; an out-of-order event makes
    /// the next query re-sort its lane and rebuild the task lanes.
    void append(const Event& e);
    /// Name a task (tid -> tgid, comm); later calls overwrite.
    void setTask(const TaskInfo& task);
    /// Count records the source lost (overwritten before we read them).
    void addDropped(uint64_t n) { m_dropped += n; }

    size_t size() const { return m_size; }
    uint64_t dropped() const { return m_dropped; }
    uint64_t firstNs() const; ///< 0 when empty
    uint64_t lastNs() const;  ///< 0 when empty

    std::vector<uint16_t> cpus() const; ///< CPUs with events, ascending
    std::vector<int32_t> tids() const;  ///< tasks with events, ascending
    const TaskInfo* task(int32_t tid) const;

    /// A CPU lane: its events in time order, random access in O(1).
    class CpuLane {
    public:
        size_t size() const { return m_size; }
        bool empty() const { return m_size == 0; }
        const PackedEvent& operator[](size_t i) const {
            return m_pool->chunks[m_chunks[i >> ChunkBits]][i & (ChunkSize - 1)];
        }
        /// Event i, unpacked (with this lane's CPU).
        Event event(size_t i) const { return (*this)[i].unpack(m_cpuId); }
        Ref ref(size_t i) const {
            return static_cast<Ref>(m_chunks[i >> ChunkBits] << ChunkBits | (i & (ChunkSize - 1)));
        }

    private:
        friend class EventStore;
        const Pool* m_pool = nullptr;
        uint16_t m_cpuId = 0;
        std::vector<uint32_t> m_chunks;  ///< chunk numbers in the pool
        std::vector<uint16_t> m_summary; ///< kinds per block of 2^SummaryBits events
        std::vector<BlockSpan> m_blocks; ///< times of each block's first and last event
        size_t m_size = 0;
        bool m_sorted = true;
    };
    /// The lane of `cpu` (empty when it has no events).
    const CpuLane& cpuLane(uint16_t cpu) const;
    /// Index range [first, last) of a CPU lane whose events fall in [t0, t1). O(log n).
    std::pair<size_t, size_t> cpuRange(uint16_t cpu, uint64_t t0, uint64_t t1) const;
    /// kindBit()s of the events [first, last) of a CPU lane. O((last - first) / 256 + 512).
    uint16_t cpuKinds(uint16_t cpu, size_t first, size_t last) const;
    /// First and last time of every block of 2^SummaryBits events of a CPU lane (a
    /// compact index that frame folding searches without touching the events).
    std::span<const BlockSpan> cpuBlocks(uint16_t cpu) const;

    /// A task's events in time order, as global numbers.
    std::span<const Ref> taskLane(int32_t tid) const;
    /// Index range [first, last) of a task lane in [t0, t1). O(log n).
    std::pair<size_t, size_t> taskRange(int32_t tid, uint64_t t0, uint64_t t1) const;
    /// kindBit()s of the events [first, last) of a task lane.
    uint16_t taskKinds(int32_t tid, size_t first, size_t last) const;
    /// First and last time of every block of 2^SummaryBits entries of a task lane.
    std::span<const BlockSpan> taskBlocks(int32_t tid) const;
    const PackedEvent& packed(Ref ref) const {
        return m_pool->chunks[ref >> ChunkBits][ref & (ChunkSize - 1)];
    }
    Event at(Ref ref) const { return packed(ref).unpack(m_pool->cpuOf[ref >> ChunkBits]); }

    /// Every event in time order (ties: CPU, then lane order). O(n log lanes).
    std::vector<Event> all() const;
    /// Bytes held by events and lane indices (not task names).
    size_t memoryBytes() const;
    /// Give back spare capacity of the lane indices.
    void shrinkToFit();

private:
    void settle() const;
    void sortLane(CpuLane& lane) const;
    /// visit(ref, event, cpu) for every event, CPU lanes merged by time.
    template <typename F>
    void forEachInTimeOrder(F&& visit) const;

    /// The chunk pool, on the heap so lanes keep pointing at it when the
    /// store moves.
    std::unique_ptr<Pool> m_pool = std::make_unique<Pool>();
    mutable std::map<uint16_t, CpuLane> m_cpu;
    struct TaskLane {
        std::vector<Ref> refs;
        std::vector<uint16_t> summary; ///< kinds per block of 2^SummaryBits entries
        std::vector<BlockSpan> blocks; ///< times of each block's first and last entry
        void push(Ref ref, uint16_t kind, uint64_t ts);
    };
    mutable std::map<int32_t, TaskLane> m_task;
    mutable bool m_stale = false; ///< a lane is unsorted; task lanes need a rebuild
    std::map<int32_t, TaskInfo> m_tasks;
    size_t m_size = 0;
    uint64_t m_dropped = 0;
};

} // namespace waitscope::timeline
