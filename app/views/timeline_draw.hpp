// Drawing helpers of the timeline view (app/views/timeline_view.cpp): kind colours and
// names, time formatting, the event tooltip, and the side panel (legend with counts, wakeup
// latency statistics and histogram).
#pragma once

#include <imgui.h>

#include <cstdint>
#include <string>

#include <waitscope/timeline/frame.hpp>

#include "../sources/timeline_source.hpp"

namespace waitscope::app {

/// Colour of kindBit index `bit` (timeline::kindBit): vpoll kinds 1-6, sched 8-9, kprobe 10,
/// mark 11.
[[nodiscard]] ImU32 kindColour(int bit);
/// Index of the lowest set bit (0 when none).
[[nodiscard]] int bitIndex(std::uint16_t bits);
/// The kind name of kindBit index `bit`.
[[nodiscard]] const char* bitName(int bit);
/// "1.5 ms", "820 ns", ...
[[nodiscard]] std::string fmtNs(double ns);

/// The tooltip of a glyph: the event (or the first of a fold, with the fold's count/kinds).
void drawEventTooltip(const TimelineData& d, const timeline::Glyph& g,
                      timeline::EventStore::Ref ref);
/// The right-hand panel: legend with counts, wakeup latency and its log2 histogram.
void drawTimelineSide(const TimelineData& d);

} // namespace waitscope::app
