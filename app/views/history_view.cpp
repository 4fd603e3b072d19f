// History: the session's snapshots as a scrubber (slider + list); picking one shows it (the
// Changes view then diffs it against the one before). When the snapshot was taken at a
// breakpoint stop (capture.stop, docs/snapshot-schema.md) it also shows the stop: function,
// CPU, current task, the arguments with the objects they point at (highlighted on the
// canvas, click to jump), the registers and the kernel stack scan.
#include <algorithm>
#include <string>
#include <unordered_set>

#include <waitscope/model/query.hpp>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

using namespace model;

class HistoryView final : public View {
public:
    const char* name() const override { return "History"; }
    Region region() const override { return Region::Bottom; }
    void report(std::string& out) const override {
        out += " history_entries=" + std::to_string(m_entries) +
               " history_current=" + std::to_string(m_current + 1);
        if (!m_stopFunction.empty())
            out += " stop_function=" + m_stopFunction + " stop_args=" + std::to_string(m_stopArgs) +
                   " stop_highlights=" + std::to_string(m_stopIds);
    }

    void onSnapshot(App& app) override { readStop(app); }

    void drawContent(App& app) override {
        auto session = app.session();
        m_entries = session ? session->size() : 0;
        m_current = app.currentIndex();
        if (!session || session->empty()) {
            ImGui::TextDisabled("no session: open a snapshot, a lab run directory or a .wss file");
            return;
        }
        int at = static_cast<int>(m_current);
        // The slider's format is a printf format: a % in a name must not be one.
        std::string name = (*session)[m_current].name;
        for (std::size_t p = name.find('%'); p != std::string::npos; p = name.find('%', p + 2))
            name.insert(p, "%");
        ImGui::SetNextItemWidth(-1);
        std::string fmt =
            "%d / " + std::to_string(session->size()) + "  " + (*session)[m_current].name;
        int at1 = at + 1;
        if (ImGui::SliderInt("##scrub", &at1, 1, static_cast<int>(session->size()), fmt.c_str()))
            app.goTo(static_cast<std::size_t>(std::max(at1, 1) - 1));
        if (ImGui::BeginTable("##history", 2, ImGuiTableFlags_Resizable, ImVec2(0, 0))) {
            ImGui::TableSetupColumn("snapshots", ImGuiTableColumnFlags_WidthFixed, 220);
            ImGui::TableSetupColumn("stop");
            ImGui::TableNextColumn();
            ImGui::BeginChild("##entries", ImVec2(0, 0));
            for (std::size_t i = 0; i < session->size(); ++i) {
                const SessionEntry& e = (*session)[i];
                std::string label = std::to_string(i + 1) + ". " + e.name;
                if (ImGui::Selectable(label.c_str(), i == m_current))
                    app.goTo(i);
                if (i == m_current && m_follow)
                    ImGui::SetScrollHereY();
            }
            m_follow = false;
            ImGui::EndChild();
            ImGui::TableNextColumn();
            drawStop(app);
            ImGui::EndTable();
        }
    }

private:
    void readStop(App& app) {
        m_follow = true;
        m_stopFunction.clear();
        m_stopArgs = m_stopIds = 0;
        m_ids.clear();
        auto snap = app.snapshot();
        if (!snap)
            return;
        Field stop = snap->meta()[Key::capture].member("stop");
        if (!stop.exists())
            return;
        m_stopFunction = std::string(stop.member("function").str());
        m_stopArgs = stop.member("args").size();
        for (Field id : stop.member("highlight").children())
            if (id.ref().valid() && snap->find(id.ref()))
                m_ids.insert(id.ref());
        m_stopIds = m_ids.size();
        if (m_highlightStop)
            app.setHighlights(m_ids);
    }

