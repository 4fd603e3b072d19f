// Targets: open a snapshot, a session directory (a lab run), a vmcore or the demo; a small
// file browser (listed on a worker), drag and drop onto the window, the recent list, the
// snapshots of the open session; the live kernel; lab VMs (boot, capture, pause/resume,
// stop) and lab programs run with snapshots at their marks.
#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "../core/app.hpp"
#include "view.hpp"

namespace fs = std::filesystem;

namespace waitscope::app {

namespace {

struct Listing {
    fs::path dir;
    std::vector<std::pair<std::string, bool>> entries; ///< name, is directory
    std::string error;
};

class TargetsView final : public View {
public:
    const char* name() const override { return "Targets"; }
    Region region() const override { return Region::Left; }
    bool busy() const override { return m_job && !m_job->done(); }

    void drawContent(App& app) override {
        if (m_path[0] == 0) {
            std::string start = app.settings().lastDir.empty() ? fs::current_path().string()
                                                               : app.settings().lastDir;
            std::snprintf(m_path, sizeof m_path, "%s", start.c_str());
        }
        ImGui::TextUnformatted("Open a snapshot (.json/.cbor) or a lab run directory:");
        ImGui::SetNextItemWidth(-70);
        bool enter =
            ImGui::InputText("##path", m_path, sizeof m_path, ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::SameLine();
        if (ImGui::Button("Open") || enter)
            openPath(app, m_path);
        if (ImGui::Button("Open the demo"))
            app.openDemo();
        ImGui::SameLine();
        ImGui::TextDisabled("or drop files on the window");

        if (ImGui::CollapsingHeader("Browse", ImGuiTreeNodeFlags_DefaultOpen))
            browser(app);
        if (!app.settings().recent.empty() && ImGui::CollapsingHeader("Recent")) {
            for (const std::string& r : std::vector<std::string>(app.settings().recent))
                if (ImGui::Selectable(r.c_str()))
                    app.open(r);
        }
        if (auto s = app.session();
            s && ImGui::CollapsingHeader("Session", ImGuiTreeNodeFlags_DefaultOpen)) {
            for (std::size_t i = 0; i < s->size(); ++i) {
                const auto& e = (*s)[i];
                std::string label = std::to_string(i + 1) + ". " + e.name + "  (" +
                                    std::to_string(e.snapshot->size()) + " objects, " +
                                    std::string(e.snapshot->captureSource()) + ")";
                if (ImGui::Selectable(label.c_str(), i == app.currentIndex()))
                    app.goTo(i);
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", e.source.string().c_str());
            }
        }
        liveTargets(app);
    }

private:
    void liveTargets(App& app) {
        if (app.liveTarget()) {
            std::string label = "Capture " + app.liveTarget()->label() + " again (F5)";
            if (ImGui::Button(label.c_str()))
                app.captureAgain();
        }
        if (ImGui::CollapsingHeader("Live kernel")) {
            ImGui::TextDisabled("/proc/kcore of this machine (needs root and the kernel's debug "
                                "info)");
            if (ImGui::Button("Read the live kernel"))
                app.openLive({IntrospectTarget::Kind::Kcore, ""});
        }
        if (ImGui::CollapsingHeader("Lab VMs", ImGuiTreeNodeFlags_DefaultOpen))
            labVms(app);
        if (ImGui::CollapsingHeader("Run a lab program"))
            labRun(app);
    }

    void labVms(App& app) {
        if (!m_vmsListed || ImGui::SmallButton("Refresh")) {
            m_vmsListed = true;
            app.lab().refresh([this](std::vector<LabVmInfo> vms) { m_vms = std::move(vms); });
        }
        if (m_vms.empty())
            ImGui::TextDisabled("no lab VM is running");
        for (const LabVmInfo& vm : m_vms) {
            ImGui::PushID(vm.name.c_str());
            ImGui::Text("%s  %s (%s)", vm.name.c_str(), vm.release.c_str(), vm.accel.c_str());
            if (ImGui::SmallButton("Capture"))
                app.openLive({IntrospectTarget::Kind::Lab, vm.name});
            ImGui::SameLine();
            auto report = [&app](std::string error) {
                if (!error.empty())
                    app.log(LogLine::Error, "lab: " + error);
            };
            if (ImGui::SmallButton("Pause"))
                app.lab().setPaused(vm, true, report);
            ImGui::SameLine();
            if (ImGui::SmallButton("Resume"))
                app.lab().setPaused(vm, false, report);
            ImGui::SameLine();
            if (ImGui::SmallButton("Stop"))
                app.lab().stop(vm.name, [this, &app](std::string error) {
                    if (!error.empty())
                        app.log(LogLine::Error, "lab stop: " + error);
                    m_vmsListed = false;
                });
            ImGui::PopID();
        }
        ImGui::SetNextItemWidth(140);
        ImGui::InputText("##vmname", m_vmName, sizeof m_vmName);
        ImGui::SameLine();
        if (ImGui::Button("Boot a lab VM") && m_vmName[0])
            app.lab().boot(m_vmName, [this, &app](std::string error) {
                if (!error.empty())
                    app.log(LogLine::Error, "lab boot: " + error);
                m_vmsListed = false;
            });
    }

    void labRun(App& app) {
        if (!m_programsListed) {
            m_programsListed = true;
            app.workers().submit("Listing lab programs", [this, &app](Job&) {
                auto names = LabSource::programs();
                app.runQueue().post([this, names] { m_programs = names; });
            });
        }
        if (m_programs.empty()) {
            ImGui::TextDisabled("no lab programs (build with -DWAITSCOPE_LAB=ON)");
            return;
        }
        m_program = std::min(m_program, m_programs.size() - 1);
        ImGui::SetNextItemWidth(160);
        if (ImGui::BeginCombo("##prog", m_programs[m_program].c_str())) {
            for (std::size_t i = 0; i < m_programs.size(); ++i)
                if (ImGui::Selectable(m_programs[i].c_str(), i == m_program))
                    m_program = i;
            ImGui::EndCombo();
        }
        ImGui::SameLine();
        ImGui::SetNextItemWidth(-70);
        ImGui::InputTextWithHint("##args", "arguments", m_args, sizeof m_args);
        ImGui::SameLine();
        if (ImGui::Button("Run")) {
            std::vector<std::string> args;
            std::istringstream words(m_args);
            for (std::string w; words >> w;)
                args.push_back(w);
            std::string prog = m_programs[m_program];
            app.log(LogLine::Info, "running " + prog + " in a lab VM (snapshots at its marks)");
            app.lab().runProgram(prog, args,
                                 [&app, prog](std::filesystem::path dir, std::string error) {
                                     if (!error.empty()) {
                                         app.log(LogLine::Error, "lab run " + prog + ": " + error);
                                         return;
                                     }
                                     app.open(dir.string());
                                 });
        }
        ImGui::TextDisabled("boots a VM, runs it, snapshots every WAITSCOPE_MARK, opens the run");
    }

    void openPath(App& app, const std::string& p) {
        app.settings().lastDir = fs::path(p).parent_path().string();
        app.open(p);
    }

    void browser(App& app) {
        fs::path dir = fs::path(m_path);
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            dir = dir.parent_path();
        if (!m_listing || m_listing->dir != dir)
            list(app, dir);
        if (!m_listing || m_listing->dir != dir) {
            ImGui::TextDisabled("listing...");
            return;
        }
        if (!m_listing->error.empty()) {
            ImGui::TextColored(ImVec4(1, 0.5f, 0.5f, 1), "%s", m_listing->error.c_str());
            return;
        }
        ImGui::BeginChild("##browse", ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * 10), true);
        if (ImGui::Selectable("..", false, ImGuiSelectableFlags_AllowDoubleClick) &&
            ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
            setPath(dir.parent_path());
        for (const auto& [entry, isDir] : m_listing->entries) {
            std::string label = isDir ? entry + "/" : entry;
            if (ImGui::Selectable(label.c_str(), false, ImGuiSelectableFlags_AllowDoubleClick)) {
                if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
                    if (isDir && !m_listing->entries.empty() && !isSession(entry))
                        setPath(dir / entry);
                    else
                        openPath(app, (dir / entry).string());
                } else {
                    std::snprintf(m_path, sizeof m_path, "%s", (dir / entry).string().c_str());
                }
            }
        }
        ImGui::EndChild();
    }

