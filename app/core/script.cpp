// Script parsing and running.
#include "script.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>

#include <waitscope/model/search.hpp>

#include "app.hpp"

namespace waitscope::app {

using namespace model;

namespace {

/// Verbs and their argument counts (min, max; -1 = any).
struct Verb {
    const char* name;
    int min, max;
};
constexpr Verb Verbs[] = {
    {"open", 1, 1},      {"select", 2, -1},   {"expand", 0, 1},     {"view", 1, 2},
    {"scene", 1, 1},     {"zoom-fit", 0, 0},  {"step", 1, 1},       {"lecture", 1, 1},
    {"wait-idle", 0, 0}, {"wait", 1, 1},      {"screenshot", 1, 1}, {"export", 2, 2},
    {"resize", 2, 2},    {"report", 0, 0},    {"expect", 2, 2},     {"quit", 0, 0},
    {"console", 1, -1},  {"lab-run", 1, -1},  {"lab-step", 2, -1},  {"do", 1, -1},
    {"panel", 2, 2},     {"wait-file", 1, 2},
};

bool toInt(const std::string& s, long long& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

/// The object behind fd `fd` of process `pid` (the file's private object, else the file).
ObjectId behindFd(const Snapshot& s, long long pid, long long fd) {
    for (const ObjectPtr& t : s.objectsOf(Kind::Task)) {
        if ((*t)[Key::pid].asInt() != pid)
            continue;
        const Object* files = s.find((*t)[Key::files].ref());
        if (!files)
            continue;
        for (Field f : (*files)[Key::fds].children())
            if (f[Key::fd].asInt() == fd) {
                ObjectId file = f[Key::file].ref();
                const Object* fo = s.find(file);
                ObjectId priv = fo ? (*fo)[Key::private_].ref() : ObjectId{};
                return priv.valid() && s.find(priv) ? priv : file;
            }
    }
    return {};
}

} // namespace

bool parseScript(const std::string& text, std::vector<ScriptAction>& out, std::string& error) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (auto hash = line.find('#'); hash != std::string::npos)
            line.resize(hash);
        std::istringstream words(line);
        ScriptAction a;
        a.line = n;
        if (!(words >> a.verb))
            continue;
        for (std::string w; words >> w;)
            a.args.push_back(w);
        const Verb* verb = nullptr;
        for (const Verb& v : Verbs)
            if (a.verb == v.name)
                verb = &v;
        if (!verb) {
            error = "line " + std::to_string(n) + ": unknown action '" + a.verb + "'";
            return false;
        }
        int argc = static_cast<int>(a.args.size());
        if (argc < verb->min || (verb->max >= 0 && argc > verb->max)) {
            error = "line " + std::to_string(n) + ": '" + a.verb + "' takes " +
                    std::to_string(verb->min) +
                    (verb->max < 0            ? "+"
                     : verb->max == verb->min ? ""
                                              : "-" + std::to_string(verb->max)) +
                    " argument(s)";
            return false;
        }
        out.push_back(std::move(a));
    }
    return true;
}

ScriptRunner::ScriptRunner(std::vector<ScriptAction> actions, ScriptHost host)
    : m_actions(std::move(actions)), m_host(std::move(host)) {}

bool ScriptRunner::fail(const ScriptAction& a, const std::string& why) {
    m_failed = true;
    m_error = "script line " + std::to_string(a.line) + " (" + a.verb + "): " + why;
    return false;
}

bool ScriptRunner::step(App& app) {
    if (m_done || m_failed)
        return false;
    if (m_waitFrames > 0) {
        --m_waitFrames;
        return true;
    }
    if (!m_waitFile.empty()) {
        // Another process tells us to go on (tests that drive the lab VM meanwhile).
        std::error_code ec;
        if (std::filesystem::exists(m_waitFile, ec)) {
            m_waitFile.clear();
        } else if (std::chrono::steady_clock::now() > m_waitFileUntil) {
            m_failed = true;
            m_error = "script: " + m_waitFile.string() + " did not appear in time";
            return false;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20)); // not a busy loop
            return true;
        }
    }
    // Wait for idle and three drawn frames (a scene that just arrived gets fitted and
    // painted before the next action looks at it).
    if (!app.idle()) {
        m_idleFrames = 0;
        if (++m_busyFrames > 60 * 120) {
            m_failed = true;
            m_error = "script: the app stayed busy for too long";
            return false;
        }
        return true;
    }
    m_busyFrames = 0;
    if (++m_idleFrames < 3)
        return true;
    m_idleFrames = 0;
    if (m_next >= m_actions.size()) {
        m_done = true;
        return false;
    }
    const ScriptAction& a = m_actions[m_next++];
    if (!run(app, a))
        return false;
    return !m_done;
}

