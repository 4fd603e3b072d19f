// UI state persisted per user under $XDG_CONFIG_HOME/waitscope (never the working
// directory): panel sizes, open views, recent targets, lecture mode, ImGui's own state.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace waitscope::app {

struct Settings {
    float leftWidth = 300, rightWidth = 360, bottomHeight = 170;
    std::map<std::string, bool> openViews;
    std::vector<std::string> recent; ///< most recent first, at most 12
    std::string lastDir;
    bool lecture = false;
    std::string imguiIni; ///< ImGui::SaveIniSettingsToMemory()

    /// $XDG_CONFIG_HOME/waitscope, else ~/.config/waitscope.
    static std::filesystem::path directory();
    /// Read `file` (defaults when missing or unreadable; `error` says why when unreadable).
    static Settings load(const std::filesystem::path& file, std::string* error = nullptr);
    /// Write atomically, creating the directory; throws base::Error.
    void save(const std::filesystem::path& file) const;
    /// Put `target` first in the recent list.
    void addRecent(const std::string& target);
};

} // namespace waitscope::app
