// bench/run startup: process start to the first frame that shows the bundled demo (the
// snapshots loaded, the object tree and the overview scene built and drawn), median of 5
// runs of `waitscope --time-first-frame`; baseline: the same measurement for a bare ImGui
// window (GLFW + GL3 context + one empty ImGui frame: `bench_startup --bare-window`), in
// the same run. Needs a display: without $DISPLAY it re-runs itself under xvfb-run.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <waitscope/base/files.hpp>

namespace {

long long monotonicNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

/// The baseline child: a bare ImGui window, one frame, "FIRST_FRAME <ns>".
int bareWindow() {
    if (!glfwInit())
        return 1;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    GLFWwindow* w = glfwCreateWindow(1280, 800, "bare", nullptr, nullptr);
    if (!w)
        return 1;
    glfwMakeContextCurrent(w);
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    ImGui_ImplGlfw_InitForOpenGL(w, true);
    ImGui_ImplOpenGL3_Init("#version 330");
    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    ImGui::Begin("bare");
    ImGui::TextUnformatted("hello");
    ImGui::End();
    ImGui::Render();
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    glfwSwapBuffers(w);
    std::printf("FIRST_FRAME %lld\n", monotonicNs());
    std::fflush(stdout);
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(w);
    glfwTerminate();
    return 0;
}

/// Run `argv`, return ms from fork to the FIRST_FRAME timestamp it prints (-1 on failure).
double timeChild(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    long long t0 = monotonicNs();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> argv;
        for (const std::string& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    auto p = out.find("FIRST_FRAME ");
    if (p == std::string::npos || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    long long t1 = std::atoll(out.c_str() + p + 12);
    return static_cast<double>(t1 - t0) / 1e6;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--bare-window") == 0)
        return bareWindow();
    if (!std::getenv("DISPLAY")) {
        // Re-run under a virtual X server (Mesa llvmpipe), as the app's headless tests do.
        std::vector<char*> args = {const_cast<char*>("xvfb-run"), const_cast<char*>("-a"),
                                   const_cast<char*>("-s"),
                                   const_cast<char*>("-screen 0 1280x800x24")};
        for (int i = 0; i < argc; ++i)
            args.push_back(argv[i]);
        args.push_back(nullptr);
        execvp("xvfb-run", args.data());
        std::perror("bench startup: xvfb-run");
        return 2;
    }
    std::string self = (waitscope::base::executableDir() / "bench_startup").string();
    std::string app = (waitscope::base::executableDir() / "waitscope").string();
    std::vector<double> appMs, bareMs;
    for (int i = 0; i < 5; ++i) {
        double b = timeChild({self, "--bare-window"});
        double a = timeChild({app, "--time-first-frame", "--size", "1280x800", WAITSCOPE_DEMO_DIR});
        if (a < 0 || b < 0) {
            std::fprintf(stderr, "bench startup: a run failed (app %.1f, bare %.1f)\n", a, b);
            return 1;
        }
        appMs.push_back(a);
        bareMs.push_back(b);
        std::printf("run %d: waitscope on the demo %.1f ms, bare ImGui window %.1f ms\n", i + 1, a,
                    b);
    }
    double a = median(appMs), b = median(bareMs);
    std::printf("RESULT name=startup value=%.1f unit=ms baseline=%.1f ratio=%.3f\n", a, b, a / b);
    return 0;
}
