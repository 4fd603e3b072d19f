// `waitscope render SNAPSHOT --out FILE`: draw a snapshot with the layout engines, headless
// (the same scenes the app's canvas shows, written as SVG or pinned DOT).
#include <cstdio>
#include <filesystem>
#include <variant>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/model/snapshot_io.hpp>

#include "commands.hpp"
#include "scene/build.hpp"
#include "scene/export_dot.hpp"
#include "scene/export_svg.hpp"

namespace waitscope::cli {

namespace {

struct RenderFlags {
    std::string snapshot, out, format, scene = "overview", focus;
    bool kernelThreads = false;
};

/// The first object of `kind` in address order, or an invalid id.
model::ObjectId firstOf(const model::Snapshot& s, model::Kind kind) {
    auto objects = s.objectsOf(kind);
    return objects.empty() ? model::ObjectId{} : objects.front()->id();
}

/// The scene the flags ask for, or an error message.
std::variant<app::SceneRequest, std::string> requestFor(const model::Snapshot& s,
                                                        const RenderFlags& f) {
    using model::Kind;
    app::SceneRequest r;
    r.overview.kernelThreads = f.kernelThreads;
    if (!f.focus.empty()) {
        auto id = model::parseObjectId(f.focus);
        if (!id)
            return "--focus: not an object id (type:0xaddr): " + f.focus;
        if (!s.find(*id))
            return "--focus: no object " + f.focus + " in the snapshot";
        r = app::expandRequest(s, *id);
        if (r.kind == app::SceneKind::Empty)
            return "--focus: " + f.focus + " has no scene of its own (try an eventpoll, " +
                   "epitem, wait queue head or entry, kfifo, circ_buf or workqueue object)";
        return r;
    }
    if (f.scene == "overview") {
        r.kind = app::SceneKind::Overview;
        return r;
    }
    if (f.scene == "workqueues") {
        r.kind = app::SceneKind::Workqueues;
        return r;
    }
    model::ObjectId id;
    if (f.scene == "eventpoll")
        id = firstOf(s, Kind::Eventpoll);
    else if (f.scene == "waitqueue")
        id = firstOf(s, Kind::WaitQueueHead);
    else if (f.scene == "ring")
        id = firstOf(s, Kind::Kfifo).valid() ? firstOf(s, Kind::Kfifo) : firstOf(s, Kind::CircBuf);
    if (!id.valid())
        return "the snapshot has no object for a " + f.scene + " scene";
    return app::expandRequest(s, id);
}

int runRender(const RenderFlags& f) {
    auto loaded = model::loadSnapshotFile(f.snapshot);
    if (!loaded) {
        std::fprintf(stderr, "waitscope render: %s\n", loaded.error().message.c_str());
        return 2;
    }
    const model::Snapshot& s = *loaded.value();
    auto req = requestFor(s, f);
    if (auto* msg = std::get_if<std::string>(&req)) {
        std::fprintf(stderr, "waitscope render: %s\n", msg->c_str());
        return 2;
    }
    app::ScenePtr scene = app::buildScene(s, std::get<app::SceneRequest>(req));
    std::string format = f.format;
    if (format.empty())
        format = std::filesystem::path(f.out).extension() == ".dot" ? "dot" : "svg";
    std::string text = format == "dot" ? app::sceneToDot(*scene) : app::sceneToSvg(*scene);
    try {
        if (f.out == "-")
            std::fwrite(text.data(), 1, text.size(), stdout);
        else
            base::writeFileAtomic(f.out, text);
    } catch (const base::Error& e) {
        std::fprintf(stderr, "waitscope render: %s\n", e.what());
        return 1;
    }
    for (const std::string& note : scene->notes)
        std::fprintf(stderr, "waitscope render: note: %s\n", note.c_str());
    std::fprintf(stderr,
                 "waitscope render: %s: %zu boxes, %zu edges (query %.1f ms, layout %.1f ms)\n",
                 scene->title.c_str(), scene->nodes.size(), scene->edges.size(),
                 scene->stats.queryMs, scene->stats.layoutMs);
    return 0;
}

} // namespace

void addRenderCommand(CLI::App& app, int& status) {
    static RenderFlags f;
    auto* cmd = app.add_subcommand(
        "render", "Draw a snapshot with the layout engines (as the app's canvas does) to SVG or "
                  "DOT, without the GUI");
    cmd->add_option("SNAPSHOT", f.snapshot, "A snapshot (JSON or CBOR)")->required();
    cmd->add_option("--out,-o", f.out, "Output file (- for stdout)")->required();
    cmd->add_option("--format", f.format, "svg or dot (default: from --out's extension, else svg)")
        ->check(CLI::IsMember({"svg", "dot"}));
    cmd->add_option("--scene", f.scene,
                    "overview (default: tasks, files, eventpolls, wait queues), eventpoll "
                    "(the rbtree, ready list and wait queues of the first eventpoll), waitqueue, "
                    "ring (the first kfifo or circ_buf) or workqueues")
        ->check(CLI::IsMember({"overview", "eventpoll", "waitqueue", "ring", "workqueues"}));
    cmd->add_option("--focus", f.focus,
                    "Draw the scene of this object (e.g. eventpoll:0xffff...), as double-clicking "
                    "it in the app does; overrides --scene");
    cmd->add_flag("--kernel-threads", f.kernelThreads, "Overview: include kernel threads");
    cmd->callback([&status] { status = runRender(f); });
}

} // namespace waitscope::cli
