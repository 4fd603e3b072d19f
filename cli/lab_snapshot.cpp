#include "lab_snapshot.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include <waitscope/base/files.hpp>
#include <waitscope/base/process.hpp>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace waitscope::cli {

namespace {
double msBetween(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}
} // namespace

LabSnapshotter::LabSnapshotter(fs::path labRoot, Options options)
    : m_labRoot(std::move(labRoot)), m_options(std::move(options)) {}

namespace {
/// "pid" of the program's last WAITSCOPE_EXPECT line, if any.
std::optional<int> expectedPid(const std::vector<std::string>& output) {
    for (auto it = output.rbegin(); it != output.rend(); ++it) {
        if (it->rfind("WAITSCOPE_EXPECT ", 0) != 0)
            continue;
        try {
            auto j = nlohmann::json::parse(it->substr(17));
            if (j.contains("pid"))
                return j["pid"].get<int>();
        } catch (const std::exception&) {
        }
        return std::nullopt;
    }
    return std::nullopt;
}
} // namespace

LabSnapshotter::~LabSnapshotter() {
    if (m_opening.valid()) {
        try {
            m_opening.get();
        } catch (...) {
        }
    }
    m_session.reset();
    m_host.reset();
}

void LabSnapshotter::attach(lab::RunOptions& options) {
    options.onBooted = [this, prev = options.onBooted](lab::Vm& vm) {
        if (prev)
            prev(vm);
        onBoot(vm);
    };
    options.beforePause = [this](const std::string&, const std::vector<std::string>& output) {
        beforePause(output);
    };
    options.acceptStop = [this](nlohmann::json& record) { return accept(record); };
    options.captures.insert(options.captures.begin(),
                            [this](lab::MarkContext& ctx) { capture(ctx); });
}

void LabSnapshotter::onBoot(lab::Vm& vm) {
    try {
        m_host = std::make_unique<pyhost::PythonHost>();
    } catch (const std::exception& e) {
        m_disabled = e.what();
        std::fprintf(stderr, "lab: no snapshots: %s\n", e.what());
        return;
    }
    const auto& info = vm.info();
    std::vector<std::string> argv = {
        "--lab-ram", info.ramPath.string(), "--vmlinux",        info.vmlinux.string(), "--source",
        "lab",       "--lab-dir",           m_labRoot.string(), "--no-stacks"};
    for (const auto& ko : {info.vpollKo, info.simruptKo}) {
        argv.push_back("--auto-module");
        argv.push_back(ko.string());
    }
    argv.insert(argv.end(), m_options.extraArgs.begin(), m_options.extraArgs.end());
    m_argv = argv;
    auto* host = m_host.get();
    // Loading debug info takes about a second: do it while the program starts.
    m_opening = std::async(std::launch::async,
                           [host, argv] { return pyhost::IntrospectSession::open(*host, argv); });
}

void LabSnapshotter::ready() {
    // The first mark may come before the debug info is loaded: wait for it
    // while the guest still runs (its program waits for our newline).
    if (m_session || !m_disabled.empty() || !m_opening.valid())
        return;
    try {
        m_session = m_opening.get();
    } catch (const std::exception& e) {
        m_disabled = e.what();
        std::fprintf(stderr, "lab: no snapshots: %s\n", e.what());
    }
}

std::optional<std::vector<int>> LabSnapshotter::pidsFor(const std::vector<std::string>& output) {
    if (m_options.pidFromExpect) {
        if (auto pid = expectedPid(output))
            return std::vector<int>{*pid};
    }
    return std::nullopt;
}

void LabSnapshotter::beforePause(const std::vector<std::string>& output) {
    ready();
    m_rehearsed = false;
    if (!m_session || !m_options.copyOnPause)
        return;
    try {
        m_rehearseMs = m_session->rehearse(pidsFor(output));
        m_rehearsed = true;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lab: snapshot rehearsal failed (%s); walking while paused\n",
                     e.what());
    }
}

double LabSnapshotter::coldSnapshot(const fs::path& out) {
    // env(1) sets PYTHONPATH for the child only (no setenv in a threaded process).
    std::vector<std::string> argv = {"/usr/bin/env",
                                     "PYTHONPATH=" + m_host->packageDir().parent_path().string(),
                                     "/usr/bin/python3", "-m", "waitscope_introspect"};
    argv.insert(argv.end(), m_argv.begin(), m_argv.end());
    argv.insert(argv.end(), {"--out", out.string()});
    auto t0 = Clock::now();
    pid_t pid = base::spawnProcess(argv);
    auto status = base::waitProcess(pid, std::chrono::seconds(120));
    double ms = msBetween(t0, Clock::now());
    std::error_code ec;
    bool ok = status && base::exitCodeOf(*status) == 0 && fs::file_size(out, ec) > 0;
    fs::remove(out, ec);
    if (!ok) {
        std::fprintf(stderr, "lab: the cold baseline snapshot failed\n");
        return -1;
    }
    return ms;
}

