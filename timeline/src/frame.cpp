#include <cmath>

#include <waitscope/timeline/frame.hpp>

namespace waitscope::timeline {

namespace {

/// A lane as random access to (time, ref, kind).
struct LaneView {
    const EventStore& store;
    LaneId lane;
    size_t size() const {
        return lane.type == LaneId::Type::Cpu ? store.cpuLane(static_cast<uint16_t>(lane.id)).size()
                                              : store.taskLane(lane.id).size();
    }
    EventStore::Ref ref(size_t i) const {
        return lane.type == LaneId::Type::Cpu ? store.cpuLane(static_cast<uint16_t>(lane.id)).ref(i)
                                              : store.taskLane(lane.id)[i];
    }
    const PackedEvent& at(size_t i) const { return store.packed(ref(i)); }
    std::pair<size_t, size_t> range(uint64_t t0, uint64_t t1) const {
        return lane.type == LaneId::Type::Cpu
                   ? store.cpuRange(static_cast<uint16_t>(lane.id), t0, t1)
                   : store.taskRange(lane.id, t0, t1);
    }
    uint16_t kinds(size_t first, size_t last) const {
        return lane.type == LaneId::Type::Cpu
                   ? store.cpuKinds(static_cast<uint16_t>(lane.id), first, last)
                   : store.taskKinds(lane.id, first, last);
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

} // namespace

std::vector<LaneFrame> buildFrame(const EventStore& store, const std::vector<LaneId>& lanes,
                                  const Viewport& view) {
    std::vector<LaneFrame> out;
    out.reserve(lanes.size());
    const double nsPerPx = static_cast<double>(view.t1 - view.t0) / view.widthPx;
    const auto foldNs = static_cast<uint64_t>(std::ceil(nsPerPx * view.minVisPx));
    for (const LaneId& id : lanes) {
        LaneView lane{store, id};
        LaneFrame f{id, {}, 0};
        auto [i, end] = lane.range(view.t0, view.t1);
        f.events = end - i;
        while (i < end) {
            const PackedEvent& e = lane.at(i);
            // Everything within MinVisSize pixels of this event folds into it.
            size_t j = foldNs ? lane.lowerBound(i + 1, end, e.tsNs() + foldNs) : i + 1;
            Glyph g;
            g.x0 = toPx(e.tsNs(), view);
            g.first = lane.ref(i);
            g.count = static_cast<uint32_t>(j - i);
            if (j - i == 1) {
                g.x1 = g.x0;
                g.kinds = kindBit(e.kind());
            } else {
                g.x1 = toPx(lane.at(j - 1).tsNs(), view);
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
