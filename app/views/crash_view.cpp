// The crash report: a snapshot's `crash` section (a vmcore of a panicked kernel,
// docs/snapshot-schema.md) — reason, panic message, crashing task and CPU with its stack,
// the wait/epoll locks held, tasks in D state, the last vpoll events and the dmesg tail.
// It opens (and comes to the front) when a snapshot with a panic is shown; every object in
// it is clickable: click selects it (inspector), double-click also shows the graph.
#include <memory>
#include <string>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

using namespace model;

const ImVec4 Red(1.0f, 0.45f, 0.4f, 1.0f);
const ImVec4 Amber(1.0f, 0.78f, 0.35f, 1.0f);
const ImVec4 Grey(0.65f, 0.65f, 0.65f, 1.0f);

/// The `crash` member of the snapshot's metadata (invalid when absent).
Field crashOf(const Snapshot& s) {
    return s.meta()[internKey("crash")];
}

class CrashView final : public View {
public:
    const char* name() const override { return "Crash"; }
    Region region() const override { return Region::Center; }
    bool openByDefault() const override { return false; }

    void report(std::string& out) const override {
        // Only what the last frames drew: a hidden tab reports nothing.
        if (m_drawnReason.empty() || ImGui::GetFrameCount() - m_drawnFrame > 2)
            return;
        out += " crash_reason=" + m_drawnReason + " crash_task=" + m_drawnTask +
               " crash_locks=" + std::to_string(m_drawnLocks) +
               " crash_events=" + std::to_string(m_drawnEvents) +
               " crash_dmesg=" + std::to_string(m_drawnDmesg);
    }

    void onSnapshot(App& app) override {
        auto s = app.snapshot();
        if (!s || s == m_seen.lock())
            return;
        m_seen = s;
        if (crashOf(*s).member("panic").asBool()) {
            // A post-mortem: the report is what to read first.
            setOpen(true);
            requestFocus();
        }
    }

