#include "settings.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>

namespace fs = std::filesystem;

namespace waitscope::app {

fs::path Settings::directory() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
        return fs::path(x) / "waitscope";
    if (const char* h = std::getenv("HOME"); h && *h)
        return fs::path(h) / ".config" / "waitscope";
    return fs::temp_directory_path() / "waitscope-config";
}

Settings Settings::load(const fs::path& file, std::string* error) {
    Settings s;
    std::error_code ec;
    if (!fs::exists(file, ec))
        return s;
    try {
        auto j = nlohmann::json::parse(base::readFile(file));
        s.leftWidth = j.value("left_width", s.leftWidth);
        s.rightWidth = j.value("right_width", s.rightWidth);
        s.bottomHeight = j.value("bottom_height", s.bottomHeight);
        s.openViews = j.value("open_views", s.openViews);
        s.recent = j.value("recent", s.recent);
        s.lastDir = j.value("last_dir", s.lastDir);
        s.lecture = j.value("lecture", s.lecture);
        s.imguiIni = j.value("imgui_ini", s.imguiIni);
    } catch (const std::exception& e) {
        if (error)
            *error = file.string() + ": " + e.what();
        return Settings{};
    }
    return s;
}

void Settings::save(const fs::path& file) const {
    nlohmann::json j{
        {"left_width", leftWidth}, {"right_width", rightWidth}, {"bottom_height", bottomHeight},
        {"open_views", openViews}, {"recent", recent},          {"last_dir", lastDir},
        {"lecture", lecture},      {"imgui_ini", imguiIni}};
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec)
        throw base::Error("cannot create " + file.parent_path().string() + ": " + ec.message());
    base::writeFileAtomic(file, j.dump(2) + "\n");
}

void Settings::addRecent(const std::string& target) {
    std::erase(recent, target);
    recent.insert(recent.begin(), target);
    if (recent.size() > 12)
        recent.resize(12);
}

} // namespace waitscope::app
