// Stepping: run a lab program under breakpoints from the app. The panel builds a step script
// (docs/lab.md: break SYM [if K=V], continue N, until-mark NAME, snapshot NAME, delete SYM,
// resume) from its controls or by hand, then boots a VM and runs the program with it on the
// lab source's worker (`waitscope lab run --step-script`); the stops open as a session, whose
// History view shows each stop's registers, stack scan and the objects its arguments point
// at. Not interactive: the VM runs the whole script, then the session opens.
#include <cstdio>
#include <filesystem>
#include <string>

#include <waitscope/base/files.hpp>

#include "../core/app.hpp"
#include "../sources/lab_source.hpp"
#include "view.hpp"

namespace fs = std::filesystem;

namespace waitscope::app {

namespace {

class SteppingView final : public View {
public:
    const char* name() const override { return "Stepping"; }
    Region region() const override { return Region::Left; }
    bool openByDefault() const override { return false; }
    bool busy() const override { return m_job && !m_job->done(); }
    void report(std::string& out) const override {
        out += " step_script_lines=" + std::to_string(lines());
    }

    void drawContent(App& app) override {
        if (!m_loaded) {
            m_programs = LabSource::programs();
            for (std::size_t i = 0; i < m_programs.size(); ++i)
                if (m_programs[i] == "pingpong")
                    m_program = i;
            m_loaded = true;
        }
        if (m_programs.empty()) {
            ImGui::TextDisabled(
                "no lab here (tools/lab/fetch-kernels.sh and a build with the lab)");
            return;
        }
        ImGui::SetNextItemWidth(-1);
        if (ImGui::BeginCombo("##program", m_programs[m_program].c_str())) {
            for (std::size_t i = 0; i < m_programs.size(); ++i)
                if (ImGui::Selectable(m_programs[i].c_str(), i == m_program))
                    m_program = i;
            ImGui::EndCombo();
        }
        ImGui::SetNextItemWidth(-1);
        ImGui::InputTextWithHint("##args", "program arguments", m_args, sizeof m_args);

        ImGui::Separator();
        ImGui::TextDisabled("breakpoint");
        ImGui::SetNextItemWidth(-1);
        ImGui::InputTextWithHint("##sym", "kernel function, e.g. ep_poll_callback", m_symbol,
                                 sizeof m_symbol);
        ImGui::SetNextItemWidth(-1);
        ImGui::InputTextWithHint("##if", "condition, e.g. arg3=0 pid=101 eventpoll=0x...",
                                 m_condition, sizeof m_condition);
        if (ImGui::Button("break") && m_symbol[0])
            add(std::string("break ") + m_symbol +
                (m_condition[0] ? std::string(" if ") + m_condition : ""));
        ImGui::SameLine();
        if (ImGui::Button("delete") && m_symbol[0])
            add(std::string("delete ") + m_symbol);
        ImGui::SetNextItemWidth(80);
        ImGui::InputInt("##n", &m_hits);
        m_hits = std::max(m_hits, 1);
        ImGui::SameLine();
        if (ImGui::Button("continue N hits"))
            add("continue " + std::to_string(m_hits));
        ImGui::SetNextItemWidth(120);
        ImGui::InputTextWithHint("##mark", "mark / name", m_mark, sizeof m_mark);
        ImGui::SameLine();
        if (ImGui::Button("to mark") && m_mark[0])
            add(std::string("until-mark ") + m_mark);
        ImGui::SameLine();
        if (ImGui::Button("snapshot") && m_mark[0])
            add(std::string("snapshot ") + m_mark);
        ImGui::SameLine();
        if (ImGui::Button("resume"))
            add("resume");

        ImGui::Separator();
        ImGui::TextDisabled("script");
        ImGui::InputTextMultiline("##script", m_script, sizeof m_script, ImVec2(-1, 140));
        bool running = busy();
        ImGui::BeginDisabled(running || lines() == 0);
        if (ImGui::Button(running ? "running..." : "run in a lab VM"))
            run(app);
        ImGui::EndDisabled();
        ImGui::SameLine();
        if (ImGui::Button("clear"))
            m_script[0] = 0;
        ImGui::TextDisabled("every stop is a snapshot; the History view shows its registers, "
                            "stack and arguments");
    }

private:
    std::size_t lines() const {
        std::size_t n = 0;
        for (const char* p = m_script; *p; ++p)
            n += *p == '\n' || (p[1] == 0 && *p != '\n');
        return n;
    }

    void add(const std::string& line) {
        std::string s = m_script;
        if (!s.empty() && s.back() != '\n')
            s += '\n';
        s += line + '\n';
        if (s.size() < sizeof m_script)
            std::snprintf(m_script, sizeof m_script, "%s", s.c_str());
    }

    void run(App& app) {
        fs::path file;
        try {
            fs::path dir = base::makeTempDir(fs::temp_directory_path(), "waitscope-step-");
            file = dir / "script.txt";
            base::writeFileAtomic(file, m_script);
        } catch (const std::exception& e) {
            app.log(LogLine::Error, std::string("step script: ") + e.what());
            return;
        }
        std::vector<std::string> args;
        std::string w;
        for (const char* p = m_args;; ++p) {
            if (*p == ' ' || *p == 0) {
                if (!w.empty())
                    args.push_back(std::exchange(w, {}));
                if (*p == 0)
                    break;
            } else {
                w.push_back(*p);
            }
        }
        std::string prog = m_programs[m_program];
        app.log(LogLine::Info, "running " + prog + " in a lab VM under a step script");
        m_job =
            app.lab().runProgram(prog, args,
                                 [&app, prog](fs::path dir, std::string error) {
                                     if (!error.empty()) {
                                         app.log(LogLine::Error, "lab run " + prog + ": " + error);
                                         return;
                                     }
                                     app.open(dir.string());
                                     app.openView("History");
                                 },
                                 {"--step-script", file.string()});
    }

    bool m_loaded = false;
    std::vector<std::string> m_programs;
    std::size_t m_program = 0;
    char m_args[256] = "2000 --marks";
    char m_symbol[128] = "ep_poll_callback";
    char m_condition[256] = "";
    char m_mark[64] = "setup";
    int m_hits = 3;
    char m_script[4096] = "until-mark setup\nbreak ep_poll_callback\ncontinue 3\nresume\n";
    JobPtr m_job;
};

} // namespace

std::unique_ptr<View> makeSteppingView() {
    return std::make_unique<SteppingView>();
}

} // namespace waitscope::app
