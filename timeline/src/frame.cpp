#include <algorithm>
#include <cmath>

#include <waitscope/timeline/frame.hpp>

namespace waitscope::timeline {

namespace {

/// A lane as random access to (time, ref, kind), resolved once (no lookups per access).
struct LaneView {
    const EventStore& store;
    LaneId lane;
    const EventStore::CpuLane* cpu = nullptr; ///< a CPU lane, else
    std::span<const EventStore::Ref> refs;    ///< a task lane
    std::span<const BlockSpan> blocks;        ///< first and last time of every block

    LaneView(const EventStore& s, LaneId id) : store(s), lane(id) {
        if (id.type == LaneId::Type::Cpu) {
            cpu = &s.cpuLane(static_cast<uint16_t>(id.id));
            blocks = s.cpuBlocks(static_cast<uint16_t>(id.id));
        } else {
            refs = s.taskLane(id.id);
            blocks = s.taskBlocks(id.id);
        }
    }
    size_t size() const { return cpu ? cpu->size() : refs.size(); }
    EventStore::Ref ref(size_t i) const { return cpu ? cpu->ref(i) : refs[i]; }
    const PackedEvent& at(size_t i) const { return cpu ? (*cpu)[i] : store.packed(refs[i]); }
    std::pair<size_t, size_t> range(uint64_t t0, uint64_t t1) const {
        return cpu ? store.cpuRange(static_cast<uint16_t>(lane.id), t0, t1)
                   : store.taskRange(lane.id, t0, t1);
    }
    uint16_t kinds(size_t first, size_t last) const {
        return cpu ? store.cpuKinds(static_cast<uint16_t>(lane.id), first, last)
                   : store.taskKinds(lane.id, first, last);
    }
    /// First index in [lo, hi) with time >= t, galloping from lo: O(log distance), and
    /// the first probes share cache lines when the answer is near.
    size_t gallop(size_t lo, size_t hi, uint64_t t) const {
        size_t step = 1, base = lo;
        while (base < hi && at(base).tsNs() < t) {
            lo = base + 1;
            base = std::min(hi, base + step);
            step *= 2;
        }
        return lowerBound(lo, base, t);
    }
    /// First index in [lo, hi) with time >= t.
    size_t lowerBound(size_t lo, size_t hi, uint64_t t) const {
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (at(mid).tsNs() < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
};

float toPx(uint64_t t, const Viewport& v) {
    return static_cast<float>(static_cast<double>(t - v.t0) / static_cast<double>(v.t1 - v.t0) *
                              v.widthPx);
}

/// Fold [i, end) of a lane event by event (exact: a glyph takes every event within
/// foldNs of its first).
void foldLinear(const LaneView& lane, size_t i, size_t end, uint64_t foldNs, const Viewport& view,
                std::vector<Glyph>& out) {
    constexpr size_t Ahead = 16;
    for (size_t p = i; p < std::min(end, i + Ahead); ++p)
        __builtin_prefetch(&lane.at(p));
    while (i < end) {
        const PackedEvent& e = lane.at(i);
        const uint64_t ts = e.tsNs(), target = ts + foldNs;
        Glyph g;
        g.x0 = toPx(ts, view);
        g.first = lane.ref(i);
        g.kinds = kindBit(e.kind());
        uint64_t lastTs = ts;
        size_t j = i + 1;
        for (; j < end; ++j) {
            if (j + Ahead < end)
                __builtin_prefetch(&lane.at(j + Ahead));
            const PackedEvent& n = lane.at(j);
            if (n.tsNs() >= target)
                break;
            g.kinds |= kindBit(n.kind());
            lastTs = n.tsNs();
        }
        g.count = static_cast<uint32_t>(j - i);
        g.x1 = g.count > 1 ? toPx(lastTs, view) : g.x0;
        out.push_back(g);
        i = j;
    }
}

} // namespace

std::vector<LaneFrame> buildFrame(const EventStore& store, const std::vector<LaneId>& lanes,
                                  const Viewport& view) {
    std::vector<LaneFrame> out;
    out.reserve(lanes.size());
    if (!(view.widthPx > 0) || view.t1 <= view.t0) { // nothing visible
        for (const LaneId& id : lanes)
            out.push_back({id, {}, 0});
        return out;
    }
    const double nsPerPx = static_cast<double>(view.t1 - view.t0) / view.widthPx;
    const auto foldNs = static_cast<uint64_t>(std::ceil(nsPerPx * view.minVisPx));
    constexpr size_t Block = size_t{1} << EventStore::SummaryBits;
    for (const LaneId& id : lanes) {
        LaneView lane{store, id};
        LaneFrame f{id, {}, 0};
        auto [i, end] = lane.range(view.t0, view.t1);
        f.events = end - i;
        // A lane with few events in the window (up to 16 per glyph the width allows) is
        // folded in one sequential pass, with the events ahead prefetched: cheaper than
        // searching when its blocks are too sparse to fold whole.
        const size_t linearMax =
            16 * static_cast<size_t>(view.widthPx / std::max(view.minVisPx, 0.5f)) + 64;
        if (end - i <= linearMax || !foldNs) {
            foldLinear(lane, i, end, foldNs, view, f.glyphs);
            out.push_back(std::move(f));
            continue;
        }
        const std::span<const BlockSpan> blocks = lane.blocks;
        size_t k = 0; // search position in `blocks`, only moves forward
        while (i < end) {
            const uint64_t ts = i % Block == 0 ? blocks[i / Block].first : lane.at(i).tsNs();
            // Everything within MinVisSize pixels of this event folds into it: the first
            // block starting at or after that (galloping over the block times, which are
            // contiguous) brackets the boundary in one block.
            size_t j = i + 1;
            if (foldNs) {
                const uint64_t target = ts + foldNs;
                k = std::max(k, i / Block + 1);
                size_t step = 1, lo = k;
                while (k < blocks.size() && blocks[k].first < target) {
                    lo = k + 1;
                    k = std::min(blocks.size(), k + step);
                    step *= 2;
                }
                k = static_cast<size_t>(
                    std::ranges::lower_bound(blocks.begin() + static_cast<std::ptrdiff_t>(lo),
                                             blocks.begin() + static_cast<std::ptrdiff_t>(k),
                                             target, {}, &BlockSpan::first) -
                    blocks.begin());
                const size_t hi = std::min(k * Block, end);
                // A block that spans less than the fold width folds whole: the fold then
                // ends before the next block's first event (< 2 x MinVisSize wide) and
                // the boundary costs no search through the events.
                if (k < blocks.size() && blocks[k].first - blocks[k - 1].first <= foldNs)
                    j = std::max(hi, i + 1);
                else
                    j = lane.gallop(std::max(i + 1, (k - 1) * Block), hi, target);
            }
            Glyph g;
            g.x0 = toPx(ts, view);
            g.first = lane.ref(i);
            g.count = static_cast<uint32_t>(j - i);
            if (j - i == 1) {
                g.x1 = g.x0;
                g.kinds = kindBit(lane.at(i).kind());
            } else {
                g.x1 =
                    toPx(j % Block == 0 ? blocks[j / Block - 1].last : lane.at(j - 1).tsNs(), view);
                g.kinds = lane.kinds(i, j);
            }
            f.glyphs.push_back(g);
            i = j;
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<LaneFrame> buildFrameUnfolded(const EventStore& store, const std::vector<LaneId>& lanes,
                                          const Viewport& view) {
    std::vector<LaneFrame> out;
    for (const LaneId& id : lanes) {
        LaneView lane{store, id};
        LaneFrame f{id, {}, 0};
        auto [i, end] = lane.range(view.t0, view.t1);
        f.events = end - i;
        f.glyphs.reserve(end - i);
        for (; i < end; ++i) {
            const PackedEvent& e = lane.at(i);
            float x = toPx(e.tsNs(), view);
            f.glyphs.push_back({x, x, 1, lane.ref(i), kindBit(e.kind())});
        }
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace waitscope::timeline
