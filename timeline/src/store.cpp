#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <queue>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

namespace {
constexpr std::string_view KindNames[] = {"unknown",    "vpoll_open", "vpoll_add",    "vpoll_del",
                                          "vpoll_poll", "vpoll_wake", "vpoll_release"};
constexpr uint64_t MaxTs = (uint64_t{1} << 48) - 1;

bool earlier(const PackedEvent& a, const PackedEvent& b) {
    return a.tsNs() < b.tsNs() || (a.tsNs() == b.tsNs() && a.seq < b.seq);
}
} // namespace

namespace {
constexpr size_t HugePage = size_t{2} << 20;
constexpr size_t ChunkBytes = EventStore::ChunkSize * sizeof(PackedEvent);
constexpr size_t SlabChunks = 512;
constexpr size_t SlabBytes = SlabChunks * ChunkBytes; // 54 MiB, a multiple of 2 MiB
static_assert(SlabBytes % HugePage == 0);
} // namespace

Pool::~Pool() {
    for (void* slab : m_slabs)
        std::free(slab);
}

PackedEvent* Pool::newChunk(uint16_t cpu) {
    if (m_free == 0) {
        void* slab = std::aligned_alloc(HugePage, SlabBytes);
        if (!slab)
            throw std::bad_alloc();
        ::madvise(slab, SlabBytes, MADV_HUGEPAGE); // a hint: without it, 4 KiB pages
        m_slabs.push_back(slab);
        m_free = SlabChunks;
    }
    auto* chunk =
        static_cast<PackedEvent*>(m_slabs.back()) + (SlabChunks - m_free) * EventStore::ChunkSize;
    --m_free;
    chunks.push_back(chunk);
    cpuOf.push_back(static_cast<uint8_t>(cpu));
    return chunk;
}

std::string_view kindName(Kind kind) {
    auto k = static_cast<size_t>(kind);
    if (k < std::size(KindNames))
        return KindNames[k];
    switch (kind) {
    case Kind::SchedWakeup:
        return "sched_wakeup";
    case Kind::SchedSwitch:
        return "sched_switch";
    case Kind::EpPollCallback:
        return "ep_poll_callback";
    case Kind::Mark:
        return "mark";
    default:
        return "unknown";
    }
}

uint16_t kindBit(Kind kind) {
    switch (kind) {
    case Kind::VpollOpen:
    case Kind::VpollAdd:
    case Kind::VpollDel:
    case Kind::VpollPoll:
    case Kind::VpollWake:
    case Kind::VpollRelease:
        return static_cast<uint16_t>(1u << static_cast<unsigned>(kind));
    case Kind::SchedWakeup:
        return 1u << 8;
    case Kind::SchedSwitch:
        return 1u << 9;
    case Kind::EpPollCallback:
        return 1u << 10;
    case Kind::Mark:
        return 1u << 11;
    default:
        return 1u;
    }
}

namespace {
/// OR of kindBit over [first, last): single events at the ragged ends, the
/// per-block summaries in between.
template <typename KindAt>
uint16_t kindsIn(size_t first, size_t last, const std::vector<uint16_t>& summary, KindAt kindAt) {
    constexpr size_t Block = size_t{1} << EventStore::SummaryBits;
    uint16_t bits = 0;
    size_t i = first;
    for (; i < last && i % Block; ++i)
        bits |= kindAt(i);
    for (; i + Block <= last; i += Block)
        bits |= summary[i / Block];
    for (; i < last; ++i)
        bits |= kindAt(i);
    return bits;
}

void addBlockTime(std::vector<BlockSpan>& blocks, size_t index, uint64_t ts) {
    if ((index & ((size_t{1} << EventStore::SummaryBits) - 1)) == 0)
        blocks.push_back({ts, ts});
    else
        blocks.back().last = ts;
}

void summarise(std::vector<uint16_t>& summary, size_t index, uint16_t bit) {
    size_t block = index >> EventStore::SummaryBits;
    if (summary.size() <= block)
        summary.resize(block + 1, 0);
    summary[block] |= bit;
}
} // namespace

void EventStore::TaskLane::push(Ref ref, uint16_t kind, uint64_t ts) {
    summarise(summary, refs.size(), kind);
    addBlockTime(blocks, refs.size(), ts);
    refs.push_back(ref);
}

Kind kindFromName(std::string_view name) {
    for (auto k : {Kind::VpollOpen, Kind::VpollAdd, Kind::VpollDel, Kind::VpollPoll,
                   Kind::VpollWake, Kind::VpollRelease, Kind::SchedWakeup, Kind::SchedSwitch,
                   Kind::EpPollCallback, Kind::Mark})
        if (kindName(k) == name)
            return k;
    return Kind::Unknown;
}

