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
/// `waitscope report VMCORE`: only the crash report of a vmcore (dump_cmd.cpp).
void addReportCommand(CLI::App& app, int& status);

/// `waitscope timeline ...`: capture/show/convert vpoll events (timeline_cmd.cpp).
void addTimelineCommands(CLI::App& app, int& status);

/// `waitscope diff A B [--format text|json]`: a snapshot diff (diff_cmd.cpp).
void addDiffCommand(CLI::App& app, int& status);

/// `waitscope render SNAPSHOT --out FILE`: a snapshot's scene as SVG/DOT (render_cmd.cpp;
/// built with the app, whose scene builders it uses).
void addRenderCommand(CLI::App& app, int& status);
/// `waitscope session pack|info|unpack`: session files (session_cmd.cpp).
void addSessionCommands(CLI::App& app, int& status);

/// The GUI's options on the top-level command (gui_cmd.cpp).
struct GuiFlags {
    std::string target, lab, screenshot, script, size;
    bool kcore = false, timeFirstFrame = false;
};
void addGuiOptions(CLI::App& app, GuiFlags& flags);
/// Run the GUI (no subcommand given); returns the exit status.
int runGuiCommand(const GuiFlags& flags);

} // namespace waitscope::cli
