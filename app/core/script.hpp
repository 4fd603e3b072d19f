// The action script language for headless runs (`waitscope --screenshot out.png --script
// actions.txt`): one action per line, `#` comments, run in order; before every action the
// runner waits until the app is idle (nothing loading or laying out) and has drawn a frame.
//
//   open PATH | open demo                 select id eventpoll:0xffff...
//   select type eventpoll [N]             select pid 83 fd 9
//   select search QUERY...                expand [ID]
//   view NAME [on|off]                    scene overview|workqueues
//   zoom-fit                              step next|prev|N
//   lecture on|off
//   wait-idle                             wait FRAMES
//   screenshot PATH                       export png|svg|dot|json|cbor PATH
//   resize W H                            report
//   expect KEY VALUE                      console PYTHON...
//   lab-run PROGRAM [ARGS...]             quit
//   panel left|right|bottom PIXELS        do VIEW ARGS... (a view's own actions)
//   wait-file PATH [SECONDS]              (until PATH exists; default 600 s, then fails)
//
// `report` prints "REPORT key=value ..." on stdout from the app's model and draw lists;
// `expect` fails the run unless the report has KEY=VALUE; `console` runs Python in the drgn
// console of the open live target and prints "CONSOLE <output>".
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace waitscope::app {

class App;

struct ScriptAction {
    std::string verb;
    std::vector<std::string> args;
    int line = 0;
};

/// Parse a script; on error returns false with `error` = "line N: why".
bool parseScript(const std::string& text, std::vector<ScriptAction>& out, std::string& error);

/// What the platform does for the runner.
struct ScriptHost {
    std::function<void(int, int)> resize;
};

class ScriptRunner {
public:
    ScriptRunner(std::vector<ScriptAction> actions, ScriptHost host);
    /// Call once per frame after the app drew it. Returns false when the script is over
    /// (finished, failed or quit); then failed() tells which.
    bool step(App& app);
    [[nodiscard]] bool failed() const { return m_failed; }
    [[nodiscard]] const std::string& error() const { return m_error; }

private:
    bool run(App& app, const ScriptAction& a);
    bool fail(const ScriptAction& a, const std::string& why);

    std::vector<ScriptAction> m_actions;
    ScriptHost m_host;
    std::size_t m_next = 0;
    int m_idleFrames = 0;
    int m_waitFrames = 0;
    int m_busyFrames = 0;
    std::filesystem::path m_waitFile; ///< wait-file: go on once it exists
    std::chrono::steady_clock::time_point m_waitFileUntil;
    bool m_failed = false;
    bool m_done = false;
    std::string m_error;
};

} // namespace waitscope::app
