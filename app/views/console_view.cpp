// The drgn console: Python against the same Program the snapshot came from (`prog`), run
// on the introspection worker; history with Up/Down, output pane.
#include <cstring>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

class ConsoleView final : public View {
public:
    const char* name() const override { return "Console"; }
    Region region() const override { return Region::Bottom; }
    bool busy() const override { return m_running > 0; }
    void report(std::string& out) const override {
        out += " console_runs=" + std::to_string(m_runs);
    }

    void drawContent(App& app) override {
        const auto& target = app.introspect().openTarget();
        if (target)
            ImGui::TextDisabled("drgn on %s: `prog` is its Program (e.g. prog['jiffies_64'], "
                                "prog.threads())",
                                target->label().c_str());
        else
            ImGui::TextDisabled("open a vmcore, the live kernel or a lab VM (Targets) to get a "
                                "drgn Program here; snapshots from files have none");
        float inputH = ImGui::GetFrameHeightWithSpacing();
        ImGui::BeginChild("##out", ImVec2(0, -inputH), true);
        if (app.fonts().mono)
            ImGui::PushFont(app.lecture() && app.fonts().monoLarge ? app.fonts().monoLarge
                                                                   : app.fonts().mono);
        ImGui::TextUnformatted(m_output.c_str(), m_output.c_str() + m_output.size());
        if (app.fonts().mono)
            ImGui::PopFont();
        if (m_scroll) {
            ImGui::SetScrollHereY(1.0f);
            m_scroll = false;
        }
        ImGui::EndChild();
        ImGui::SetNextItemWidth(-FLT_MIN);
        bool run = ImGui::InputTextWithHint(
            "##in", m_running ? "running..." : ">>> python (Enter runs; Up/Down: history)", m_input,
            sizeof m_input,
            ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackHistory, &history,
            this);
        if (run && m_input[0]) {
            std::string code = m_input;
            m_input[0] = 0;
            m_history.push_back(code);
            m_historyPos = -1;
            m_output += ">>> " + code + "\n";
            m_scroll = true;
            ++m_running;
            ++m_runs;
            app.introspect().console(code, [this](std::string out) {
                --m_running;
                m_output += out;
                if (!out.empty() && out.back() != '\n')
                    m_output += '\n';
                if (m_output.size() > (1u << 20))
                    m_output.erase(0, m_output.size() - (1u << 19));
                m_scroll = true;
            });
            ImGui::SetKeyboardFocusHere(-1);
        }
    }

private:
    static int history(ImGuiInputTextCallbackData* data) {
        auto* self = static_cast<ConsoleView*>(data->UserData);
        auto& h = self->m_history;
        if (h.empty())
            return 0;
        int& pos = self->m_historyPos;
        if (data->EventKey == ImGuiKey_UpArrow)
            pos = pos < 0 ? static_cast<int>(h.size()) - 1 : std::max(0, pos - 1);
        else if (data->EventKey == ImGuiKey_DownArrow)
            pos = pos < 0 || pos + 1 >= static_cast<int>(h.size()) ? -1 : pos + 1;
        data->DeleteChars(0, data->BufTextLen);
        if (pos >= 0)
            data->InsertChars(0, h[static_cast<std::size_t>(pos)].c_str());
        return 0;
    }

    char m_input[2048] = {};
    std::string m_output;
    std::vector<std::string> m_history;
    int m_historyPos = -1;
    int m_running = 0;
    int m_runs = 0;
    bool m_scroll = false;
};

} // namespace

std::unique_ptr<View> makeConsoleView() {
    return std::make_unique<ConsoleView>();
}

} // namespace waitscope::app