PackedEvent PackedEvent::pack(const Event& e) {
    return {static_cast<uint32_t>(e.tsNs),
            static_cast<uint16_t>(e.tsNs >> 32),
            static_cast<uint8_t>((static_cast<unsigned>(e.kind) & 0x3fu) | (e.flags & 0x3u) << 6),
            e.seq,
            e.pid,
            e.instance,
            e.events,
            e.arg};
}

Event PackedEvent::unpack(uint16_t cpu) const {
    Event e;
    e.tsNs = tsNs();
    e.kind = kind();
    e.flags = static_cast<uint8_t>(kindFlags >> 6);
    e.cpu = cpu;
    e.seq = seq;
    e.pid = pid;
    e.instance = instance;
    e.events = events;
    e.arg = arg;
    return e;
}

void EventStore::append(const Event& e) {
    if (e.cpu > MaxCpu)
        throw base::Error("timeline: CPU " + std::to_string(e.cpu) + " is above 255");
    if (e.tsNs > MaxTs)
        throw base::Error("timeline: timestamp beyond 2^48 ns");
    if (m_size >= (uint64_t{1} << 32) - ChunkSize * (m_cpu.size() + 1))
        throw base::Error("timeline: more than 4G events");
    CpuLane& lane = m_cpu[e.cpu];
    lane.m_pool = m_pool.get();
    lane.m_cpuId = e.cpu;
    if ((lane.m_size & (ChunkSize - 1)) == 0) {
        lane.m_chunks.push_back(static_cast<uint32_t>(m_pool->chunks.size()));
        m_pool->newChunk(e.cpu);
    }
    PackedEvent p = PackedEvent::pack(e);
    if (lane.m_size && p.tsNs() < lane[lane.m_size - 1].tsNs()) {
        lane.m_sorted = false;
        m_stale = true;
    }
    Ref ref = lane.ref(lane.m_size);
    m_pool->chunks[ref >> ChunkBits][ref & (ChunkSize - 1)] = p;
    summarise(lane.m_summary, lane.m_size, kindBit(e.kind));
    addBlockTime(lane.m_blocks, lane.m_size, p.tsNs());
    ++lane.m_size;
    if (!m_stale) {
        TaskLane& task = m_task[e.pid];
        if (!task.blocks.empty() && p.tsNs() < task.blocks.back().last)
            m_stale = true; // in order per CPU, not across CPUs: rebuild the task lanes
        else
            task.push(ref, kindBit(e.kind), p.tsNs());
    }
    ++m_size;
}

void EventStore::setTask(const TaskInfo& task) {
    m_tasks[task.tid] = task;
}

void EventStore::sortLane(CpuLane& lane) const {
    std::vector<PackedEvent> tmp(lane.m_size);
    for (size_t i = 0; i < lane.m_size; ++i)
        tmp[i] = lane[i];
    std::stable_sort(tmp.begin(), tmp.end(), earlier);
    lane.m_summary.clear();
    lane.m_blocks.clear();
    for (size_t i = 0; i < lane.m_size; ++i) {
        Ref r = lane.ref(i);
        m_pool->chunks[r >> ChunkBits][r & (ChunkSize - 1)] = tmp[i];
        summarise(lane.m_summary, i, kindBit(tmp[i].kind()));
        addBlockTime(lane.m_blocks, i, tmp[i].tsNs());
    }
    lane.m_sorted = true;
}

template <typename F>
void EventStore::forEachInTimeOrder(F&& visit) const {
    using Head = std::pair<uint64_t, std::pair<uint16_t, size_t>>; // ts, (cpu, index)
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
    for (const auto& [cpu, lane] : m_cpu)
        if (lane.m_size)
            heads.push({lane[0].tsNs(), {cpu, 0}});
    while (!heads.empty()) {
        auto [cpu, i] = heads.top().second;
        heads.pop();
        const CpuLane& lane = m_cpu.at(cpu);
        visit(lane.ref(i), lane[i], cpu);
        if (i + 1 < lane.m_size)
            heads.push({lane[i + 1].tsNs(), {cpu, i + 1}});
    }
}

void EventStore::settle() const {
    if (!m_stale)
        return;
    for (auto& [cpu, lane] : m_cpu)
        if (!lane.m_sorted)
            sortLane(lane);
    m_task.clear();
    forEachInTimeOrder([&](Ref ref, const PackedEvent& e, uint16_t) {
        m_task[e.pid].push(ref, kindBit(e.kind()), e.tsNs());
    });
    m_stale = false;
}

uint64_t EventStore::firstNs() const {
    settle();
    uint64_t t = UINT64_MAX;
    for (const auto& [cpu, lane] : m_cpu)
        if (lane.m_size)
            t = std::min(t, lane[0].tsNs());
    return t == UINT64_MAX ? 0 : t;
}

uint64_t EventStore::lastNs() const {
    settle();
    uint64_t t = 0;
    for (const auto& [cpu, lane] : m_cpu)
        if (lane.m_size)
            t = std::max(t, lane[lane.m_size - 1].tsNs());
    return t;
}

