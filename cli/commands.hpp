// The waitscope command-line subcommands: each adds itself to the CLI11 app and
// stores its exit status in `status` when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace waitscope::cli {

/// `waitscope lab ...`: boot/run/shell/dump/stop the QEMU lab VM (lab_cmd.cpp).
void addLabCommands(CLI::App& app, int& status);
/// `waitscope layout FILE.dot`: lay out a DOT digraph (layout_cmd.cpp).
void addLayoutCommands(CLI::App& app, int& status);

/// `waitscope dump`: one snapshot of a vmcore, /proc/kcore or a lab VM (dump_cmd.cpp).
void addDumpCommand(CLI::App& app, int& status);

/// `waitscope timeline ...`: capture/show/convert vpoll events (timeline_cmd.cpp).
void addTimelineCommands(CLI::App& app, int& status);

} // namespace waitscope::cli
