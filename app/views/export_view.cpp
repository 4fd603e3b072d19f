// Export: the canvas as PNG, the scene as SVG or DOT, the snapshot as JSON or CBOR.
#include <cstdlib>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

class ExportView final : public View {
public:
    const char* name() const override { return "Export"; }
    Region region() const override { return Region::Bottom; }
    bool openByDefault() const override { return false; }

    void drawContent(App& app) override {
        static const char* Formats[] = {"png", "svg", "dot", "json", "cbor"};
        static const char* Labels[] = {"PNG of the canvas", "SVG of the scene",
                                       "DOT of the scene (neato -n2)", "snapshot JSON",
                                       "snapshot CBOR"};
        for (int i = 0; i < 5; ++i) {
            if (ImGui::RadioButton(Labels[i], m_format == i))
                m_format = i, m_edited = false;
            ImGui::SameLine();
        }
        ImGui::NewLine();
        if (!m_edited) {
            const char* home = std::getenv("HOME");
            std::string base = std::string(home ? home : ".") + "/waitscope-" +
                               (app.session() && !app.session()->empty()
                                    ? (*app.session())[app.currentIndex()].name
                                    : std::string("export"));
            std::snprintf(m_path, sizeof m_path, "%s.%s", base.c_str(), Formats[m_format]);
        }
        ImGui::SetNextItemWidth(-90);
        if (ImGui::InputText("##path", m_path, sizeof m_path))
            m_edited = true;
        ImGui::SameLine();
        if (ImGui::Button("Export"))
            app.exportCurrent(Formats[m_format], m_path);
    }

private:
    int m_format = 0;
    bool m_edited = false;
    char m_path[1024] = {};
};

} // namespace

std::unique_ptr<View> makeExportView() {
    return std::make_unique<ExportView>();
}

} // namespace waitscope::app
