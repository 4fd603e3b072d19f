// The window: GLFW + an OpenGL 3.3 core context + ImGui with its GLFW/GL3 backends (from
// Debian's libimgui.a), idle waiting, empty-event wake-ups, dropped files, screenshots.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct GLFWwindow;

namespace waitscope::app {

struct WindowOptions {
    int width = 1400, height = 860;
    bool visible = true;
    std::string title = "waitscope";
};

class GlfwBackend {
public:
    /// Create the window and the ImGui context; nullptr with `error` set on failure.
    static std::unique_ptr<GlfwBackend> create(const WindowOptions& options, std::string& error);
    ~GlfwBackend();
    GlfwBackend(const GlfwBackend&) = delete;
    GlfwBackend& operator=(const GlfwBackend&) = delete;

    /// Thread-safe: wake a sleeping UI thread (glfwPostEmptyEvent).
    static void wake();

    /// Sleep until an event (or `timeout` seconds); poll without sleeping when `animating`.
    void waitEvents(bool animating, double timeout = 0.5);
    /// `ignoreMouse`: headless runs keep the pointer out of the picture (no hover, no
    /// tooltips wherever Xvfb parks the cursor).
    void beginFrame(bool ignoreMouse = false);
    /// Render ImGui; `beforeSwap` runs with the frame in the back buffer (screenshots).
    void endFrame(const std::function<void()>& beforeSwap);
    [[nodiscard]] bool shouldClose() const;
    void setSize(int width, int height);
    /// Paths dropped onto the window since the last call.
    [[nodiscard]] std::vector<std::string> takeDrops();
    /// Framebuffer pixels per ImGui unit.
    [[nodiscard]] float framebufferScale() const;
    /// The GL renderer string (llvmpipe under Xvfb).
    [[nodiscard]] std::string renderer() const;

private:
    GlfwBackend() = default;
    GLFWwindow* m_window = nullptr;
    bool m_imgui = false;
};

/// Save a rectangle (ImGui coordinates; whole framebuffer when w or h is 0) of the back
/// buffer as PNG. Returns an error message, empty on success.
[[nodiscard]] std::string saveBackBufferPng(const std::filesystem::path& path, float x, float y,
                                            float w, float h, float scale);

} // namespace waitscope::app
