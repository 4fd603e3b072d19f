// The window's panel layout (no docking in ImGui 1.86: four regions with splitters, each a
// tab bar of its open views), the menu bar, the status bar and the global shortcuts.
#include <algorithm>
#include <cmath>

#include <waitscope/model/query.hpp>

#include "../sources/file_source.hpp"
#include "app.hpp"
#include "keys.hpp"

namespace waitscope::app {

namespace {

constexpr float SplitterSize = 6.0f;

bool splitter(const char* id, bool vertical, float length, float& value, float sign, float lo,
              float hi) {
    ImGui::InvisibleButton(id,
                           vertical ? ImVec2(SplitterSize, length) : ImVec2(length, SplitterSize));
    bool active = ImGui::IsItemActive();
    if (ImGui::IsItemHovered() || active)
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    if (active) {
        ImVec2 d = ImGui::GetIO().MouseDelta;
        value = std::clamp(value + sign * (vertical ? d.x : d.y), lo, hi);
    }
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddRectFilled(
        a, b, ImGui::GetColorU32(active ? ImGuiCol_SeparatorActive : ImGuiCol_Separator, 0.5f));
    return active;
}

} // namespace

void App::frame() {
    for (auto& v : m_views)
        v->onFrame(*this);
    handleShortcuts();
    if (m_lecture && m_fonts.uiLarge)
        ImGui::PushFont(m_fonts.uiLarge);
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(4, 4));
    ImGui::Begin("##waitscope", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_MenuBar |
                     ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollbar);
    ImGui::PopStyleVar();
    drawMenuBar();
    drawPanels();
    drawStatusBar();
    ImGui::End();
    if (m_lecture && m_fonts.uiLarge)
        ImGui::PopFont();
}

void App::drawPanels() {
    auto anyOpen = [this](Region r) {
        if (m_lecture && r == Region::Left)
            return false; // lecture mode gives the canvas the room; stepping is by keyboard
        for (const auto& v : m_views)
            if (v->isOpen() && v->region() == r)
                return true;
        return false;
    };
    const float statusH = ImGui::GetFrameHeightWithSpacing() + 4;
    ImVec2 avail = ImGui::GetContentRegionAvail();
    float h = std::max(100.0f, avail.y - statusH);
    bool left = anyOpen(Region::Left), right = anyOpen(Region::Right),
         bottom = anyOpen(Region::Bottom);
    float maxSide = std::max(150.0f, avail.x / 2.5f);
    m_settings.leftWidth = std::clamp(m_settings.leftWidth, 150.0f, maxSide);
    m_settings.rightWidth = std::clamp(m_settings.rightWidth, 150.0f, maxSide);
    float lw = left ? m_settings.leftWidth : 0, rw = right ? m_settings.rightWidth : 0;
    float midW = avail.x - lw - rw - (left ? SplitterSize : 0) - (right ? SplitterSize : 0);
    m_settings.bottomHeight = std::clamp(m_settings.bottomHeight, 60.0f, h * 0.7f);
    float bh = bottom ? m_settings.bottomHeight : 0;

    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 0));
    if (left) {
        drawRegion(Region::Left, "##left", ImVec2(lw, h));
        ImGui::SameLine();
        splitter("##split-left", true, h, m_settings.leftWidth, 1, 150, maxSide);
        ImGui::SameLine();
    }
    ImGui::BeginGroup();
    drawRegion(Region::Center, "##center", ImVec2(midW, h - bh - (bottom ? SplitterSize : 0)));
    if (bottom) {
        splitter("##split-bottom", false, midW, m_settings.bottomHeight, -1, 60, h * 0.7f);
        drawRegion(Region::Bottom, "##bottom", ImVec2(midW, bh));
    }
    ImGui::EndGroup();
    if (right) {
        ImGui::SameLine();
        splitter("##split-right", true, h, m_settings.rightWidth, -1, 150, maxSide);
        ImGui::SameLine();
        drawRegion(Region::Right, "##right", ImVec2(rw, h));
    }
    ImGui::PopStyleVar();
}

