// The desktop app's entry point, called by the waitscope binary when no subcommand is given.
#pragma once

#include <string>

namespace waitscope::app {

struct GuiOptions {
    std::string target;     ///< snapshot file, session directory, "demo"; empty: the demo
    bool kcore = false;     ///< the live kernel
    std::string lab;        ///< a running lab VM's name
    std::string screenshot; ///< headless: run `script`, save the window as PNG, exit
    std::string script;     ///< action script (see app/core/script.hpp)
    int width = 1400, height = 860;
    /// Print "FIRST_FRAME <CLOCK_MONOTONIC ns>" when the first frame showing the target's
    /// scene is on screen, then exit (bench/run startup).
    bool timeFirstFrame = false;
};

/// Run the GUI; returns the process exit status.
int runGui(const GuiOptions& options);

} // namespace waitscope::app
