#include "fonts.hpp"

#include <filesystem>

namespace waitscope::app {

namespace {

constexpr const char* Sans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* Mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

ImFont* load(const char* path, float size, std::vector<std::string>& log) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        log.push_back(std::string("font ") + path +
                      " not found (install fonts-dejavu-core); "
                      "using ImGui's built-in font");
        return nullptr;
    }
    return ImGui::GetIO().Fonts->AddFontFromFileTTF(path, size);
}

} // namespace

Fonts loadFonts(std::vector<std::string>& log) {
    Fonts f;
    ImGuiIO& io = ImGui::GetIO();
    f.ui = load(Sans, 15.0f, log); // the first font added is ImGui's default
    if (!f.ui)
        f.ui = io.Fonts->AddFontDefault();
    f.mono = load(Mono, 14.0f, log);
    f.uiLarge = load(Sans, 26.0f, log);
    f.monoLarge = load(Mono, 24.0f, log);
    // Canvas labels are drawn from the large glyphs scaled to the zoom.
    f.canvas = f.uiLarge ? f.uiLarge : f.ui;
    f.canvasSize = 14.0f;
    return f;
}

} // namespace waitscope::app
