// The log: walk warnings (partial objects, caps, faults) from the snapshot, load errors,
// timings of captures and scene builds.
#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

class LogView final : public View {
public:
    const char* name() const override { return "Log"; }
    Region region() const override { return Region::Bottom; }

    void drawContent(App& app) override {
        if (auto s = app.snapshot()) {
            auto& m = s->meta();
            model::Field c = m[model::Key::capture];
            ImGui::TextDisabled(
                "capture: source %s, %s load %s ms, walk %s ms, pause %s ms, total %s ms",
                c[model::Key::source].text().c_str(), c[model::internKey("tool")].text().c_str(),
                c[model::internKey("load_ms")].text().c_str(),
                c[model::internKey("walk_ms")].text().c_str(),
                c[model::internKey("pause_ms")].text().c_str(),
                c[model::internKey("total_ms")].text().c_str());
            model::Field caps = m[model::Key::capabilities];
            std::string missing;
            for (model::Field cap : caps.children())
                if (cap[model::Key::status].str() != "ok")
                    missing += " " + std::string(model::keyName(cap.key())) + "=" +
                               cap[model::Key::status].text();
            if (!missing.empty())
                ImGui::TextColored(ImVec4(1, 0.75f, 0.3f, 1), "capabilities not ok:%s",
                                   missing.c_str());
        }
        ImGui::Checkbox("warnings only", &m_warningsOnly);
        ImGui::SameLine();
        ImGui::SetNextItemWidth(200);
        ImGui::InputTextWithHint("##f", "filter", m_filter, sizeof m_filter);
        ImGui::BeginChild("##lines");
        const auto& lines = app.logLines();
        std::vector<const LogLine*> shown;
        for (const LogLine& l : lines)
            if ((!m_warningsOnly || l.level != LogLine::Info) &&
                (!m_filter[0] || l.text.find(m_filter) != std::string::npos))
                shown.push_back(&l);
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(shown.size()));
        while (clipper.Step())
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                const LogLine& l = *shown[static_cast<std::size_t>(i)];
                ImVec4 col = l.level == LogLine::Error     ? ImVec4(1, 0.45f, 0.45f, 1)
                             : l.level == LogLine::Warning ? ImVec4(1, 0.8f, 0.35f, 1)
                                                           : ImVec4(0.8f, 0.8f, 0.8f, 1);
                ImGui::TextColored(col, "%7.2f  %s", l.time, l.text.c_str());
            }
        if (shown.size() != m_lastCount) {
            m_lastCount = shown.size();
            ImGui::SetScrollHereY(1.0f);
        }
        ImGui::EndChild();
    }

private:
    bool m_warningsOnly = false;
    char m_filter[96] = {};
    std::size_t m_lastCount = 0;
};

} // namespace

std::unique_ptr<View> makeLogView() {
    return std::make_unique<LogView>();
}

} // namespace waitscope::app
