// GLFW window, GL context, ImGui backends, screenshots (glReadPixels on the back buffer
// before the swap, as LAB.md step 10 found works under Xvfb + llvmpipe).
#include "glfw_backend.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <cfloat>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif
#include <mutex>

#include "icon.hpp"

namespace waitscope::app {

namespace {

std::mutex g_dropMutex;
std::vector<std::string> g_drops;

void onDrop(GLFWwindow*, int count, const char** paths) {
    std::lock_guard lock(g_dropMutex);
    for (int i = 0; i < count; ++i)
        g_drops.emplace_back(paths[i]);
}

std::string g_glfwError;
void onError(int code, const char* text) {
    g_glfwError = "GLFW error " + std::to_string(code) + ": " + (text ? text : "");
}

} // namespace

std::unique_ptr<GlfwBackend> GlfwBackend::create(const WindowOptions& o, std::string& error) {
#if defined(__SANITIZE_ADDRESS__)
    // The Mesa driver keeps a few small allocations made while it creates the context (and
    // draws) and is dlclose()d at exit, so LeakSanitizer reports them from "<unknown
    // module>", which no suppression can name. Ignore allocations made inside the driver
    // calls only: window creation, rendering the draw data, swapping.
    __lsan::ScopedDisabler driverAllocations;
#endif
    glfwSetErrorCallback(onError);
    if (!glfwInit()) {
        error = "cannot initialise GLFW (no display? run under xvfb-run): " + g_glfwError;
        return nullptr;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_VISIBLE, o.visible ? GLFW_TRUE : GLFW_FALSE);
    std::unique_ptr<GlfwBackend> b(new GlfwBackend);
    b->m_window = glfwCreateWindow(o.width, o.height, o.title.c_str(), nullptr, nullptr);
    if (!b->m_window) {
        error = "cannot create an OpenGL 3.3 window: " + g_glfwError;
        glfwTerminate();
        return nullptr;
    }
    glfwMakeContextCurrent(b->m_window);
    glfwSwapInterval(1);
    glfwSetDropCallback(b->m_window, onDrop);
    std::vector<std::uint8_t> icon = drawIcon(64);
    GLFWimage image{64, 64, icon.data()};
    glfwSetWindowIcon(b->m_window, 1, &image);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // persisted under XDG config by the app, not in the cwd
    ImGui_ImplGlfw_InitForOpenGL(b->m_window, true);
    ImGui_ImplOpenGL3_Init("#version 330");
    b->m_imgui = true;
    return b;
}

GlfwBackend::~GlfwBackend() {
    if (m_imgui) {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
    }
    if (m_window)
        glfwDestroyWindow(m_window);
    glfwTerminate();
}

void GlfwBackend::wake() {
    glfwPostEmptyEvent();
}

void GlfwBackend::waitEvents(bool animating, double timeout) {
    if (animating)
        glfwPollEvents();
    else
        glfwWaitEventsTimeout(timeout);
}

void GlfwBackend::beginFrame(bool ignoreMouse) {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (ignoreMouse)
        ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
}

void GlfwBackend::endFrame(const std::function<void()>& beforeSwap) {
    ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.1f, 0.1f, 0.12f, 1.0f);
    {
#if defined(__SANITIZE_ADDRESS__)
        __lsan::ScopedDisabler driverAllocations; // see create()
#endif
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    }
    if (beforeSwap)
        beforeSwap();
#if defined(__SANITIZE_ADDRESS__)
    __lsan::ScopedDisabler driverAllocations;
#endif
    glfwSwapBuffers(m_window);
}

bool GlfwBackend::shouldClose() const {
    return glfwWindowShouldClose(m_window);
}

void GlfwBackend::setSize(int width, int height) {
    glfwSetWindowSize(m_window, width, height);
}

std::vector<std::string> GlfwBackend::takeDrops() {
    std::lock_guard lock(g_dropMutex);
    std::vector<std::string> out;
    out.swap(g_drops);
    return out;
}

float GlfwBackend::framebufferScale() const {
    int fw = 0, ww = 0, h = 0;
    glfwGetFramebufferSize(m_window, &fw, &h);
    glfwGetWindowSize(m_window, &ww, &h);
    return ww > 0 ? static_cast<float>(fw) / static_cast<float>(ww) : 1.0f;
}

std::string GlfwBackend::renderer() const {
    const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    return r ? r : "?";
}

std::string saveBackBufferPng(const std::filesystem::path& path, float x, float y, float w, float h,
                              float scale) {
    GLint vp[4];
    glGetIntegerv(GL_VIEWPORT, vp);
    int fbW = vp[2], fbH = vp[3];
    int px = 0, py = 0, pw = fbW, ph = fbH;
    if (w > 0 && h > 0) {
        px = std::max(0, static_cast<int>(x * scale));
        pw = std::min(fbW - px, static_cast<int>(w * scale));
        ph = std::min(fbH, static_cast<int>(h * scale));
        // GL's origin is bottom-left.
        py = std::max(0, fbH - static_cast<int>((y + h) * scale));
    }
    if (pw <= 0 || ph <= 0)
        return "empty capture rectangle";
    std::vector<unsigned char> pixels(static_cast<std::size_t>(pw) * ph * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(px, py, pw, ph, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    stbi_flip_vertically_on_write(1);
    if (!stbi_write_png(path.c_str(), pw, ph, 4, pixels.data(), pw * 4))
        return "cannot write " + path.string();
    return {};
}

} // namespace waitscope::app
