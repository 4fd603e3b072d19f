#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/base/signals.hpp>
#include <waitscope/lab/run.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using waitscope::base::Error;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace waitscope::lab {

namespace {
constexpr std::string_view MarkPrefix = "WAITSCOPE_MARK ";
// What `lab run --guest-dump` makes ws_mark() print before its mark: the in-guest
// `waitscope dump --kcore` output between these lines (docs/lab-programs.md).
constexpr std::string_view GuestDumpBegin = "WAITSCOPE_GUEST_DUMP_BEGIN";
constexpr std::string_view GuestDumpEnd = "WAITSCOPE_GUEST_DUMP_END ";

/// The in-guest dump that comes before a mark, collected from the program's output.
struct GuestDump {
    bool open = false, ready = false;
    std::string text;
    int status = 0;

    /// Takes `line` when it belongs to a dump; false when it is the program's.
    bool take(const std::string& line) {
        if (!open && line.rfind(GuestDumpBegin, 0) == 0) {
            open = true;
            ready = false;
            text.clear();
            return true;
        }
        if (!open)
            return false;
        auto at = line.find(GuestDumpEnd);
        text.append(line, 0, at);
        if (at == std::string::npos) {
            text += '\n';
        } else {
            status = std::atoi(line.c_str() + at + GuestDumpEnd.size());
            open = false;
            ready = true;
            while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
                text.pop_back();
        }
        return true;
    }
    /// Save a finished dump as DIR/<mark>.kcore.json and say so in the mark's record; when
    /// one was `wanted` and none came, say that instead (in the record and on stderr).
    void save(const fs::path& dir, const std::string& mark, json& record, bool wanted) {
        if (!ready) {
            if (wanted) {
                record["guest_dump"] = {{"error", "no in-guest dump before this mark"}};
                std::fprintf(stderr,
                             "lab: --guest-dump: no in-guest dump before mark %s (the disk did "
                             "not mount, is not a tools disk, or the program does not use "
                             "ws_mark(); see console.log)\n",
                             mark.c_str());
            }
            return;
        }
        fs::path path = dir / (mark + ".kcore.json");
        base::writeFileAtomic(path, text + "\n");
        record["guest_dump"] = {
            {"path", path.filename()}, {"bytes", text.size() + 1}, {"status", status}};
        ready = false;
    }
};

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// QEMU's GUEST_PANICKED event data, if one arrived.
std::optional<json> guestPanic(Vm& vm) {
    vm.qmp().pollEvents();
    for (const json& ev : vm.qmp().takeEvents())
        if (ev.value("event", "") == "GUEST_PANICKED")
            return ev.value("data", json::object());
    return std::nullopt;
}
std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> w;
    std::string cur;
    for (char c : line) {
        if (c == '#')
            break;
        if (c == ' ' || c == '\t') {
            if (!cur.empty())
                w.push_back(std::exchange(cur, {}));
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty())
        w.push_back(cur);
    return w;
}

/// The step script's state: what the VM runs until, and each symbol's conditions.
struct StepScript {
    std::vector<std::vector<std::string>> lines;
    std::size_t next = 0;
    std::string untilMark;           ///< waiting for this mark
    std::vector<std::string> parked; ///< breakpoints lifted until the mark
    std::map<std::string, std::vector<std::string>> conditions;
    bool free = false; ///< resumed for good: no breakpoints any more
};
} // namespace

std::string stepScriptError(const std::string& line) {
    auto w = words(line);
    if (w.empty())
        return "";
    const std::string& v = w[0];
    if (v == "break") {
        if (w.size() < 2 || (w.size() > 2 && (w[2] != "if" || w.size() < 4)))
            return "'" + line + "': break SYM [if KEY=VALUE ...]";
    } else if (v == "delete" || v == "until-mark" || v == "snapshot") {
        if (w.size() != 2)
            return "'" + line + "': " + v + " takes one argument";
    } else if (v == "continue") {
        if (w.size() > 2 || (w.size() == 2 && std::atoi(w[1].c_str()) <= 0))
            return "'" + line + "': continue [N >= 1]";
    } else if (v != "resume") {
        return "'" + line +
               "': unknown command (break, delete, continue, until-mark, snapshot, "
               "resume)";
    }
    return "";
}

std::string dumpFormatName(DumpFormat format) {
    switch (format) {
    case DumpFormat::Elf:
        return "elf";
    case DumpFormat::ElfPhys:
        return "elf-phys";
    case DumpFormat::Kdump:
        return "kdump";
    }
    return "elf";
}

std::string sanitizeMarkName(const std::string& raw) {
    std::string out;
    for (char c : raw) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (out.size() < 64)
            out.push_back(ok ? c : '_');
    }
    while (!out.empty() && out.front() == '.')
        out.erase(0, 1);
    return out.empty() ? "mark" : out;
}