    void drawContent(App& app) override {
        m_drawnReason.clear();
        auto s = app.snapshot();
        Field c = s ? crashOf(*s) : Field();
        if (!c || !c.member("panic").asBool()) {
            ImGui::TextDisabled("no panic in this snapshot%s%s", c ? ": " : "",
                                c ? std::string(c.member("note").str()).c_str() : "");
            return;
        }
        m_app = &app;
        m_row = 0;
        m_drawnReason = c.member("reason").text();
        m_drawnFrame = ImGui::GetFrameCount();
        ImGui::PushStyleColor(ImGuiCol_Text, Red);
        ImGui::Text("KERNEL PANIC: %s", std::string(c.member("reason_text").str()).c_str());
        ImGui::PopStyleColor();
        ImGui::Text("Kernel panic - not syncing: %s", c.member("message").text().c_str());
        ImGui::TextColored(Grey, "reason %s, panic on CPU %s, kernel %s", m_drawnReason.c_str(),
                           c.member("panic_cpu").text().c_str(),
                           std::string(s->kernelRelease()).c_str());
        for (Field cpu : c.member("cpus").children()) {
            ImGui::Text("CPU %s:", cpu.member("cpu").text().c_str());
            ImGui::SameLine();
            link(cpu.member("task").text(), std::string(cpu.member("label").str()));
        }
        ImGui::BeginChild("##crash");
        Field task = c.member("task");
        m_drawnTask = task ? task.member("id").text() : "none";
        if (task && ImGui::CollapsingHeader("Crashing task", ImGuiTreeNodeFlags_DefaultOpen)) {
            taskLine(task);
            ImGui::TextColored(Grey, "why: %s", std::string(task.member("why").str()).c_str());
            stack(task);
        }
        Field panicTask = c.member("panic_task");
        if (panicTask && panicTask.member("id").text() != m_drawnTask &&
            ImGui::CollapsingHeader("Task that called panic()")) {
            taskLine(panicTask);
            stack(panicTask);
        }
        drawLocks(c.member("locks"));
        Field dState = c.member("d_state");
        std::string dTitle = "Tasks in D state (" + std::to_string(dState.size()) + ")###d";
        if (ImGui::CollapsingHeader(dTitle.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) {
            if (dState.size() == 0)
                ImGui::TextDisabled("none");
            for (Field t : dState.children()) {
                taskLine(t);
                ImGui::Indent();
                stack(t);
                ImGui::Unindent();
            }
        }
        drawEvents(c);
        drawDmesg(c);
        for (Field n : c.member("notes").children())
            ImGui::TextColored(Grey, "note: %s", std::string(n.str()).c_str());
        ImGui::EndChild();
    }

private:
    /// A clickable object id (select; double-click: show it in the graph).
    void link(const std::string& idText, const std::string& label) {
        auto id = parseObjectId(idText);
        ImGui::PushID(static_cast<int>(m_row++));
        std::string text = label.empty() ? idText : label + "  (" + idText + ")";
        bool selected = id && m_app->selection() == *id;
        if (ImGui::Selectable(text.c_str(), selected, ImGuiSelectableFlags_AllowDoubleClick,
                              ImVec2(ImGui::CalcTextSize(text.c_str()).x, 0)) &&
            id) {
            m_app->jumpTo(*id);
            if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
                m_app->openView("Graph");
        }
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("click: select (inspector); double-click: show in the graph");
        ImGui::PopID();
    }

    void taskLine(Field t) {
        std::string cpu = t.member("cpu") ? " on CPU " + t.member("cpu").text() : "";
        link(t.member("id").text(), std::string(t.member("label").str()) + cpu + ", state " +
                                        std::string(t.member("state").str()));
    }

    void stack(Field t) {
        std::string status(t.member("stack_status").str());
        if (status != "ok") {
            ImGui::PushStyleColor(ImGuiCol_Text, Amber);
            ImGui::TextWrapped("stack %s: %s", status.c_str(),
                               std::string(t.member("stack_note").str()).c_str());
            ImGui::PopStyleColor();
        }
        for (Field f : t.member("stack").children()) {
            std::string module(f.member("module").str());
            ImGui::Text("    %s%s", f.member("symbol").text().c_str(),
                        module.empty() ? "" : (" [" + module + "]").c_str());
        }
    }

    void drawLocks(Field locks) {
        m_drawnLocks = locks.size();
        std::string title = "Locks held (" + std::to_string(locks.size()) + ")###locks";
        if (!ImGui::CollapsingHeader(title.c_str(), ImGuiTreeNodeFlags_DefaultOpen))
            return;
        if (locks.size() == 0)
            ImGui::TextDisabled("no wait queue or epoll lock of this snapshot is held");
        for (Field lk : locks.children()) {
            ImGui::TextColored(Red, "%s", std::string(lk.member("kind").str()).c_str());
            ImGui::SameLine();
            std::string label(lk.member("label").str());
            link(lk.member("object").text(),
                 label.empty() ? std::string(lk.member("field").str()) : label);
            if (lk.member("container") && !lk.member("container").isNull()) {
                ImGui::SameLine();
                ImGui::TextColored(Grey, "in");
                ImGui::SameLine();
                link(lk.member("container").text(), "");
            }
            ImGui::Indent();
            if (lk.member("holder")) {
                ImGui::TextColored(Amber, "%s",
                                   lk.member("holder_inferred").asBool() ? "inferred holder:"
                                                                         : "owner:");
                ImGui::SameLine();
                link(lk.member("holder").text(), std::string(lk.member("holder_label").str()));
            }
            if (lk.member("value"))
                ImGui::TextColored(
                    Grey, "lock word 0x%llx",
                    static_cast<unsigned long long>(lk.member("value").asU64().value_or(0)));
            ImGui::TextWrapped("%s", std::string(lk.member("evidence").str()).c_str());
            ImGui::Unindent();
        }
    }

    void drawEvents(Field c) {
        Field evs = c.member("last_events");
        m_drawnEvents = evs.size();
        std::string title = "Last vpoll events (" + std::to_string(evs.size()) + ")###events";
        if (!ImGui::CollapsingHeader(title.c_str(), ImGuiTreeNodeFlags_DefaultOpen))
            return;
        if (c.member("ring"))
            link(c.member("ring").text(), "flight recorder");
        if (evs.size() == 0 || !ImGui::BeginTable("##events", 8,
                                                  ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                                                      ImGuiTableFlags_SizingFixedFit))
            return;
        for (const char* h :
             {"seq", "time (s)", "cpu", "task", "kind", "vpoll", "events", "waiters"})
            ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (Field e : evs.children()) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("%s", e.member("seq").text().c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%.6f", e.member("ts_ns").asDouble().value_or(0) / 1e9);
            ImGui::TableNextColumn();
            ImGui::Text("%s", e.member("cpu").text().c_str());
            ImGui::TableNextColumn();
            std::string who =
                std::string(e.member("comm").str()) + "[" + e.member("pid").text() + "]";
            if (e.member("task"))
                link(e.member("task").text(), who);
            else
                ImGui::Text("%s", who.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%s", std::string(e.member("kind").str()).c_str());
            ImGui::TableNextColumn();
            if (e.member("vpoll"))
                link(e.member("vpoll").text(), "#" + e.member("instance").text());
            else
                ImGui::Text("#%s", e.member("instance").text().c_str());
            ImGui::TableNextColumn();
            ImGui::Text("0x%llx",
                        static_cast<unsigned long long>(e.member("events").asU64().value_or(0)));
            ImGui::TableNextColumn();
            ImGui::Text("%s", e.member("waiters").text().c_str());
        }
        ImGui::EndTable();
    }

    void drawDmesg(Field c) {
        Field lines = c.member("dmesg");
        m_drawnDmesg = lines.size();
        std::string title = "dmesg (last " + std::to_string(lines.size()) + " of " +
                            c.member("dmesg_total").text() + " lines)###dmesg";
        if (!ImGui::CollapsingHeader(title.c_str(), ImGuiTreeNodeFlags_DefaultOpen))
            return;
        for (Field l : lines.children()) {
            auto level = l.member("level").asInt().value_or(6);
            ImVec4 col = level <= 3 ? Red : level == 4 ? Amber : ImVec4(0.85f, 0.85f, 0.85f, 1);
            ImGui::TextColored(col, "[%12.6f] %s", l.member("ts_ns").asDouble().value_or(0) / 1e9,
                               std::string(l.member("text").str()).c_str());
        }
    }

    App* m_app = nullptr;
    std::weak_ptr<const Snapshot> m_seen;
    int m_drawnFrame = -10;
    std::size_t m_row = 0;
    std::string m_drawnReason, m_drawnTask;
    std::size_t m_drawnLocks = 0, m_drawnEvents = 0, m_drawnDmesg = 0;
};

} // namespace

std::unique_ptr<View> makeCrashView() {
    return std::make_unique<CrashView>();
}

} // namespace waitscope::app