    bool isSession(const std::string& entry) const { return m_sessions.count(entry) > 0; }

    void setPath(const fs::path& p) {
        std::snprintf(m_path, sizeof m_path, "%s", p.string().c_str());
    }

    void list(App& app, const fs::path& dir) {
        if (m_job && !m_job->done())
            return;
        RunQueue* q = &app.runQueue();
        auto* self = this;
        m_job = app.workers().submit("Listing " + dir.filename().string(), [dir, q, self](Job&) {
            auto l = std::make_shared<Listing>();
            l->dir = dir;
            std::set<std::string> sessions;
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(dir, ec)) {
                std::string n = e.path().filename().string();
                if (n.empty() || n[0] == '.')
                    continue;
                bool isDir = e.is_directory(ec);
                auto ext = e.path().extension();
                if (isDir) {
                    if (fs::exists(e.path() / "run.json", ec))
                        sessions.insert(n);
                    l->entries.emplace_back(n, true);
                } else if (ext == ".json" || ext == ".cbor" || ext == ".vmcore" || n == "vmcore") {
                    l->entries.emplace_back(n, false);
                }
            }
            if (ec)
                l->error = dir.string() + ": " + ec.message();
            std::sort(l->entries.begin(), l->entries.end(), [](const auto& a, const auto& b) {
                return a.second != b.second ? a.second > b.second : a.first < b.first;
            });
            q->post([self, l, sessions] {
                self->m_listing = l;
                self->m_sessions = sessions;
            });
        });
    }

    char m_path[1024] = {};
    JobPtr m_job;
    std::shared_ptr<const Listing> m_listing;
    std::set<std::string> m_sessions;
    std::vector<LabVmInfo> m_vms;
    bool m_vmsListed = false;
    char m_vmName[64] = "default";
    std::vector<std::string> m_programs;
    bool m_programsListed = false;
    std::size_t m_program = 0;
    char m_args[256] = {};
};

} // namespace

std::unique_ptr<View> makeTargetsView() {
    return std::make_unique<TargetsView>();
}

} // namespace waitscope::app
