// waitscope entry point: a subcommand, or the GUI when none is given.
#include <cstdio>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"waitscope: a visualizer and debugger for the Linux kernel's wait/epoll machinery",
                 "waitscope"};
    app.set_version_flag("--version", "waitscope " WAITSCOPE_VERSION);
    app.require_subcommand(0, 1); // none: the GUI
    int status = 0;
    waitscope::cli::addLabCommands(app, status);
    waitscope::cli::addDumpCommand(app, status);
    waitscope::cli::addReportCommand(app, status);
    waitscope::cli::addTimelineCommands(app, status);
    waitscope::cli::addLayoutCommands(app, status);
    waitscope::cli::addDiffCommand(app, status);
#ifdef WAITSCOPE_HAVE_GUI
    waitscope::cli::addRenderCommand(app, status);
#endif
    waitscope::cli::addSessionCommands(app, status);
    waitscope::cli::GuiFlags gui;
    waitscope::cli::addGuiOptions(app, gui);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (app.get_subcommands().empty())
        return waitscope::cli::runGuiCommand(gui);
    return status;
}
