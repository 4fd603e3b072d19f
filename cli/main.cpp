// waitscope entry point: dispatches to a subcommand.
#include <cstdio>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"waitscope: a visualizer and debugger for the Linux kernel's wait/epoll machinery",
                 "waitscope"};
    app.set_version_flag("--version", "waitscope " WAITSCOPE_VERSION);
    app.require_subcommand(1);
    int status = 0;
    waitscope::cli::addLabCommands(app, status);
    waitscope::cli::addDumpCommand(app, status);
    waitscope::cli::addTimelineCommands(app, status);
    waitscope::cli::addLayoutCommands(app, status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return status;
}
