// Drawing helpers of the timeline view.
#include "timeline_draw.hpp"

#include <cinttypes>
#include <cmath>

namespace waitscope::app {

namespace tl = timeline;

ImU32 kindColour(int bit) {
    static const ImU32 C[16] = {
        IM_COL32(150, 150, 150, 255), IM_COL32(120, 200, 255, 255), // unknown, open
        IM_COL32(90, 220, 120, 255),  IM_COL32(240, 170, 60, 255),  // add, del
        IM_COL32(110, 140, 255, 255), IM_COL32(255, 80, 80, 255),   // poll, wake
        IM_COL32(180, 120, 220, 255), IM_COL32(150, 150, 150, 255), // release, -
        IM_COL32(255, 230, 90, 255),  IM_COL32(120, 120, 140, 255), // sched_wakeup, switch
        IM_COL32(255, 120, 200, 255), IM_COL32(255, 255, 255, 255), // ep_poll_callback, mark
        IM_COL32(150, 150, 150, 255), IM_COL32(150, 150, 150, 255),
        IM_COL32(150, 150, 150, 255), IM_COL32(150, 150, 150, 255)};
    return C[bit & 15];
}
int bitIndex(std::uint16_t bits) {
    for (int i = 0; i < 16; ++i)
        if (bits & (1u << i))
            return i;
    return 0;
}
const char* bitName(int bit) {
    static const char* N[16] = {"unknown",
                                "vpoll_open",
                                "vpoll_add",
                                "vpoll_del",
                                "vpoll_poll",
                                "vpoll_wake",
                                "vpoll_release",
                                "",
                                "sched_wakeup",
                                "sched_switch",
                                "ep_poll_callback",
                                "mark",
                                "",
                                "",
                                "",
                                ""};
    return N[bit & 15];
}

std::string fmtNs(double ns) {
    char b[32];
    double a = std::fabs(ns);
    if (a >= 1e9)
        std::snprintf(b, sizeof b, "%.6g s", ns / 1e9);
    else if (a >= 1e6)
        std::snprintf(b, sizeof b, "%.6g ms", ns / 1e6);
    else if (a >= 1e3)
        std::snprintf(b, sizeof b, "%.6g us", ns / 1e3);
    else
        std::snprintf(b, sizeof b, "%.4g ns", ns);
    return b;
}

void drawEventTooltip(const TimelineData& d, const tl::Glyph& g, tl::EventStore::Ref ref) {
    tl::Event e = d.store.at(ref);
    const tl::TaskInfo* t = d.store.task(e.pid);
    ImGui::BeginTooltip();
    if (g.count > 1) {
        ImGui::Text("%u events folded (double-click to zoom in); kinds:", g.count);
        for (int b = 0; b < 16; ++b)
            if (g.kinds & (1u << b))
                ImGui::TextColored(ImColor(kindColour(b)), "  %s", bitName(b));
        ImGui::Separator();
        ImGui::TextDisabled("first:");
    }
    ImGui::TextColored(ImColor(kindColour(bitIndex(tl::kindBit(e.kind)))), "%s",
                       std::string(tl::kindName(e.kind)).c_str());
    ImGui::Text("t = %s (+%s)  seq %u  CPU %u", fmtNs(static_cast<double>(e.tsNs)).c_str(),
                fmtNs(static_cast<double>(e.tsNs - d.firstNs)).c_str(), e.seq, e.cpu);
    ImGui::Text("task %s[%d]%s", t ? t->comm.c_str() : "?", e.pid,
                t && t->tgid && t->tgid != e.pid ? (" of " + std::to_string(t->tgid)).c_str() : "");
    if (TimelineFilter::isVpoll(e)) {
        ImGui::Text("instance %u  events 0x%x", e.instance, e.events);
        if (e.kind == tl::Kind::VpollWake)
            ImGui::Text("waiters %u, exclusive %u%s", e.waiters(), e.exclusive(),
                        (e.flags & tl::FlagFolded) ? "  (in its ADD/DEL record)" : "");
        else
            ImGui::Text("arg 0x%x%s", e.arg,
                        (e.flags & tl::FlagPollTable) ? "  (registered a waiter)" : "");
    } else {
        ImGui::Text("other %u  arg 0x%x  events 0x%x", e.instance, e.arg, e.events);
    }
    ImGui::EndTooltip();
}

void drawTimelineSide(const TimelineData& d) {
    ImGui::TextUnformatted("Kinds");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (int b = 0; b < 16; ++b) {
        if (!d.kindCounts[static_cast<std::size_t>(b)])
            continue;
        ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(ImVec2(p.x, p.y + 3), ImVec2(p.x + 10, p.y + 13), kindColour(b));
        ImGui::Dummy(ImVec2(14, 14));
        ImGui::SameLine();
        ImGui::Text("%-16s %" PRIu64, bitName(b), d.kindCounts[static_cast<std::size_t>(b)]);
    }
    ImGui::Separator();
    const tl::LatencyStats& l = d.latency;
    ImGui::Text("Wakeup latency: %zu wakeups", l.wakeups.size());
    if (l.wakeups.empty()) {
        ImGui::TextDisabled("(no WAKE answered by another task)");
        return;
    }
    ImGui::Text("min %s  median %s", fmtNs(static_cast<double>(l.minNs)).c_str(),
                fmtNs(static_cast<double>(l.medianNs)).c_str());
    ImGui::Text("p99 %s  max %s", fmtNs(static_cast<double>(l.p99Ns)).c_str(),
                fmtNs(static_cast<double>(l.maxNs)).c_str());
    // Log2 histogram: one bar per power of two between the first and last non-empty.
    std::size_t lo = l.log2Histogram.size(), hi = 0;
    std::uint64_t peak = 1;
    for (std::size_t i = 0; i < l.log2Histogram.size(); ++i)
        if (l.log2Histogram[i]) {
            lo = std::min(lo, i);
            hi = i;
            peak = std::max(peak, l.log2Histogram[i]);
        }
    ImVec2 p = ImGui::GetCursorScreenPos();
    float w = ImGui::GetContentRegionAvail().x - 8, h = 70;
    ImGui::InvisibleButton("##hist", ImVec2(w, h + 16));
    dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), IM_COL32(30, 30, 36, 255));
    std::size_t n = hi - lo + 1;
    float bw = w / static_cast<float>(n);
    for (std::size_t i = lo; i <= hi; ++i) {
        float bx = p.x + static_cast<float>(i - lo) * bw;
        float bh = h * static_cast<float>(l.log2Histogram[i]) / static_cast<float>(peak);
        dl->AddRectFilled(ImVec2(bx + 1, p.y + h - bh), ImVec2(bx + bw - 1, p.y + h),
                          IM_COL32(255, 80, 80, 255));
        if (ImGui::IsItemHovered() && ImGui::GetIO().MousePos.x >= bx &&
            ImGui::GetIO().MousePos.x < bx + bw)
            ImGui::SetTooltip(
                "[%s, %s): %" PRIu64, fmtNs(std::ldexp(1.0, static_cast<int>(i))).c_str(),
                fmtNs(std::ldexp(1.0, static_cast<int>(i) + 1)).c_str(), l.log2Histogram[i]);
    }
    dl->AddText(ImVec2(p.x, p.y + h + 1), IM_COL32(160, 160, 160, 255),
                fmtNs(std::ldexp(1.0, static_cast<int>(lo))).c_str());
    std::string right = fmtNs(std::ldexp(1.0, static_cast<int>(hi) + 1));
    dl->AddText(ImVec2(p.x + w - ImGui::CalcTextSize(right.c_str()).x, p.y + h + 1),
                IM_COL32(160, 160, 160, 255), right.c_str());
}

} // namespace waitscope::app