bool ScriptRunner::run(App& app, const ScriptAction& a) {
    const auto& args = a.args;
    SnapshotPtr snap = app.snapshot();
    auto needSnapshot = [&]() {
        if (!snap)
            fail(a, "no snapshot is open");
        return snap != nullptr;
    };
    if (a.verb == "open") {
        args[0] == "demo" ? app.openDemo() : app.open(args[0]);
    } else if (a.verb == "select") {
        if (!needSnapshot())
            return false;
        ObjectId id;
        if (args[0] == "id") {
            auto parsed = parseObjectId(args[1]);
            if (!parsed || !snap->find(*parsed))
                return fail(a, "no object " + args[1]);
            id = *parsed;
        } else if (args[0] == "type") {
            auto kind = findKind(args[1]);
            long long n = 1;
            if (args.size() > 2 && !toInt(args[2], n))
                return fail(a, "bad index " + args[2]);
            auto objs = kind ? snap->objectsOf(*kind) : std::span<const ObjectPtr>{};
            if (n < 1 || static_cast<std::size_t>(n) > objs.size())
                return fail(a, "no " + args[1] + " number " + std::to_string(n) + " (there are " +
                                   std::to_string(objs.size()) + ")");
            id = objs[static_cast<std::size_t>(n - 1)]->id();
        } else if (args[0] == "pid" && args.size() == 4 && args[2] == "fd") {
            long long pid = 0, fd = 0;
            if (!toInt(args[1], pid) || !toInt(args[3], fd))
                return fail(a, "usage: select pid PID fd FD");
            id = behindFd(*snap, pid, fd);
            if (!id.valid())
                return fail(a, "pid " + args[1] + " has no fd " + args[3]);
        } else if (args[0] == "search") {
            std::string q;
            for (std::size_t i = 1; i < args.size(); ++i)
                q += (i > 1 ? " " : "") + args[i];
            auto hits = search(*snap, parseSearch(q), 1);
            if (hits.empty())
                return fail(a, "nothing matches '" + q + "'");
            id = hits[0].id;
            app.requestSearch(q); // the Search view lists (and the canvas outlines) every hit
        } else {
            return fail(a, "select id|type|pid|search ...");
        }
        app.jumpTo(id);
    } else if (a.verb == "expand") {
        if (!needSnapshot())
            return false;
        ObjectId id = app.selection();
        if (!args.empty()) {
            auto parsed = parseObjectId(args[0]);
            if (!parsed)
                return fail(a, "bad id " + args[0]);
            id = *parsed;
        }
        if (!app.expand(id))
            return fail(a, "nothing to expand for " + toString(id));
    } else if (a.verb == "view") {
        View* found = nullptr;
        for (const auto& v : app.views()) {
            std::string n = v->name();
            if (n.size() == args[0].size() &&
                std::equal(n.begin(), n.end(), args[0].begin(),
                           [](char x, char y) { return std::tolower(x) == std::tolower(y); }))
                found = v.get();
        }
        if (!found)
            return fail(a, "no view " + args[0]);
        app.openView(found->name(), args.size() < 2 || args[1] != "off");
    } else if (a.verb == "scene") {
        SceneRequest r;
        if (args[0] == "workqueues")
            r.kind = SceneKind::Workqueues;
        else if (args[0] != "overview")
            return fail(a, "scene overview|workqueues");
        app.showScene(r);
    } else if (a.verb == "zoom-fit") {
        app.requestFit();
    } else if (a.verb == "step") {
        long long n = 0;
        if (args[0] == "next")
            app.step(1);
        else if (args[0] == "prev")
            app.step(-1);
        else if (toInt(args[0], n) && n >= 1)
            app.goTo(static_cast<std::size_t>(n - 1));
        else
            return fail(a, "step next|prev|N");
    } else if (a.verb == "lecture") {
        app.setLecture(args[0] == "on");
    } else if (a.verb == "wait-idle") {
        // Every action already waits for idle.
    } else if (a.verb == "wait") {
        long long n = 0;
        if (!toInt(args[0], n) || n < 0)
            return fail(a, "wait FRAMES");
        m_waitFrames = static_cast<int>(n);
    } else if (a.verb == "wait-file") {
        long long secs = 600;
        if (args.size() > 1 && (!toInt(args[1], secs) || secs < 0))
            return fail(a, "wait-file PATH [SECONDS]");
        m_waitFile = args[0];
        m_waitFileUntil = std::chrono::steady_clock::now() + std::chrono::seconds(secs);
    } else if (a.verb == "screenshot") {
        app.requestCapture({args[0], true, {}, {}});
    } else if (a.verb == "export") {
        app.exportCurrent(args[0], args[1]);
    } else if (a.verb == "resize") {
        long long w = 0, h = 0;
        if (!toInt(args[0], w) || !toInt(args[1], h) || w < 200 || h < 150)
            return fail(a, "resize W H (at least 200 x 150)");
        if (m_host.resize)
            m_host.resize(static_cast<int>(w), static_cast<int>(h));
    } else if (a.verb == "report") {
        std::printf("%s\n", app.report().c_str());
        std::fflush(stdout);
    } else if (a.verb == "expect") {
        std::string report = app.report() + " ";
        if (report.find(" " + args[0] + "=" + args[1] + " ") == std::string::npos)
            return fail(a, "expected " + args[0] + "=" + args[1] + " in: " + app.report());
    } else if (a.verb == "console") {
        std::string code;
        for (const std::string& w : args)
            code += (code.empty() ? "" : " ") + w;
        // The runner waits for the introspection worker (idle) before the next action.
        app.introspect().console(code, [](std::string out) {
            std::printf("CONSOLE %s%s", out.c_str(), out.empty() || out.back() != '\n' ? "\n" : "");
            std::fflush(stdout);
        });
    } else if (a.verb == "lab-run") {
        // Boot a lab VM, run the program, open the snapshots of its marks (the runner waits).
        std::vector<std::string> rest(args.begin() + 1, args.end());
        std::string prog = args[0];
        app.lab().runProgram(prog, rest,
                             [&app, prog](std::filesystem::path dir, std::string error) {
                                 if (!error.empty())
                                     app.log(LogLine::Error, "lab run " + prog + ": " + error);
                                 else
                                     app.open(dir.string());
                             });
    } else if (a.verb == "lab-step") {
        // lab-step SCRIPT PROGRAM [ARGS...]: as the Stepping view's "run in a lab VM".
        std::vector<std::string> rest(args.begin() + 2, args.end());
        std::string prog = args[1];
        app.lab().runProgram(prog, rest,
                             [&app, prog](std::filesystem::path dir, std::string error) {
                                 if (!error.empty()) {
                                     app.log(LogLine::Error, "lab run " + prog + ": " + error);
                                     return;
                                 }
                                 app.open(dir.string());
                                 app.openView("History");
                             },
                             {"--step-script", std::filesystem::absolute(args[0]).string()});
    } else if (a.verb == "panel") {
        long long px = 0;
        if (!toInt(args[1], px) || px < 0)
            return fail(a, "panel: size in pixels expected");
        float* size = args[0] == "left"     ? &app.settings().leftWidth
                      : args[0] == "right"  ? &app.settings().rightWidth
                      : args[0] == "bottom" ? &app.settings().bottomHeight
                                            : nullptr;
        if (!size)
            return fail(a, "panel: left, right or bottom");
        *size = static_cast<float>(px); // the layout clamps it
    } else if (a.verb == "do") {
        View* found = nullptr;
        for (const auto& v : app.views())
            if (std::equal(args[0].begin(), args[0].end(), v->name(),
                           v->name() + std::strlen(v->name()),
                           [](char x, char y) { return std::tolower(x) == std::tolower(y); }))
                found = v.get();
        if (!found)
            return fail(a, "no view " + args[0]);
        std::string error;
        if (!found->scriptAction(app, {args.begin() + 1, args.end()}, error))
            return fail(a, error);
    } else if (a.verb == "quit") {
        m_done = true;
    }
    return true;
}

} // namespace waitscope::app