    void drawStop(App& app) {
        auto snap = app.snapshot();
        Field stop = snap ? snap->meta()[Key::capture].member("stop") : Field();
        if (!stop.exists()) {
            ImGui::TextDisabled("not a breakpoint stop (waitscope lab run --break SYM records "
                                "the registers and arguments of each stop)");
            return;
        }
        ImGui::BeginChild("##stop", ImVec2(0, 0));
        ImGui::Text("%s  hit %s  cpu %s  pc %s", std::string(stop.member("function").str()).c_str(),
                    stop.member("hit").text().c_str(), stop.member("cpu").text().c_str(),
                    stop.member("pc").text().c_str());
        ObjectId task = stop.member("task").ref();
        ImGui::TextUnformatted("current task:");
        ImGui::SameLine();
        link(app, *snap, task,
             std::string(stop.member("task_comm").str()) + "[" + stop.member("task_pid").text() +
                 "]");
        if (ImGui::Checkbox("highlight what the arguments point at", &m_highlightStop))
            app.setHighlights(m_highlightStop ? m_ids : decltype(m_ids){});
        if (ImGui::BeginTable("##args", 4,
                              ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
            ImGui::TableSetupColumn("arg");
            ImGui::TableSetupColumn("reg");
            ImGui::TableSetupColumn("value");
            ImGui::TableSetupColumn("points at");
            ImGui::TableHeadersRow();
            int row = 0;
            for (Field a : stop.member("args").children()) {
                ImGui::PushID(row++);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(std::string(a.member("name").str()).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(std::string(a.member("reg").str()).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(a.member("value").text().c_str());
                ImGui::TableNextColumn();
                if (ObjectId id = a.member("id").ref(); id.valid())
                    link(app, *snap, id, objectTitle(*snap, id));
                else if (Field ev = a.member("events"); ev.exists()) {
                    std::string names;
                    for (Field n : ev.children())
                        names += (names.empty() ? "" : "|") + std::string(n.str());
                    ImGui::TextUnformatted(names.empty() ? "0" : names.c_str());
                }
                ImGui::PopID();
            }
            ImGui::EndTable();
        }
        if (Field objs = stop.member("objects"); objs.exists() && ImGui::TreeNode("decoded")) {
            int row = 0;
            for (Field o : objs.children()) {
                ImGui::PushID(row++);
                ImGui::Text("%s:", std::string(keyName(o.key())).c_str());
                ImGui::SameLine();
                if (ObjectId id = o.ref(); id.valid())
                    link(app, *snap, id, objectTitle(*snap, id));
                else
                    ImGui::TextUnformatted(o.text().c_str());
                ImGui::PopID();
            }
            ImGui::TreePop();
        }
        if (ImGui::TreeNode("registers")) {
            for (Field r : stop.member("regs").children())
                ImGui::Text("%-6s %s", std::string(keyName(r.key())).c_str(), r.text().c_str());
            ImGui::TreePop();
        }
        if (ImGui::TreeNode("kernel stack (scan, innermost first)")) {
            for (Field e : stop.member("stack_scan").children())
                ImGui::Text("%s  %s", e.member("addr").text().c_str(),
                            std::string(e.member("symbol").str()).c_str());
            ImGui::TreePop();
        }
        ImGui::EndChild();
    }

    static void link(App& app, const Snapshot& snap, ObjectId id, const std::string& text) {
        bool present = snap.find(id) != nullptr;
        if (!present) {
            ImGui::TextDisabled("%s (not in this snapshot)", text.c_str());
            return;
        }
        if (ImGui::SmallButton(text.c_str()))
            app.jumpTo(id);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s", toString(id).c_str());
    }

    std::size_t m_entries = 0, m_current = 0;
    bool m_follow = true;
    bool m_highlightStop = true;
    std::string m_stopFunction;
    std::size_t m_stopArgs = 0, m_stopIds = 0;
    std::unordered_set<ObjectId> m_ids;
};

} // namespace

std::unique_ptr<View> makeHistoryView() {
    return std::make_unique<HistoryView>();
}

} // namespace waitscope::app
