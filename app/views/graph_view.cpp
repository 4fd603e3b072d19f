// The graph canvas: the current scene (overview, an eventpoll's rbtree with its lists and
// wait queues, a wait queue, the workqueue pools, a ring) with pan/zoom, hover tooltips,
// click to select and double-click to expand. Scenes are built on the worker pool and
// published as shared_ptr<const Scene>; this view only paints.
#include <cmath>

#include <waitscope/model/query.hpp>

#include "../core/app.hpp"
#include "../core/keys.hpp"
#include "../scene/scene_index.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

const char* sceneKindName(SceneKind k) {
    switch (k) {
    case SceneKind::Empty:
        return "empty";
    case SceneKind::Overview:
        return "overview";
    case SceneKind::Eventpoll:
        return "eventpoll";
    case SceneKind::WaitQueue:
        return "waitqueue";
    case SceneKind::Workqueues:
        return "workqueues";
    case SceneKind::Ring:
        return "ring";
    }
    return "?";
}

/// A built scene and its culling index, published together.
struct Built {
    ScenePtr scene;
    std::shared_ptr<const SceneIndex> index;
    model::SnapshotPtr snapshot;
    std::uint64_t serial = 0;
};

class GraphView final : public View {
public:
    const char* name() const override { return "Graph"; }
    Region region() const override { return Region::Center; }
    bool busy() const override { return m_job && !m_job->done(); }

    void report(std::string& out) const override {
        if (!m_built.scene)
            return;
        const Scene& s = *m_built.scene;
        out += " scene=" + std::string(sceneKindName(s.kind));
        if (s.focus.valid())
            out += " focus=" + model::toString(s.focus);
        out += " scene_nodes=" + std::to_string(s.nodes.size()) +
               " rbtree_nodes=" + std::to_string(s.stats.rbtreeNodes) +
               " ready_items=" + std::to_string(s.stats.readyItems) +
               " drawn_epitems=" + std::to_string(m_stats.epitemsDrawn) +
               " drawn_nodes=" + std::to_string(m_stats.nodesDrawn) +
               " folded_nodes=" + std::to_string(m_stats.nodesFolded) +
               " drawn_edges=" + std::to_string(m_stats.edgesDrawn) +
               " highlighted=" + std::to_string(m_stats.highlighted);
        char zoom[32];
        std::snprintf(zoom, sizeof zoom, " zoom=%.3f", static_cast<double>(m_camera.zoom));
        out += zoom;
    }

