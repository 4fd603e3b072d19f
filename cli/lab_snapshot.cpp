#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <optional>

#include <waitscope/base/files.hpp>

#include "lab_snapshot.hpp"

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
    options.onBoot = [this](lab::Vm& vm) { onBoot(vm); };
    options.beforePause = [this](const std::string&) { ready(); };
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
    std::vector<std::string> argv = {"--lab-ram", info.ramPath.string(), "--vmlinux",
                                     info.vmlinux.string(), "--source", "lab", "--lab-dir",
                                     m_labRoot.string(), "--no-stacks"};
    for (const auto& ko : {info.vpollKo, info.simruptKo}) {
        argv.push_back("--auto-module");
        argv.push_back(ko.string());
    }
    argv.insert(argv.end(), m_options.extraArgs.begin(), m_options.extraArgs.end());
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

void LabSnapshotter::capture(lab::MarkContext& ctx) {
    if (!m_disabled.empty())
        return;
    try {
        ready();
        if (!m_session)
            return;
        std::optional<std::vector<int>> pids;
        if (m_options.pidFromExpect) {
            if (auto pid = expectedPid(ctx.output))
                pids = std::vector<int>{*pid};
        }
        auto st = m_session->capture(ctx.mark, pids);
        double pause = msBetween(ctx.pausedAt, Clock::now());
        ctx.record["snapshot"] = {{"read_ms", st.readMs}, {"pause_ms", pause},
                                  {"load_ms", st.loadMs}};
        if (m_options.baseline) {
            std::string list = "[";
            for (int p : pids.value_or(std::vector<int>{}))
                list += std::to_string(p) + ",";
            list += "]";
            std::string out = m_session->console(
                "import time as _t\nfrom waitscope_introspect.reference import reference_walk as _rw\n"
                "_t0 = _t.perf_counter(); _rw(prog, " + list + "); "
                "print((_t.perf_counter() - _t0) * 1000)");
            try {
                ctx.record["snapshot"]["baseline_ms"] = std::stod(out);
            } catch (const std::exception&) {
                ctx.record["snapshot"]["baseline_error"] = out;
            }
        }
        ctx.afterResume.push_back([this, &ctx, pause] {
          try {
            auto t0 = Clock::now();
            std::string extra = "{\"pause_ms\": " + std::to_string(pause) + "}";
            for (const auto& fmt : m_options.formats) {
                std::string ext = fmt == "text" ? "txt" : fmt;
                fs::path out = ctx.outDir / (ctx.mark + "." + ext);
                std::string data = m_session->render(fmt, extra);
                base::writeFileAtomic(out, data);
                if (fmt == "json") {
                    ctx.record["snapshot"]["path"] = out.filename().string();
                    ctx.record["snapshot"]["bytes"] = data.size();
                }
            }
            ctx.record["snapshot"]["render_ms"] = msBetween(t0, Clock::now());
          } catch (const std::exception& e) {
            ctx.record["snapshot"]["error"] = e.what();
            std::fprintf(stderr, "lab: snapshot at %s failed: %s\n", ctx.mark.c_str(), e.what());
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