namespace {
const char* const RegNames[] = {"rip", "rsp", "rbp", "rax", "rbx", "rcx", "rdx", "rsi", "rdi",
                                "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
const char* const ObjectNames[] = {"eventpoll",       "epitem",     "vpoll", "file",
                                   "wait_queue_head", "wait_entry", "wakee"};

std::optional<unsigned long long> number(const std::string& text) {
    std::string t = text.substr(text.find(':') == std::string::npos ? 0 : text.find(':') + 1);
    if (t.empty())
        return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(t.c_str(), &end, 0);
    if (errno || *end)
        return std::nullopt;
    return v;
}

std::string valueText(const nlohmann::json& v) {
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_number_integer())
        return std::to_string(v.get<long long>());
    return v.dump();
}
} // namespace

std::string stopConditionError(const std::string& c) {
    auto eq = c.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == c.size())
        return "'" + c + "' is not KEY=VALUE";
    std::string key = c.substr(0, eq), value = c.substr(eq + 1);
    if (key == "comm")
        return "";
    bool known = key == "pid" || key == "tgid" || key == "cpu" ||
                 (key.size() == 4 && key.rfind("arg", 0) == 0 && key[3] >= '0' && key[3] <= '5');
    for (const char* r : RegNames)
        known = known || key == r;
    for (const char* o : ObjectNames)
        known = known || key == o;
    if (!known)
        return "unknown condition key '" + key +
               "' (pid, tgid, comm, cpu, arg0..arg5, a register, or eventpoll, epitem, vpoll, "
               "file, wait_queue_head, wait_entry, wakee)";
    if (!number(value))
        return "'" + value + "' is not a number (decimal or 0x...)";
    return "";
}

bool stopMatches(const nlohmann::json& record, const std::string& c) {
    auto eq = c.find('=');
    std::string key = c.substr(0, eq), want = c.substr(eq + 1);
    const nlohmann::json decoded = record.value("decoded", nlohmann::json::object());
    nlohmann::json have;
    if (key == "pid" || key == "tgid" || key == "comm")
        have = decoded.value("task_" + key, nlohmann::json());
    else if (key == "cpu")
        have = record.value("cpu", nlohmann::json());
    else if (key.rfind("arg", 0) == 0)
        have = record["args"].at(static_cast<std::size_t>(key[3] - '0'));
    else if (record.contains("regs") && record["regs"].contains(key))
        have = record["regs"][key];
    else
        have = decoded.value("objects", nlohmann::json::object()).value(key, nlohmann::json());
    if (have.is_null())
        return false; // not known at this stop: the condition cannot hold
    if (key == "comm")
        return valueText(have) == want;
    auto a = number(valueText(have)), b = number(want);
    return a && b && *a == *b;
}

bool LabSnapshotter::accept(nlohmann::json& record) {
    ready();
    if (m_session)
        decodeStop(record);
    for (const auto& c : m_options.conditions)
        if (!stopMatches(record, c))
            return false;
    // A step script's per-breakpoint conditions ("break SYM if ...").
    for (const auto& c : record.value("conditions", nlohmann::json::array()))
        if (!stopMatches(record, c.get<std::string>()))
            return false;
    return true;
}

nlohmann::json LabSnapshotter::decodeStop(nlohmann::json& record) {
    nlohmann::json request = {{"function", record.value("symbol", "")},
                              {"cpu", record.value("cpu", 0)},
                              {"regs", record.value("regs", nlohmann::json::object())}};
    auto t0 = Clock::now();
    nlohmann::json stop;
    try {
        // A condition check (accept()) may have decoded this stop already.
        stop = record.contains("decoded")
                   ? record["decoded"]
                   : nlohmann::json::parse(m_session->decodeStop(request.dump()));
    } catch (const std::exception& e) {
        stop = {{"function", request["function"]},
                {"cpu", request["cpu"]},
                {"errors", {std::string("decode: ") + e.what()}}};
    }
    if (!record.contains("decoded")) {
        record["decoded"] = stop;
        record["decode_ms"] = msBetween(t0, Clock::now());
    }
    // The snapshot carries the whole stop, so the app needs nothing else.
    stop["regs"] = request["regs"];
    if (record.contains("stack_scan"))
        stop["stack_scan"] = record["stack_scan"];
    if (record.contains("number"))
        stop["hit"] = record["number"];
    return stop;
}