    void drawContent(App& app) override {
        rebuildIfNeeded(app);
        toolbar(app);
        ImVec2 origin = ImGui::GetCursorScreenPos();
        ImVec2 size = ImGui::GetContentRegionAvail();
        size.x = std::max(size.x, 50.0f);
        size.y = std::max(size.y, 50.0f);
        app.canvasMin = origin;
        app.canvasMax = ImVec2(origin.x + size.x, origin.y + size.y);
        ImGui::InvisibleButton("##canvas", size,
                               ImGuiButtonFlags_MouseButtonLeft |
                                   ImGuiButtonFlags_MouseButtonRight |
                                   ImGuiButtonFlags_MouseButtonMiddle);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        if (!m_built.scene) {
            dl->AddRectFilled(origin, app.canvasMax, app.theme().canvasBg);
            const char* msg = app.snapshot() ? "building the scene..." : "no snapshot open";
            dl->AddText(ImVec2(origin.x + 16, origin.y + 16), IM_COL32(200, 200, 200, 255), msg);
            return;
        }
        const Scene& scene = *m_built.scene;
        applyCameraRequests(app, size);
        input(app, origin, size);

        PaintInput in;
        in.scene = &scene;
        in.index = m_built.index.get();
        in.camera = m_camera;
        in.origin = origin;
        in.size = size;
        in.theme = &app.theme();
        in.font = app.fonts().canvas ? app.fonts().canvas : ImGui::GetFont();
        in.fontSize = app.fonts().canvasSize;
        in.selected = app.selection();
        in.hovered = m_hovered;
        in.highlights = &app.highlights();
        auto changes = app.changes();
        if (changes && m_built.snapshot == app.snapshot()) {
            in.changes = &changes->map;
            in.pulse = app.changePulse();
        }
        m_stats = paintScene(dl, in);

        if (!scene.notes.empty()) {
            float y = origin.y + 6;
            for (const std::string& n : scene.notes) {
                dl->AddText(ImVec2(origin.x + 8, y), IM_COL32(255, 170, 60, 255), n.c_str());
                y += ImGui::GetTextLineHeight();
            }
        }
        if (m_hovered >= 0 && ImGui::IsItemHovered())
            tooltip(app, scene.nodes[static_cast<std::size_t>(m_hovered)]);
    }

private:
    void rebuildIfNeeded(App& app) {
        model::SnapshotPtr snap = app.snapshot();
        app.currentScene = m_built.scene;
        if (!snap || (snap == m_wantSnapshot && app.sceneSerial() == m_wantSerial))
            return;
        m_wantSnapshot = snap;
        m_wantSerial = app.sceneSerial();
        if (m_job)
            m_job->cancel();
        SceneRequest request = app.sceneRequest();
        // The same scene of another snapshot seeds the layout: unchanged nodes stay put.
        if (m_built.scene && m_built.scene->kind == request.kind &&
            m_built.scene->focus == request.focus)
            request.previous = m_built.scene;
        std::uint64_t serial = m_wantSerial;
        RunQueue* queue = &app.runQueue();
        auto* self = this;
        m_job = app.workers().submit("Laying out", [snap, request, serial, queue, self](Job& job) {
            Built b;
            b.snapshot = snap;
            b.serial = serial;
            b.scene = buildScene(*snap, request);
            if (job.cancelled())
                return;
            b.index = std::make_shared<const SceneIndex>(*b.scene);
            queue->post([self, b] {
                if (b.serial != self->m_wantSerial || b.snapshot != self->m_wantSnapshot)
                    return; // superseded
                bool sameKind = self->m_built.scene && self->m_built.scene->kind == b.scene->kind &&
                                self->m_built.scene->focus == b.scene->focus;
                self->m_built = b;
                self->m_hovered = -1;
                if (!sameKind)
                    self->m_needFit = true;
            });
        });
    }

