// What one frame of the timeline view shows, computed without drawing: for
// each lane, the events in the visible time window at pixel positions, with
// events closer than MinVisSize pixels folded into one "N events" glyph
// (Tracy's zone folding). Cost per lane is O(pixels x log n), independent of
// how many events the window holds.
#pragma once

#include <cstdint>
#include <vector>

#include <waitscope/timeline/store.hpp>

namespace waitscope::timeline {

/// Which lane: one CPU or one task.
struct LaneId {
    enum class Type : uint8_t { Cpu, Task } type = Type::Cpu;
    int32_t id = 0; ///< CPU number or tid
};

struct Viewport {
    uint64_t t0 = 0, t1 = 1; ///< visible time window [t0, t1), ns
    float widthPx = 1000;    ///< pixels the window spans
    float minVisPx = 3;      ///< events closer than this fold together
};

/// One glyph: a single event, or a fold of `count` events.
struct Glyph {
    float x0 = 0, x1 = 0; ///< pixels; x0 == x1 for a single event
    uint32_t count = 1;
    EventStore::Ref first = 0; ///< the (first) event: for colour, hover, selection
    uint16_t kinds = 0;        ///< kindBit()s of every event inside
};

struct LaneFrame {
    LaneId lane;
    std::vector<Glyph> glyphs;
    uint64_t events = 0; ///< events in the window
};

/// Cull and fold each lane for the viewport. O(lanes x pixels x log n).
std::vector<LaneFrame> buildFrame(const EventStore& store, const std::vector<LaneId>& lanes,
                                  const Viewport& view);

/// The same without folding: one glyph per visible event (the baseline the
/// timeline benchmark compares against). O(visible events).
std::vector<LaneFrame> buildFrameUnfolded(const EventStore& store, const std::vector<LaneId>& lanes,
                                          const Viewport& view);

} // namespace waitscope::timeline
