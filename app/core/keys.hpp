// Keyboard helpers for ImGui 1.86, whose named keys cover only navigation keys: letters and
// digits are the backend's key codes, which for GLFW are their upper-case ASCII values.
#pragma once

#include <imgui.h>

namespace waitscope::app {

/// A named navigation key went down this frame (with repeat).
inline bool namedKeyPressed(ImGuiKey key, bool repeat = true) {
    return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key), repeat);
}

/// A letter or digit key ('A'..'Z', '0'..'9') went down this frame.
inline bool charKeyPressed(char upper, bool repeat = false) {
    return ImGui::IsKeyPressed(static_cast<int>(upper), repeat);
}

/// Ctrl is held.
inline bool ctrlHeld() {
    return ImGui::GetIO().KeyCtrl;
}

} // namespace waitscope::app