std::vector<uint16_t> EventStore::cpus() const {
    std::vector<uint16_t> out;
    for (const auto& [cpu, lane] : m_cpu)
        out.push_back(cpu);
    return out;
}

std::vector<int32_t> EventStore::tids() const {
    settle();
    std::vector<int32_t> out;
    for (const auto& [tid, lane] : m_task)
        out.push_back(tid);
    return out;
}

const TaskInfo* EventStore::task(int32_t tid) const {
    auto it = m_tasks.find(tid);
    return it == m_tasks.end() ? nullptr : &it->second;
}

const EventStore::CpuLane& EventStore::cpuLane(uint16_t cpu) const {
    static const CpuLane Empty;
    settle();
    auto it = m_cpu.find(cpu);
    return it == m_cpu.end() ? Empty : it->second;
}

namespace {
/// First index in [lo, n) whose time is >= t, for a time-sorted sequence.
template <typename TimeAt>
size_t lowerBound(size_t lo, size_t n, uint64_t t, TimeAt timeAt) {
    while (lo < n) {
        size_t mid = lo + (n - lo) / 2;
        if (timeAt(mid) < t)
            lo = mid + 1;
        else
            n = mid;
    }
    return lo;
}
} // namespace

std::pair<size_t, size_t> EventStore::cpuRange(uint16_t cpu, uint64_t t0, uint64_t t1) const {
    const CpuLane& lane = cpuLane(cpu);
    auto timeAt = [&](size_t i) { return lane[i].tsNs(); };
    size_t first = lowerBound(0, lane.size(), t0, timeAt);
    return {first, lowerBound(first, lane.size(), t1, timeAt)};
}

std::span<const EventStore::Ref> EventStore::taskLane(int32_t tid) const {
    settle();
    auto it = m_task.find(tid);
    if (it == m_task.end())
        return {};
    return it->second.refs;
}

uint16_t EventStore::cpuKinds(uint16_t cpu, size_t first, size_t last) const {
    const CpuLane& lane = cpuLane(cpu);
    return kindsIn(first, std::min(last, lane.size()), lane.m_summary,
                   [&](size_t i) { return kindBit(lane[i].kind()); });
}

uint16_t EventStore::taskKinds(int32_t tid, size_t first, size_t last) const {
    settle();
    auto it = m_task.find(tid);
    if (it == m_task.end())
        return 0;
    const TaskLane& lane = it->second;
    return kindsIn(first, std::min(last, lane.refs.size()), lane.summary,
                   [&](size_t i) { return kindBit(packed(lane.refs[i]).kind()); });
}

std::span<const BlockSpan> EventStore::cpuBlocks(uint16_t cpu) const {
    return cpuLane(cpu).m_blocks;
}

std::span<const BlockSpan> EventStore::taskBlocks(int32_t tid) const {
    settle();
    auto it = m_task.find(tid);
    if (it == m_task.end())
        return {};
    return it->second.blocks;
}

std::pair<size_t, size_t> EventStore::taskRange(int32_t tid, uint64_t t0, uint64_t t1) const {
    auto lane = taskLane(tid);
    auto timeAt = [&](size_t i) { return packed(lane[i]).tsNs(); };
    size_t first = lowerBound(0, lane.size(), t0, timeAt);
    return {first, lowerBound(first, lane.size(), t1, timeAt)};
}

std::vector<Event> EventStore::all() const {
    settle();
    std::vector<Event> out;
    out.reserve(m_size);
    forEachInTimeOrder(
        [&](Ref, const PackedEvent& e, uint16_t cpu) { out.push_back(e.unpack(cpu)); });
    return out;
}

size_t EventStore::memoryBytes() const {
    size_t n = m_pool->chunks.size() * (ChunkSize * sizeof(PackedEvent) + sizeof(uint8_t));
    for (const auto& [cpu, lane] : m_cpu)
        n += lane.m_chunks.capacity() * sizeof(uint32_t) +
             lane.m_summary.capacity() * sizeof(uint16_t) +
             lane.m_blocks.capacity() * sizeof(BlockSpan);
    for (const auto& [tid, lane] : m_task)
        n += lane.refs.capacity() * sizeof(Ref) + lane.summary.capacity() * sizeof(uint16_t) +
             lane.blocks.capacity() * sizeof(BlockSpan);
    return n;
}

void EventStore::shrinkToFit() {
    settle();
    for (auto& [cpu, lane] : m_cpu) {
        lane.m_chunks.shrink_to_fit();
        lane.m_summary.shrink_to_fit();
        lane.m_blocks.shrink_to_fit();
    }
    for (auto& [tid, lane] : m_task) {
        lane.refs.shrink_to_fit();
        lane.summary.shrink_to_fit();
        lane.blocks.shrink_to_fit();
    }
}

} // namespace waitscope::timeline
