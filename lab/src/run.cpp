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
} // namespace

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
    if (!o.breaks.symbols.empty())
        breaks.emplace(*vm, o.breaks);
    vm->write("\n"); // the guest waits for this before it starts the program
    const std::string exitPrefix = "WAITSCOPE_EXIT " + vm->nonce() + " ";
    std::map<std::string, int> seen;
    std::vector<std::string> output;
    int status = -1;
    auto deadline = Clock::now() + o.timeout;
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