int runLabProgram(const RunOptions& o) {
    if (!o.vm.program)
        throw Error("lab run: no program");
    fs::create_directories(o.outDir);
    std::ofstream out(o.outDir / "stdout.txt", std::ios::binary | std::ios::trunc);
    if (!out)
        throw Error("cannot write " + (o.outDir / "stdout.txt").string());

    auto t0 = Clock::now();
    auto vm = Vm::boot(o.vm);
    json run = {{"program", o.vm.program->string()},      {"args", o.vm.programArgs},
                {"release", vm->info().release},          {"accel", vm->info().accel},
                {"boot_seconds", vm->info().bootSeconds}, {"marks", json::array()}};
    if (o.echo)
        std::fprintf(stderr, "lab: %s ready in %.2f s (%s)\n", vm->info().release.c_str(),
                     vm->info().bootSeconds, vm->info().accel.c_str());
    if (o.onBooted)
        o.onBooted(*vm);
    std::optional<Breakpoints> breaks;
    StepScript script;
    if (!o.stepScript.empty()) {
        BreakOptions b = o.breaks;
        b.scripted = true;
        b.count = 0;
        breaks.emplace(*vm, b);
        for (const auto& line : o.stepScript)
            if (auto w = words(line); !w.empty())
                script.lines.push_back(w);
    } else if (!o.breaks.symbols.empty()) {
        breaks.emplace(*vm, o.breaks);
    }
    std::map<std::string, int> seen;
    std::vector<std::string> output;
    // Capture now, at a stop, under `name` (a "snapshot NAME" line).
    auto captureHere = [&](const std::string& raw, const char* kind) {
        std::string name = sanitizeMarkName(raw);
        if (int n = ++seen[name]; n > 1)
            name += "-" + std::to_string(n);
        json record = {{"name", name}, {"kind", kind}, {"t_ms", msSince(t0)}};
        MarkContext ctx{*vm, name, o.outDir, record, Clock::now(), output, {}};
        for (const auto& step : o.captures)
            step(ctx);
        for (auto& job : ctx.afterResume) // still stopped: the next capture needs the session
            job();
        run["marks"].push_back(record);
    };
    // Run script lines while the VM is stopped, up to the next that lets it run.
    auto runScript = [&] {
        while (script.next < script.lines.size()) {
            const auto& w = script.lines[script.next++];
            if (w[0] == "break") {
                breaks->add(w[1]);
                script.conditions[w[1]].assign(w.begin() + std::min<std::size_t>(w.size(), 3),
                                               w.end());
            } else if (w[0] == "delete") {
                breaks->remove(w[1]);
                script.conditions.erase(w[1]);
            } else if (w[0] == "snapshot") {
                captureHere(w[1], "snapshot");
            } else if (w[0] == "continue") {
                breaks->allow(w.size() > 1 ? static_cast<unsigned>(std::atoi(w[1].c_str())) : 1);
                return;
            } else if (w[0] == "until-mark") {
                script.untilMark = sanitizeMarkName(w[1]);
                for (const auto& [sym, c] : script.conditions) {
                    breaks->remove(sym);
                    script.parked.push_back(sym);
                }
                breaks->allow(0);
                return;
            } else { // resume
                break;
            }
        }
        for (const auto& [sym, c] : script.conditions)
            breaks->remove(sym);
        script.conditions.clear();
        breaks->allow(0);
        script.free = true;
    };
    if (!script.lines.empty()) {
        breaks->stop();
        runScript();
        breaks->resume();
    }
    vm->write("\n"); // the guest waits for this before it starts the program
    const std::string exitPrefix = "WAITSCOPE_EXIT " + vm->nonce() + " ";
    int status = -1;
    auto deadline = Clock::now() + o.timeout;
    GuestDump guestDump;
    auto emit = [&](const std::string& line) {
        output.push_back(line);
        out << line << '\n';
        out.flush();
        if (o.echo) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
        }
    };
    try {
        while (status < 0) {
            if (int sig = base::stopRequested()) {
                status = 128 + sig;
                run["interrupted"] = sig;
                break;
            }
            if (Clock::now() >= deadline) {
                status = 124;
                run["timed_out"] = true;
                std::fprintf(stderr, "lab: timeout after %lld s; console:\n%s",
                             static_cast<long long>(o.timeout.count()), vm->consoleTail().c_str());
                break;
            }
            if (breaks && !breaks->done()) {
                // Wait on the gdbstub first so a stop is seen within
                // milliseconds; console lines queue meanwhile.
                if (auto hit = breaks->poll(10ms)) {
                    // Stopped by the gdbstub: capture as at a mark, then go on.
                    json record = hit->toJson();
                    if (auto c = script.conditions.find(hit->symbol);
                        c != script.conditions.end() && !c->second.empty())
                        record["conditions"] = c->second;
                    if (o.acceptStop && !o.acceptStop(record)) {
                        breaks->skip();
                        continue;
                    }
                    record["name"] = "hit-" + std::to_string(hit->number);
                    record["kind"] = "breakpoint";
                    record["t_ms"] = msSince(t0);
                    MarkContext ctx{*vm, record["name"], o.outDir, record, hit->stoppedAt, output,
                                    {}};
                    for (const auto& step : o.captures)
                        step(ctx);
                    if (!script.lines.empty() && breaks->done()) {
                        // The script goes on while stopped: finish this capture first.
                        for (auto& job : ctx.afterResume)
                            job();
                        ctx.afterResume.clear();
                        run["marks"].push_back(record);
                        runScript();
                        breaks->resume();
                        continue;
                    }
                    breaks->resume();
                    for (auto& job : ctx.afterResume)
                        job();
                    run["marks"].push_back(record);
                    continue;
                }
            }
            if (auto panic = guestPanic(*vm)) {
                // QEMU paused the guest (pvpanic, -action panic=pause): keep it.
                json record = {
                    {"name", "panic"}, {"kind", "panic"}, {"t_ms", msSince(t0)}, {"qemu", *panic}};
                fs::path path = o.outDir / "panic.vmcore";
                auto st =
                    dumpGuestMemory(vm->qmp(), path, o.vmcoreFormats.front(), vm->info().release);
                record["vmcore"] = {{"path", path.filename()}, {"bytes", st.bytes}, {"ms", st.ms}};
                MarkContext ctx{*vm, "panic", o.outDir, record, Clock::now(), output, {}};
                for (const auto& step : o.captures)
                    step(ctx);
                for (auto& job : ctx.afterResume) // the guest stays paused
                    job();
                run["marks"].push_back(record);
                run["panicked"] = true;
                status = PanicStatus;
                std::fprintf(stderr, "lab: the guest kernel panicked; saved %s\n", path.c_str());
                break;
            }
            auto line = vm->readLine(breaks && !breaks->done() ? 1ms : 200ms);
            if (!line)
                continue;
            // The exit line follows the program's output directly, so a last
            // line without a newline arrives glued in front of it.
            if (auto at = line->find(exitPrefix); at != std::string::npos) {
                status = std::atoi(line->c_str() + at + exitPrefix.size());
                if (at > 0)
                    emit(line->substr(0, at));
                break;
            }
            if (guestDump.take(*line))
                continue;
            emit(*line);
            if (line->rfind(MarkPrefix, 0) != 0)
                continue;
            std::string name = sanitizeMarkName(line->substr(MarkPrefix.size()));
            if (int n = ++seen[name]; n > 1)
                name += "-" + std::to_string(n);
            json record = {{"name", name}, {"t_ms", msSince(t0)}};
            if (o.beforePause)
                o.beforePause(name, output);
            auto paused = Clock::now();
            record["stop_ms"] = vm->pause();
            guestDump.save(o.outDir, name, record, o.vm.guestDump);
            MarkContext ctx{*vm, name, o.outDir, record, paused, output, {}};
            for (const auto& step : o.captures)
                step(ctx);
            if (o.vmcore) {
                bool several = o.vmcoreFormats.size() > 1;
                for (auto fmt : o.vmcoreFormats) {
                    std::string suffix =
                        several ? "." + dumpFormatName(fmt) + ".vmcore" : ".vmcore";
                    fs::path path = o.outDir / (name + suffix);
                    auto st = dumpGuestMemory(vm->qmp(), path, fmt, vm->info().release);
                    json entry = {{"path", path.filename()},
                                  {"bytes", st.bytes},
                                  {"ms", st.ms},
                                  {"format", dumpFormatName(fmt)}};
                    if (several)
                        record["vmcores"].push_back(entry);
                    else
                        record["vmcore"] = entry;
                }
            }
            vm->resume();
            record["paused_ms"] = msSince(paused);
            for (auto& job : ctx.afterResume)
                job();
            run["marks"].push_back(record);
            if (!script.untilMark.empty() && name == script.untilMark) {
                // Reached: put the breakpoints back and go on with the script.
                script.untilMark.clear();
                breaks->stop();
                for (const auto& sym : std::exchange(script.parked, {}))
                    breaks->add(sym);
                runScript();
                breaks->resume();
            }
            vm->write("\n");
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "lab: %s\n", e.what());
        run["error"] = e.what();
        status = 125;
    }
    if (std::string rest = vm->takePartialLine(); !rest.empty())
        emit(rest);
    if (breaks)
        run["breakpoints"] = {{"symbols", o.breaks.symbols},
                              {"script", !script.lines.empty()},
                              {"hits", breaks->hits()},
                              {"skipped", breaks->skipped()},
                              {"kaslr_offset", breaks->kaslrOffset()}};
    breaks.reset();
    run["exit_status"] = status;
    if (o.onFinished) {
        try {
            o.onFinished(*vm, run);
        } catch (const Error& e) {
            std::fprintf(stderr, "lab: %s\n", e.what());
            run["error"] = e.what();
        }
    }
    run["seconds"] = msSince(t0) / 1000.0;
    std::error_code ec;
    fs::copy_file(vm->info().stateDir / "console.log", o.outDir / "console.log",
                  fs::copy_options::overwrite_existing, ec);
    vm->shutdown();
    base::writeFileAtomic(o.outDir / "run.json", run.dump(2) + "\n");
    return status;
}

} // namespace waitscope::lab
