// The app's options on the top-level command: `waitscope [FILE] [--kcore] [--lab NAME]
// [--screenshot OUT.png [--script ACTIONS]]` opens the GUI when no subcommand is given.
#include <cstdio>

#include "commands.hpp"

#ifdef WAITSCOPE_HAVE_GUI
#include <waitscope/app/gui.hpp>
#endif

namespace waitscope::cli {

void addGuiOptions(CLI::App& app, GuiFlags& f) {
    app.add_option("TARGET", f.target,
                   "A snapshot (.json/.cbor), a lab run directory or a vmcore; default: the "
                   "bundled demo");
    app.add_flag("--kcore", f.kcore, "Open the live kernel (/proc/kcore)");
    app.add_option("--lab", f.lab,
                   "Attach to a running lab VM (name, default 'default'): snapshots on demand, "
                   "vpoll's events live in the Timeline view")
        ->expected(0, 1)
        ->default_str("default");
    app.add_option("--screenshot", f.screenshot,
                   "Headless: run --script, save the window as PNG and exit");
    app.add_option("--script", f.script, "Action script for --screenshot (docs/app.md)");
    app.add_option("--size", f.size, "Window size WxH (default 1400x860)");
    app.add_flag("--time-first-frame", f.timeFirstFrame,
                 "Print FIRST_FRAME <monotonic ns> once the target is drawn, then exit");
}

int runGuiCommand(const GuiFlags& f) {
#ifdef WAITSCOPE_HAVE_GUI
    app::GuiOptions o;
    o.target = f.target;
    o.kcore = f.kcore;
    o.lab = f.lab;
    o.screenshot = f.screenshot;
    o.script = f.script;
    o.timeFirstFrame = f.timeFirstFrame;
    if (!f.size.empty() && std::sscanf(f.size.c_str(), "%dx%d", &o.width, &o.height) != 2) {
        std::fprintf(stderr, "waitscope: --size wants WxH, e.g. 1280x800\n");
        return 2;
    }
    return app::runGui(o);
#else
    (void)f;
    std::fprintf(stderr, "waitscope: this build has no GUI (configured with "
                         "-DWAITSCOPE_APP=OFF); see `waitscope --help` for the subcommands\n");
    return 2;
#endif
}

} // namespace waitscope::cli