    void toolbar(App& app) {
        auto button = [&](const char* label, SceneKind kind) {
            bool active = m_built.scene && m_built.scene->kind == kind;
            if (active)
                ImGui::PushStyleColor(ImGuiCol_Button,
                                      ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
            bool pressed = ImGui::SmallButton(label);
            if (active)
                ImGui::PopStyleColor();
            return pressed;
        };
        if (button("Overview", SceneKind::Overview))
            app.showScene(SceneRequest{});
        ImGui::SameLine();
        if (button("Workqueues", SceneKind::Workqueues)) {
            SceneRequest r;
            r.kind = SceneKind::Workqueues;
            app.showScene(r);
        }
        ImGui::SameLine();
        if (ImGui::SmallButton("Expand selection"))
            app.expand(app.selection());
        ImGui::SameLine();
        if (ImGui::SmallButton("Fit"))
            app.requestFit();
        ImGui::SameLine();
        ImGui::TextDisabled("%s  %.3g%%", m_built.scene ? m_built.scene->title.c_str() : "",
                            static_cast<double>(m_camera.zoom * 100));
        if (m_built.scene && m_built.scene->kind == SceneKind::Eventpoll) {
            ImGui::SameLine();
            ImGui::TextDisabled("| %u items, %u ready", m_built.scene->stats.rbtreeNodes,
                                m_built.scene->stats.readyItems);
        }
    }

    void applyCameraRequests(App& app, ImVec2 size) {
        const Scene& s = *m_built.scene;
        if (app.fitSerial() != m_fitSerial || m_needFit) {
            m_fitSerial = app.fitSerial();
            m_needFit = false;
            m_camera.fit(s.minX, s.minY, s.maxX, s.maxY, size);
        }
        auto [id, serial] = app.reveal();
        if (serial != m_revealSerial) {
            std::int64_t i = s.findNode(id);
            if (i >= 0) {
                m_revealSerial = serial;
                const SceneNode& n = s.nodes[static_cast<std::size_t>(i)];
                if (m_camera.zoom < 0.6f)
                    m_camera.zoom = 1.0f;
                m_camera.centreOn(n.x, n.y, size);
            } else if (m_built.serial == app.sceneSerial()) {
                m_revealSerial = serial; // not in this scene
            }
        }
    }

    void input(App& app, ImVec2 origin, ImVec2 size) {
        ImGuiIO& io = ImGui::GetIO();
        const Scene& s = *m_built.scene;
        bool hovered = ImGui::IsItemHovered();
        m_hovered = hovered ? pickNode(s, *m_built.index, m_camera, origin, io.MousePos) : -1;
        if (hovered && io.MouseWheel != 0)
            m_camera.zoomAt(origin, io.MousePos, std::pow(1.15f, io.MouseWheel));
        bool dragging =
            ImGui::IsItemActive() && (ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2) ||
                                      ImGui::IsMouseDragging(ImGuiMouseButton_Right, 2) ||
                                      ImGui::IsMouseDragging(ImGuiMouseButton_Middle, 2));
        if (dragging) {
            m_camera.panX -= io.MouseDelta.x / m_camera.zoom;
            m_camera.panY -= io.MouseDelta.y / m_camera.zoom;
            m_dragged = true;
        }
        if (ImGui::IsItemDeactivated()) {
            if (!m_dragged && m_hovered >= 0)
                app.select(s.nodes[static_cast<std::size_t>(m_hovered)].object);
            m_dragged = false;
        }
        if (hovered && m_hovered >= 0 && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
            app.expand(s.nodes[static_cast<std::size_t>(m_hovered)].object);
        if (hovered && !io.WantTextInput && !app.lecture()) {
            float stepPx = 40.0f / m_camera.zoom;
            if (namedKeyPressed(ImGuiKey_LeftArrow))
                m_camera.panX -= stepPx;
            if (namedKeyPressed(ImGuiKey_RightArrow))
                m_camera.panX += stepPx;
            if (namedKeyPressed(ImGuiKey_UpArrow))
                m_camera.panY -= stepPx;
            if (namedKeyPressed(ImGuiKey_DownArrow))
                m_camera.panY += stepPx;
        }
        if (hovered && !io.WantTextInput) {
            ImVec2 centre(origin.x + size.x / 2, origin.y + size.y / 2);
            if (ImGui::IsKeyPressed('=') || ImGui::IsKeyPressed(334 /* GLFW keypad + */))
                m_camera.zoomAt(origin, centre, 1.25f);
            if (ImGui::IsKeyPressed('-') || ImGui::IsKeyPressed(333 /* GLFW keypad - */))
                m_camera.zoomAt(origin, centre, 0.8f);
        }
    }

    void tooltip(App& app, const SceneNode& n) {
        auto snap = m_built.snapshot;
        ImGui::BeginTooltip();
        if (n.object.valid() && snap) {
            ImGui::TextUnformatted(model::objectTitle(*snap, n.object).c_str());
            ImGui::TextDisabled("%s", model::toString(n.object).c_str());
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
            for (const std::string& line : model::explainObject(*snap, n.object))
                ImGui::BulletText("%s", line.c_str());
            ImGui::PopTextWrapPos();
            ImGui::TextDisabled("click: select, double-click: expand");
        } else {
            ImGui::TextUnformatted(n.label.c_str());
            if (!n.detail.empty())
                ImGui::TextDisabled("%s", n.detail.c_str());
        }
        (void)app;
        ImGui::EndTooltip();
    }

    Built m_built;
    JobPtr m_job;
    model::SnapshotPtr m_wantSnapshot;
    std::uint64_t m_wantSerial = ~0ull;
    Camera m_camera;
    std::uint64_t m_fitSerial = ~0ull, m_revealSerial = 0;
    bool m_needFit = true;
    bool m_dragged = false;
    std::int64_t m_hovered = -1;
    PaintStats m_stats;
};

} // namespace

std::unique_ptr<View> makeGraphView() {
    return std::make_unique<GraphView>();
}

} // namespace waitscope::app
