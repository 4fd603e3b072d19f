// The canonical ImGui + GLFW loop and nothing else: events, drain the run queue, frame,
// script step, render, captures before the swap, sleep when idle.
#include <time.h>

#include <cstdio>

#include <waitscope/app/gui.hpp>
#include <waitscope/base/files.hpp>

#include "core/app.hpp"
#include "core/script.hpp"
#include "platform/fonts.hpp"
#include "platform/glfw_backend.hpp"

namespace waitscope::app {

namespace {

long long monotonicNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

} // namespace

int runGui(const GuiOptions& o) {
    const bool headless = !o.screenshot.empty() || o.timeFirstFrame;
    std::vector<ScriptAction> actions;
    if (!o.script.empty()) {
        std::string error;
        std::string text;
        try {
            text = base::readFile(o.script);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "waitscope: %s\n", e.what());
            return 2;
        }
        if (!parseScript(text, actions, error)) {
            std::fprintf(stderr, "waitscope: %s: %s\n", o.script.c_str(), error.c_str());
            return 2;
        }
    }
    std::string error;
    WindowOptions wo;
    wo.width = o.width;
    wo.height = o.height;
    auto backend = GlfwBackend::create(wo, error);
    if (!backend) {
        std::fprintf(stderr, "waitscope: %s\n", error.c_str());
        return 1;
    }
    std::vector<std::string> fontLog;
    Fonts fonts = loadFonts(fontLog);
    AppOptions ao;
    ao.target = o.target;
    ao.kcore = o.kcore;
    ao.lab = o.lab;
    ao.headless = headless;
    ao.persistSettings = !headless;
    App app(ao, fonts, &GlfwBackend::wake);
    for (auto& l : fontLog)
        app.log(LogLine::Warning, l);
    app.log(LogLine::Info, "renderer: " + backend->renderer());

    ScriptRunner runner(std::move(actions),
                        ScriptHost{[&](int w, int h) { backend->setSize(w, h); }});
    bool scriptRunning = headless;
    std::size_t logShown = 0;
    int status = 0;
    int idleFrames = 0;
    while (!backend->shouldClose() && !app.quitRequested()) {
        backend->waitEvents(app.animating() || headless);
        for (const std::string& p : backend->takeDrops())
            app.open(p);
        app.runQueue().drain();
        backend->beginFrame(headless);
        app.frame();
        if (headless) {
            // Mirror the log on stderr so headless runs explain themselves.
            const auto& log = app.logLines();
            for (; logShown < log.size(); ++logShown) {
                const LogLine& l = log[logShown];
                if (l.level != LogLine::Info)
                    std::fprintf(stderr, "waitscope: %s\n", l.text.c_str());
                if (l.level == LogLine::Error)
                    status = 1;
            }
            if (scriptRunning && !runner.step(app)) {
                scriptRunning = false;
                if (runner.failed()) {
                    std::fprintf(stderr, "waitscope: %s\n", runner.error().c_str());
                    status = 1;
                }
            }
        }
        std::optional<CaptureRequest> capture = app.takeCapture();
        bool finalShot = false;
        if (headless && !scriptRunning && !capture) {
            // The script is over: wait until idle, then the final screenshot and exit.
            idleFrames = app.idle() ? idleFrames + 1 : 0;
            if (idleFrames >= 3) {
                finalShot = true;
                if (!o.screenshot.empty())
                    capture = CaptureRequest{o.screenshot, true, {}, {}};
            }
        }
        float scale = backend->framebufferScale();
        backend->endFrame([&] {
            if (!capture)
                return;
            std::string err = capture->wholeWindow
                                  ? saveBackBufferPng(capture->path, 0, 0, 0, 0, scale)
                                  : saveBackBufferPng(capture->path, capture->min.x, capture->min.y,
                                                      capture->max.x - capture->min.x,
                                                      capture->max.y - capture->min.y, scale);
            if (err.empty())
                app.log(LogLine::Info, "saved " + capture->path.string());
            else
                app.log(LogLine::Error, "screenshot: " + err);
        });
        if (finalShot) {
            if (o.timeFirstFrame)
                std::printf("FIRST_FRAME %lld\n", monotonicNs());
            break;
        }
    }
    for (const auto& log = app.logLines(); logShown < log.size(); ++logShown)
        if (headless && log[logShown].level == LogLine::Error) {
            std::fprintf(stderr, "waitscope: %s\n", log[logShown].text.c_str());
            status = 1;
        }
    std::fflush(stdout);
    return status;
}

} // namespace waitscope::app
