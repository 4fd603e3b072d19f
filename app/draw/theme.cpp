// Theme colours. Red/black are the rbtree's real colours; ready items glow green, the
// ovflist is orange, partial objects get a dashed magenta border.
#include "theme.hpp"

namespace waitscope::app {

namespace {

constexpr ImU32 rgb(unsigned r, unsigned g, unsigned b, unsigned a = 255) {
    return IM_COL32(r, g, b, a);
}

Theme makeDark() {
    Theme t{};
    auto set = [&t](NodeStyle s, ImU32 fill, ImU32 border, ImU32 text) {
        t.nodes[static_cast<int>(s)] = {fill, border, text};
    };
    const ImU32 light = rgb(235, 235, 235), dark = rgb(20, 20, 20);
    set(NodeStyle::Task, rgb(46, 84, 140), rgb(120, 160, 220), light);
    set(NodeStyle::TaskBlocked, rgb(70, 60, 130), rgb(160, 140, 240), light);
    set(NodeStyle::Eventpoll, rgb(30, 110, 110), rgb(90, 200, 200), light);
    set(NodeStyle::EpitemRed, rgb(190, 40, 40), rgb(255, 120, 120), light);
    set(NodeStyle::EpitemBlack, rgb(28, 28, 28), rgb(150, 150, 150), light);
    set(NodeStyle::Epitem, rgb(80, 80, 90), rgb(170, 170, 180), light);
    set(NodeStyle::File, rgb(90, 90, 60), rgb(200, 200, 140), light);
    set(NodeStyle::Folded, rgb(70, 70, 70), rgb(200, 200, 200), light);
    set(NodeStyle::WaitHead, rgb(110, 70, 30), rgb(230, 160, 90), light);
    set(NodeStyle::WaitEntry, rgb(130, 95, 40), rgb(240, 190, 110), light);
    set(NodeStyle::Pool, rgb(40, 90, 60), rgb(110, 200, 140), light);
    set(NodeStyle::Worker, rgb(50, 70, 55), rgb(120, 160, 130), light);
    set(NodeStyle::WorkerBusy, rgb(150, 60, 30), rgb(250, 140, 90), light);
    set(NodeStyle::Work, rgb(70, 60, 90), rgb(170, 150, 210), light);
    set(NodeStyle::Workqueue, rgb(40, 60, 90), rgb(120, 150, 210), light);
    set(NodeStyle::RingSlot, rgb(40, 40, 48), rgb(100, 100, 120), light);
    set(NodeStyle::RingSlotFull, rgb(40, 110, 160), rgb(120, 190, 240), light);
    set(NodeStyle::Note, rgb(50, 50, 56), rgb(130, 130, 140), light);
    (void)dark;
    auto edge = [&t](EdgeStyle s, ImU32 c) { t.edges[static_cast<int>(s)] = c; };
    edge(EdgeStyle::Tree, rgb(170, 170, 170));
    edge(EdgeStyle::Holds, rgb(120, 160, 220));
    edge(EdgeStyle::Waits, rgb(190, 150, 255));
    edge(EdgeStyle::Watches, rgb(90, 200, 200));
    edge(EdgeStyle::Targets, rgb(200, 200, 140));
    edge(EdgeStyle::Nested, rgb(255, 110, 200));
    edge(EdgeStyle::Ready, rgb(80, 230, 110));
    edge(EdgeStyle::Ovf, rgb(255, 160, 40));
    edge(EdgeStyle::Chain, rgb(230, 160, 90));
    edge(EdgeStyle::Owner, rgb(160, 140, 240));
    edge(EdgeStyle::Work, rgb(110, 200, 140));
    t.canvasBg = rgb(24, 26, 30);
    t.grid = rgb(40, 43, 50);
    t.frame = rgb(90, 95, 110);
    t.frameText = rgb(160, 165, 180);
    t.selection = rgb(255, 230, 60);
    t.highlight = rgb(0, 200, 255);
    t.hover = rgb(255, 255, 255, 160);
    t.ready = rgb(80, 230, 110);
    t.ovf = rgb(255, 160, 40);
    t.partial = rgb(255, 60, 255);
    t.added = rgb(60, 255, 120);
    t.changed = rgb(255, 210, 40);
    t.edgeText = rgb(200, 200, 210);
    t.badgeBg = rgb(80, 230, 110);
    t.badgeText = rgb(0, 0, 0);
    t.edgeWidth = 1.5f;
    return t;
}

Theme makeHighContrast() {
    Theme t = makeDark();
    t.highContrast = true;
    t.canvasBg = rgb(0, 0, 0);
    t.grid = rgb(30, 30, 30);
    t.frame = rgb(200, 200, 200);
    t.frameText = rgb(255, 255, 255);
    t.edgeText = rgb(255, 255, 255);
    t.edgeWidth = 3.0f;
    auto bright = [&t](NodeStyle s, ImU32 fill, ImU32 border) {
        t.nodes[static_cast<int>(s)] = {fill, border, rgb(255, 255, 255)};
    };
    bright(NodeStyle::EpitemRed, rgb(220, 0, 0), rgb(255, 255, 255));
    bright(NodeStyle::EpitemBlack, rgb(0, 0, 0), rgb(255, 255, 255));
    bright(NodeStyle::Eventpoll, rgb(0, 120, 140), rgb(0, 255, 255));
    bright(NodeStyle::TaskBlocked, rgb(90, 0, 170), rgb(220, 170, 255));
    bright(NodeStyle::Task, rgb(0, 70, 170), rgb(140, 200, 255));
    bright(NodeStyle::WaitEntry, rgb(160, 100, 0), rgb(255, 220, 120));
    bright(NodeStyle::File, rgb(110, 110, 0), rgb(255, 255, 120));
    for (ImU32& e : t.edges)
        e |= IM_COL32(0, 0, 0, 255);
    t.edges[static_cast<int>(EdgeStyle::Tree)] = rgb(255, 255, 255);
    return t;
}

} // namespace

const Theme& darkTheme() {
    static const Theme t = makeDark();
    return t;
}

const Theme& highContrastTheme() {
    static const Theme t = makeHighContrast();
    return t;
}

void applyImGuiStyle(bool highContrast) {
    ImGuiStyle& st = ImGui::GetStyle();
    if (highContrast) {
        ImGui::StyleColorsDark(&st);
        st.Colors[ImGuiCol_WindowBg] = ImVec4(0, 0, 0, 1);
        st.Colors[ImGuiCol_Text] = ImVec4(1, 1, 1, 1);
        st.Colors[ImGuiCol_Border] = ImVec4(1, 1, 1, 0.6f);
        st.Colors[ImGuiCol_Header] = ImVec4(0.1f, 0.35f, 0.9f, 1);
        st.Colors[ImGuiCol_HeaderHovered] = ImVec4(0.2f, 0.45f, 1, 1);
        st.Colors[ImGuiCol_Tab] = ImVec4(0.15f, 0.15f, 0.15f, 1);
        st.Colors[ImGuiCol_TabActive] = ImVec4(0.1f, 0.35f, 0.9f, 1);
        st.FrameBorderSize = 1;
    } else {
        ImGui::StyleColorsDark(&st);
        st.FrameBorderSize = 0;
    }
    st.WindowRounding = 0;
    st.FrameRounding = 3;
    st.TabRounding = 3;
}

} // namespace waitscope::app
