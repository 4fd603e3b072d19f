// `waitscope session pack|info|unpack`: session files (docs/session-format.md).
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/model/session_file.hpp>
#include <waitscope/model/snapshot_io.hpp>

#include "commands.hpp"

namespace fs = std::filesystem;

namespace waitscope::cli {

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int fail(const std::string& what) {
    std::fprintf(stderr, "waitscope session: %s\n", what.c_str());
    return 2;
}

int pack(const std::string& dir, const std::string& out) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = model::sessionFromDirectory(dir);
    if (!r)
        return fail(r.error().message);
    try {
        auto st = model::writeSessionFile(out, r.value());
        std::printf("session: wrote %s: %zu snapshots (%zu objects in the first, %zu changed and "
                    "%zu removed in the deltas)%s%s, %zu bytes in %.0f ms\n",
                    out.c_str(), r->session.size(), st.fullObjects, st.deltaObjects, st.removed,
                    r->events.empty() ? "" : ", events", r->run.empty() ? "" : ", run.json",
                    st.bytes, msSince(t0));
    } catch (const base::Error& e) {
        return fail(e.what());
    }
    return 0;
}

int info(const std::string& path, bool asJson) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = model::loadSessionFile(path);
    if (!r)
        return fail(r.error().message);
    double loadMs = msSince(t0);
    const auto& s = r->session;
    nlohmann::json entries = nlohmann::json::array();
    const model::Snapshot* prev = nullptr;
    for (const auto& e : s.entries()) {
        entries.push_back({{"name", e.name},
                           {"objects", e.snapshot->size()},
                           {"shared_with_previous", prev ? e.snapshot->sharedWith(*prev) : 0},
                           {"release", std::string(e.snapshot->kernelRelease())}});
        prev = e.snapshot.get();
    }
    nlohmann::json j = {{"path", path},
                        {"format", std::string(model::SessionMagic)},
                        {"snapshots", s.size()},
                        {"heap_bytes", s.heapBytes()},
                        {"events_bytes", r->events.size()},
                        {"run_json", !r->run.empty()},
                        {"load_ms", loadMs},
                        {"entries", entries}};
    if (asJson) {
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("%s: %s, %zu snapshots, %.1f MB in memory (shared objects counted once), "
                "events %s, run.json %s, loaded in %.0f ms\n",
                path.c_str(), std::string(model::SessionMagic).c_str(), s.size(),
                static_cast<double>(s.heapBytes()) / 1e6,
                r->events.empty() ? "no" : (std::to_string(r->events.size()) + " bytes").c_str(),
                r->run.empty() ? "no" : "yes", loadMs);
    for (const auto& e : entries)
        std::printf("  %-24s %8zu objects, %8zu shared with the previous\n",
                    e["name"].get<std::string>().c_str(), e["objects"].get<std::size_t>(),
                    e["shared_with_previous"].get<std::size_t>());
    return 0;
}

int unpack(const std::string& path, const std::string& dir) {
    auto r = model::loadSessionFile(path);
    if (!r)
        return fail(r.error().message);
    try {
        fs::create_directories(dir);
        for (std::size_t i = 0; i < r->session.size(); ++i) {
            const auto& e = r->session[i];
            std::string name = e.name;
            for (char& c : name)
                if (c == '/' || c == '\0')
                    c = '_';
            model::writeSnapshotFile(fs::path(dir) / (name + ".json"), *e.snapshot);
        }
        if (!r->events.empty())
            base::writeFileAtomic(fs::path(dir) / "events.json", r->events);
        if (!r->run.empty())
            base::writeFileAtomic(fs::path(dir) / "run.json", r->run);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    std::printf("session: %zu snapshots written to %s\n", r->session.size(), dir.c_str());
    return 0;
}

} // namespace

void addSessionCommands(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand(
        "session", "Session files: a run's snapshots (shared objects stored once) and events");
    cmd->require_subcommand(1);

    static std::string packDir, packOut;
    auto* p = cmd->add_subcommand(
        "pack", "Make a session file from a directory of snapshots (a waitscope lab run --out "
                "DIR: its marks and breakpoint stops in order, events.json, run.json)");
    p->add_option("dir", packDir, "The directory")->required();
    p->add_option("-o,--out", packOut, "The session file to write (.wss)")->required();
    p->callback([&status] { status = pack(packDir, packOut); });

    static std::string infoPath;
    static bool infoJson = false;
    auto* i = cmd->add_subcommand("info", "Describe a session file");
    i->add_option("file", infoPath, "The session file")->required();
    i->add_flag("--json", infoJson, "As JSON");
    i->callback([&status] { status = info(infoPath, infoJson); });

    static std::string unpackPath, unpackDir;
    auto* u = cmd->add_subcommand(
        "unpack", "Write a session file's snapshots as <name>.json (and events.json, run.json)");
    u->add_option("file", unpackPath, "The session file")->required();
    u->add_option("dir", unpackDir, "Output directory")->required();
    u->callback([&status] { status = unpack(unpackPath, unpackDir); });
}

} // namespace waitscope::cli