void LabSnapshotter::capture(lab::MarkContext& ctx) {
    if (!m_disabled.empty())
        return;
    try {
        ready();
        if (!m_session)
            return;
        auto pids = pidsFor(ctx.output);
        bool frozen = false;
        double copied = 0;
        pyhost::CaptureStats st;
        bool rehearsed = std::exchange(m_rehearsed, false);
        // A breakpoint stop: what the registers point at, read while stopped.
        nlohmann::json stop;
        if (ctx.record.value("kind", "") == "breakpoint")
            stop = decodeStop(ctx.record);
        if (rehearsed) {
            // The pause covers one copy of the pages the rehearsal read.
            copied = m_session->freeze();
            frozen = true;
        } else {
            st = m_session->capture(ctx.mark, pids);
        }
        double pause = msBetween(ctx.pausedAt, Clock::now());
        ctx.record["snapshot"] = {{"pause_ms", pause}};
        if (frozen)
            ctx.record["snapshot"]["copied_bytes"] = copied;
        // Not part of this snapshot's own time: available_ms leaves it out.
        double cold = 0;
        if (m_options.coldBaseline && !stop.is_null()) {
            cold = coldSnapshot(ctx.outDir / (ctx.mark + ".cold.json"));
            ctx.record["snapshot"]["cold_ms"] = cold;
        }
        if (m_options.baseline)
            ctx.record["snapshot"]["baseline_ms"] =
                m_session->baselineWalk(pids.value_or(std::vector<int>{}));
        ctx.afterResume.push_back([this, &ctx, pause, frozen, pids, st, stop, cold]() mutable {
            try {
                auto& rec = ctx.record["snapshot"];
                double pauseMs = pause;
                std::string strategy = "walk";
                if (frozen) {
                    strategy = "copy";
                    rec["rehearse_ms"] = m_rehearseMs;
                    if (auto fst = m_session->captureFrozen(ctx.mark, pids)) {
                        st = *fst;
                    } else {
                        // Memory moved between the rehearsal and the pause:
                        // pause again and read while paused.
                        strategy = "copy-missed-then-walk";
                        auto t0 = Clock::now();
                        ctx.vm.pause();
                        try {
                            st = m_session->capture(ctx.mark, pids);
                        } catch (...) {
                            ctx.vm.resume();
                            throw;
                        }
                        ctx.vm.resume();
                        pauseMs = msBetween(t0, Clock::now());
                        rec["second_pause_ms"] = pauseMs;
                    }
                }
                rec["read_ms"] = st.readMs;
                rec["load_ms"] = st.loadMs;
                rec["strategy"] = strategy;
                auto t0 = Clock::now();
                nlohmann::json extraJson = {{"pause_ms", pauseMs}, {"pause_strategy", strategy}};
                if (!stop.is_null())
                    extraJson["stop"] = stop;
                std::string extra = extraJson.dump();
                for (const auto& fmt : m_options.formats) {
                    std::string ext = fmt == "text" ? "txt" : fmt;
                    fs::path out = ctx.outDir / (ctx.mark + "." + ext);
                    std::string data = m_session->render(fmt, extra);
                    base::writeFileAtomic(out, data);
                    if (fmt == "json") {
                        rec["path"] = out.filename().string();
                        rec["bytes"] = data.size();
                    }
                }
                rec["render_ms"] = msBetween(t0, Clock::now());
                // From the stop (or the pause) to the snapshot file on disk.
                rec["available_ms"] = msBetween(ctx.pausedAt, Clock::now()) - std::max(cold, 0.0);
            } catch (const std::exception& e) {
                ctx.record["snapshot"]["error"] = e.what();
                std::fprintf(stderr, "lab: snapshot at %s failed: %s\n", ctx.mark.c_str(),
                             e.what());
            }
        });
    } catch (const std::exception& e) {
        ctx.record["snapshot"] = {{"error", e.what()}};
        std::fprintf(stderr, "lab: snapshot at %s failed: %s\n", ctx.mark.c_str(), e.what());
        if (!m_session) {
            m_disabled = e.what();
        }
    }
}

} // namespace waitscope::cli