void App::drawRegion(Region region, const char* id, ImVec2 size) {
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(8, 4));
    ImGui::BeginChild(id, size, true, ImGuiWindowFlags_NoScrollbar);
    std::vector<View*> views;
    for (const auto& v : m_views)
        if (v->isOpen() && v->region() == region)
            views.push_back(v.get());
    if (ImGui::BeginTabBar(id,
                           ImGuiTabBarFlags_Reorderable | ImGuiTabBarFlags_FittingPolicyScroll)) {
        for (View* v : views) {
            ImGuiTabItemFlags flags = v->focusRequested() ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(v->name(), v->openFlag(), flags)) {
                ImGui::BeginChild(v->name(), ImVec2(0, 0), false);
                v->drawContent(*this);
                v->takeFocusRequest();
                ImGui::EndChild();
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    ImGui::EndChild();
    ImGui::PopStyleVar();
}

void App::drawMenuBar() {
    if (!ImGui::BeginMenuBar())
        return;
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Open...", "Ctrl+O"))
            openView("Targets");
        if (ImGui::MenuItem("Open the demo"))
            openDemo();
        if (ImGui::MenuItem("Capture again", "F5", false, m_liveTarget.has_value()))
            captureAgain();
        if (ImGui::BeginMenu("Recent", !m_settings.recent.empty())) {
            for (const std::string& r : std::vector<std::string>(m_settings.recent))
                if (ImGui::MenuItem(r.c_str()))
                    open(r);
            ImGui::EndMenu();
        }
        ImGui::Separator();
        if (ImGui::MenuItem("Export...", nullptr, false, snapshot() != nullptr))
            openView("Export");
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q"))
            m_quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        for (const auto& v : m_views)
            if (ImGui::MenuItem(v->name(), nullptr, v->isOpen()))
                openView(v->name(), !v->isOpen());
        ImGui::Separator();
        if (ImGui::MenuItem("Lecture mode", "Ctrl+L", m_lecture))
            setLecture(!m_lecture);
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Scene")) {
        if (ImGui::MenuItem("Overview", "Esc"))
            showScene(SceneRequest{});
        if (ImGui::MenuItem("Workqueues and pools")) {
            SceneRequest r;
            r.kind = SceneKind::Workqueues;
            showScene(r);
        }
        if (ImGui::MenuItem("Expand the selection", "Enter", false, m_selection.valid()))
            expand(m_selection);
        if (ImGui::MenuItem("Zoom to fit", "F"))
            requestFit();
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Snapshot", m_session && m_session->size() > 0)) {
        if (ImGui::MenuItem("Previous", "PageUp", false, m_current > 0))
            step(-1);
        if (ImGui::MenuItem("Next", "PageDown", false,
                            m_session && m_current + 1 < m_session->size()))
            step(1);
        ImGui::Separator();
        for (std::size_t i = 0; m_session && i < m_session->size(); ++i) {
            std::string label = std::to_string(i + 1) + ". " + (*m_session)[i].name;
            if (ImGui::MenuItem(label.c_str(), nullptr, i == m_current))
                goTo(i);
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        ImGui::TextUnformatted("Canvas: drag to pan, wheel to zoom, click selects,");
        ImGui::TextUnformatted("double-click (or Enter) expands, F fits, Esc: overview.");
        ImGui::TextUnformatted("PageUp/PageDown: previous/next snapshot (lecture mode:");
        ImGui::TextUnformatted("also Left/Right/Space). Ctrl+F search, Ctrl+O open,");
        ImGui::TextUnformatted("Ctrl+L lecture mode, Ctrl+Q quit.");
        ImGui::EndMenu();
    }
    // The snapshot stepper, always visible.
    if (m_session && m_session->size() > 0) {
        ImGui::Separator();
        if (ImGui::ArrowButton("##prev", ImGuiDir_Left))
            step(-1);
        ImGui::SameLine();
        ImGui::Text("%zu/%zu %s", m_current + 1, m_session->size(),
                    (*m_session)[m_current].name.c_str());
        ImGui::SameLine();
        if (ImGui::ArrowButton("##next", ImGuiDir_Right))
            step(1);
        if (m_changes && m_changes->to == m_current)
            ImGui::TextColored(ImVec4(1, 0.85f, 0.2f, 1), "  +%zu -%zu ~%zu",
                               m_changes->diff.added.size(), m_changes->diff.removed.size(),
                               m_changes->diff.changed.size());
    }
    if (m_lecture)
        ImGui::TextColored(ImVec4(0.3f, 1, 0.4f, 1), "  LECTURE");
    ImGui::EndMenuBar();
}

void App::drawStatusBar() {
    ImGui::Separator();
    auto s = snapshot();
    if (s) {
        ImGui::Text(
            "%zu objects | kernel %s | %s%s%s", s->size(), std::string(s->kernelRelease()).c_str(),
            std::string(s->captureSource()).c_str(), s->captureMark().empty() ? "" : " mark ",
            std::string(s->captureMark()).c_str());
    } else {
        ImGui::TextUnformatted(m_pendingLoads ? "loading..." : "no snapshot open (File > Open)");
    }
    std::vector<JobPtr> jobs = m_workers->active();
    for (const JobPtr& j : m_introspect->active())
        jobs.push_back(j);
    for (const JobPtr& j : m_lab->active())
        jobs.push_back(j);
    for (const JobPtr& job : jobs) {
        ImGui::SameLine(0, 24);
        double p = job->progress();
        ImGui::TextUnformatted(job->label().c_str());
        ImGui::SameLine();
        ImGui::ProgressBar(p < 0 ? static_cast<float>(std::fmod(now(), 1.0))
                                 : static_cast<float>(p),
                           ImVec2(120, 0), p < 0 ? "" : nullptr);
        if (job->cancellable) {
            ImGui::SameLine();
            ImGui::PushID(job.get());
            if (ImGui::SmallButton("Cancel")) {
                job->cancel();
                m_introspect->cancelRunning();
            }
            ImGui::PopID();
        }
    }
    if (!m_log.empty() && m_log.back().level != LogLine::Info && now() - m_log.back().time < 8) {
        ImGui::SameLine(0, 24);
        ImGui::TextColored(m_log.back().level == LogLine::Error ? ImVec4(1, 0.4f, 0.4f, 1)
                                                                : ImVec4(1, 0.8f, 0.3f, 1),
                           "%s", m_log.back().text.c_str());
    }
}

void App::handleShortcuts() {
    ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput)
        return;
    if (ctrlHeld()) {
        if (charKeyPressed('O'))
            openView("Targets");
        if (charKeyPressed('F'))
            openView("Search");
        if (charKeyPressed('L'))
            setLecture(!m_lecture);
        if (charKeyPressed('Q'))
            m_quit = true;
        return;
    }
    if (namedKeyPressed(ImGuiKey_PageDown))
        step(1);
    if (namedKeyPressed(ImGuiKey_PageUp))
        step(-1);
    if (m_lecture) {
        if (namedKeyPressed(ImGuiKey_RightArrow) || namedKeyPressed(ImGuiKey_Space))
            step(1);
        if (namedKeyPressed(ImGuiKey_LeftArrow) || namedKeyPressed(ImGuiKey_Backspace))
            step(-1);
        if (namedKeyPressed(ImGuiKey_Home, false))
            goTo(0);
        if (namedKeyPressed(ImGuiKey_End, false) && m_session && !m_session->empty())
            goTo(m_session->size() - 1);
    }
    if (namedKeyPressed(ImGuiKey_Enter, false) && m_selection.valid())
        expand(m_selection);
    if (namedKeyPressed(ImGuiKey_Escape, false))
        showScene(SceneRequest{});
    if (charKeyPressed('F'))
        requestFit();
    if (ImGui::IsKeyPressed(294 /* GLFW_KEY_F5 */, false))
        captureAgain();
}

} // namespace waitscope::app
