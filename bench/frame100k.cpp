// bench/run frame100k [SNAPSHOT]: CPU time to build one frame's draw lists of the graph
// canvas with a 100k-object snapshot loaded and the eventpoll's 100k-node rbtree zoomed out
// to fit, with culling and level of detail (value) and without (baseline: every node and
// edge in full detail), same scene, same run. ImGui runs headless (no window or GL: draw
// lists are built on the CPU either way; only rendering them needs the GPU).
//
// SNAPSHOT defaults to $BUILD_DIR/bench-data/manyfds-100000/filled.json, captured from
// the lab VM by tools/make-bench-data.sh (topo_manyfds 100000).
#include <imgui.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <waitscope/model/query.hpp>
#include <waitscope/model/snapshot_io.hpp>

#include "draw/graph_painter.hpp"
#include "scene/build.hpp"
#include "scene/scene_index.hpp"

using namespace waitscope;

namespace {

double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double wallMs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct FrameResult {
    double ms;
    app::PaintStats stats;
    int vertices;
};

/// Median CPU time of `frames` frames: NewFrame, one full-window canvas, Render.
FrameResult measure(const app::Scene& scene, const app::SceneIndex& index, app::Camera cam,
                    bool cullAndLod, int frames) {
    std::vector<double> times;
    FrameResult r{};
    for (int f = 0; f < frames + 2; ++f) {
        double t0 = threadCpuMs();
        ImGui::NewFrame();
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
        ImGui::Begin("canvas", nullptr, ImGuiWindowFlags_NoDecoration);
        app::PaintInput in;
        in.scene = &scene;
        in.index = &index;
        in.camera = cam;
        in.origin = ImGui::GetCursorScreenPos();
        in.size = ImGui::GetContentRegionAvail();
        in.theme = &app::darkTheme();
        in.font = ImGui::GetFont();
        in.fontSize = 14.0f;
        in.cull = cullAndLod;
        in.lod = cullAndLod;
        r.stats = app::paintScene(ImGui::GetWindowDrawList(), in);
        ImGui::End();
        ImGui::Render();
        double t1 = threadCpuMs();
        r.vertices = ImGui::GetDrawData()->TotalVtxCount;
        if (f >= 2) // two warm-up frames
            times.push_back(t1 - t0);
    }
    std::sort(times.begin(), times.end());
    r.ms = times[times.size() / 2];
    return r;
}

} // namespace

int main(int argc, char** argv) {
    std::filesystem::path input;
    if (argc > 1) {
        input = argv[1];
    } else {
        const char* build = std::getenv("BUILD_DIR");
        input = std::filesystem::path(build ? build : "build") / "bench-data" / "manyfds-100000" /
                "filled.json";
    }
    if (!std::filesystem::exists(input)) {
        std::fprintf(stderr,
                     "bench frame100k: no %s\n  capture it from the lab VM with "
                     "tools/make-bench-data.sh (topo_manyfds 100000), or pass a snapshot\n",
                     input.c_str());
        return 2;
    }
    double t0 = wallMs();
    auto loaded = model::loadSnapshotFile(input);
    if (!loaded) {
        std::fprintf(stderr, "bench frame100k: %s\n", loaded.error().message.c_str());
        return 2;
    }
    model::SnapshotPtr snap = loaded.value();
    double loadMs = wallMs() - t0;
    const model::Object* biggest = nullptr;
    std::size_t most = 0;
    for (const model::ObjectPtr& ep : snap->objectsOf(model::Kind::Eventpoll)) {
        std::size_t n = (*ep)[model::Key::rbtree][model::Key::inorder].size();
        if (n >= most) {
            most = n;
            biggest = ep.get();
        }
    }
    if (!biggest) {
        std::fprintf(stderr, "bench frame100k: no eventpoll in %s\n", input.c_str());
        return 2;
    }
    app::SceneRequest req;
    req.kind = app::SceneKind::Eventpoll;
    req.focus = biggest->id();
    t0 = wallMs();
    app::ScenePtr scene = app::buildScene(*snap, req);
    app::SceneIndex index(*scene);
    double sceneMs = wallMs() - t0;

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60;
    // What the OpenGL 3 backend declares: 32-bit vertex offsets for big draw lists.
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);

    // Zoomed out: the whole scene fits the canvas (the window minus its padding).
    app::Camera fit;
    fit.fit(scene->minX, scene->minY, scene->maxX, scene->maxY, ImVec2(1264, 784));
    const int frames = 31;
    FrameResult lod = measure(*scene, index, fit, true, frames);
    FrameResult base = measure(*scene, index, fit, false, 5);
    // For information: zoomed in to 100% on the root, and at 4% (boxes a few pixels).
    app::Camera in = fit, mid = fit;
    in.zoom = 1.0f;
    in.centreOn(scene->nodes[0].x, scene->nodes[0].y, ImVec2(1264, 784));
    mid.zoom = 0.04f;
    mid.centreOn(scene->nodes[0].x, scene->nodes[0].y, ImVec2(1264, 784));
    FrameResult zin = measure(*scene, index, in, true, frames);
    FrameResult zmid = measure(*scene, index, mid, true, frames);
    ImGui::DestroyContext();

    std::printf("input: %s (%zu objects, loaded in %.0f ms)\n", input.c_str(), snap->size(),
                loadMs);
    std::printf("scene: eventpoll %s, %u rbtree nodes, %zu nodes, %zu edges (built in %.0f ms)\n",
                model::toString(biggest->id()).c_str(), scene->stats.rbtreeNodes,
                scene->nodes.size(), scene->edges.size(), sceneMs);
    auto line = [](const char* what, const FrameResult& r) {
        std::printf("%-34s %8.3f ms  zoom %.5f  visible %u drawn %u folded %u (cells %u) edges %u "
                    "labels %u vertices %d\n",
                    what, r.ms, static_cast<double>(r.stats.zoom), r.stats.nodesVisible,
                    r.stats.nodesDrawn, r.stats.nodesFolded, r.stats.foldCells, r.stats.edgesDrawn,
                    r.stats.labels, r.vertices);
    };
    line("zoomed out, culling + LOD:", lod);
    line("zoomed out, no culling/LOD (base):", base);
    line("zoom 100% on the root, culling + LOD:", zin);
    line("zoom 4%, culling + LOD:", zmid);
    std::printf("RESULT name=frame100k value=%.3f unit=ms baseline=%.3f ratio=%.4f\n", lod.ms,
                base.ms, lod.ms / base.ms);
    return 0;
}
