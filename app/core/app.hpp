// The application core: owns the session (snapshots), the selection, the worker pool and
// run queue, the settings and the view registry; dispatches each frame to the views.
// Views talk to each other only through it (select, jumpTo, expand, step, openView).
#pragma once

#include <imgui.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <waitscope/model/diff.hpp>
#include <waitscope/model/session.hpp>

#include "../draw/graph_painter.hpp"
#include "../scene/build.hpp"
#include "../sources/introspect_source.hpp"
#include "../sources/lab_source.hpp"
#include "../views/view.hpp"
#include "run_queue.hpp"
#include "settings.hpp"
#include "worker_pool.hpp"

namespace waitscope::app {

/// Fonts built at start-up (nullptr members fall back to ImGui's default font).
struct Fonts {
    ImFont* ui = nullptr;
    ImFont* mono = nullptr;
    ImFont* uiLarge = nullptr;   ///< lecture mode
    ImFont* monoLarge = nullptr; ///< lecture mode
    ImFont* canvas = nullptr;    ///< canvas labels (large glyphs, scaled down)
    float canvasSize = 15.0f;    ///< canvas label size at zoom 1
};

struct LogLine {
    enum Level { Info, Warning, Error } level = Info;
    std::string text;
    double time = 0; ///< seconds since start
};

/// What changed from the previous snapshot of the session to the current one.
struct ChangeSet {
    std::size_t from = 0, to = 0;
    model::SnapshotDiff diff;
    std::unordered_map<model::ObjectId, Change> map;
};

/// A request to save part of the framebuffer as PNG after the frame is rendered.
struct CaptureRequest {
    std::filesystem::path path;
    bool wholeWindow = true;
    ImVec2 min, max; ///< canvas rectangle (when !wholeWindow)
};

/// What the app was started with.
struct AppOptions {
    std::string target; ///< file, directory, "demo" or empty
    bool kcore = false;
    std::string lab;             ///< lab VM name for --lab
    bool persistSettings = true; ///< off for screenshots and benchmarks
    bool headless = false;       ///< screenshot mode: fixed layout, no settings
};

class App {
public:
    App(const AppOptions& options, Fonts fonts, std::function<void()> wake);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // [frame]
    /// Everything between ImGui::NewFrame and ImGui::Render.
    void frame();
    /// Work is pending or an animation runs: keep drawing instead of sleeping.
    [[nodiscard]] bool animating() const;
    /// No jobs, no queued results, no busy view (scripts wait for this).
    [[nodiscard]] bool idle() const;
    [[nodiscard]] bool quitRequested() const { return m_quit; }
    void requestQuit() { m_quit = true; }

    // [targets]
    /// A snapshot, a session directory, or a vmcore (through the introspection worker).
    void open(const std::string& target);
    void openDemo();
    /// Capture a live target (vmcore, /proc/kcore, lab VM). Captures of the target the
    /// session came from are appended to it (diffs, stepping); others start a new session.
    void openLive(const IntrospectTarget& target);
    /// Capture the session's live target again (nothing when the session is from files).
    void captureAgain();
    [[nodiscard]] const std::optional<IntrospectTarget>& liveTarget() const { return m_liveTarget; }
    [[nodiscard]] IntrospectSource& introspect() { return *m_introspect; }
    [[nodiscard]] LabSource& lab() { return *m_lab; }

    // [session]
    [[nodiscard]] std::shared_ptr<const model::Session> session() const { return m_session; }
    [[nodiscard]] std::size_t currentIndex() const { return m_current; }
    [[nodiscard]] model::SnapshotPtr snapshot() const;
    [[nodiscard]] model::SnapshotPtr previousSnapshot() const;
    void goTo(std::size_t index);
    void step(int delta);

    // [selection and navigation]
    [[nodiscard]] model::ObjectId selection() const { return m_selection; }
    void select(model::ObjectId id);
    /// Select and reveal in the canvas and the object tree (expanding the scene if needed).
    void jumpTo(model::ObjectId id);
    /// Show the scene that expands `id` (an eventpoll's rbtree, a wait queue, a ring, ...).
    bool expand(model::ObjectId id);
    void showScene(const SceneRequest& request);
    [[nodiscard]] const SceneRequest& sceneRequest() const { return m_scene; }
    [[nodiscard]] std::uint64_t sceneSerial() const { return m_sceneSerial; }
    void requestFit() { ++m_fitSerial; }
    [[nodiscard]] std::uint64_t fitSerial() const { return m_fitSerial; }
    void requestReveal(model::ObjectId id) {
        m_reveal = id;
        ++m_revealSerial;
    }
    [[nodiscard]] std::pair<model::ObjectId, std::uint64_t> reveal() const {
        return {m_reveal, m_revealSerial};
    }

    // [highlights] objects another view points at (search hits; the timeline's selected
    // event's objects), outlined on the canvas.
    void setHighlights(std::unordered_set<model::ObjectId> ids) { m_highlights = std::move(ids); }
    [[nodiscard]] const std::unordered_set<model::ObjectId>& highlights() const {
        return m_highlights;
    }

    /// Ask the Search view to run `query` (scripts, other views); it opens the view.
    void requestSearch(std::string query) {
        m_searchRequest = std::move(query);
        openView("Search");
    }
    [[nodiscard]] std::optional<std::string> takeSearchRequest() {
        return std::exchange(m_searchRequest, std::nullopt);
    }

    // [changes]
    [[nodiscard]] std::shared_ptr<const ChangeSet> changes() const { return m_changes; }
    /// 0..1 pulse of the change highlight animation (0 when none runs).
    [[nodiscard]] float changePulse() const;

    // [views]
    [[nodiscard]] View* findView(std::string_view name) const;
    void openView(std::string_view name, bool open = true);
    [[nodiscard]] const ViewList& views() const { return m_views; }

    // [lecture mode]
    [[nodiscard]] bool lecture() const { return m_lecture; }
    void setLecture(bool on);
    [[nodiscard]] const Theme& theme() const {
        return m_lecture ? highContrastTheme() : darkTheme();
    }

    // [infrastructure]
    [[nodiscard]] WorkerPool& workers() { return *m_workers; }
    [[nodiscard]] RunQueue& runQueue() { return m_runQueue; }
    [[nodiscard]] Settings& settings() { return m_settings; }
    [[nodiscard]] const Fonts& fonts() const { return m_fonts; }
    [[nodiscard]] double now() const;
    void log(LogLine::Level level, std::string text);
    [[nodiscard]] const std::deque<LogLine>& logLines() const { return m_log; }

    // [exports and captures]
    void requestCapture(CaptureRequest request) { m_capture = std::move(request); }
    [[nodiscard]] std::optional<CaptureRequest> takeCapture();
    /// Export the current scene / snapshot (format: "png", "svg", "dot", "json").
    void exportCurrent(const std::string& format, const std::filesystem::path& path);
    /// Canvas rectangle of the last frame (for PNG exports).
    ImVec2 canvasMin, canvasMax;
    /// The scene the graph view shows (published by it; exports read it).
    ScenePtr currentScene;

    /// "key=value ..." facts from every view, for the `report` script action.
    [[nodiscard]] std::string report() const;

private:
    void setSession(std::shared_ptr<const model::Session> session, std::size_t current,
                    bool fit = true);
    void snapshotChanged();
    void computeChanges();
    void drawMenuBar();
    void drawPanels();
    void drawRegion(Region region, const char* id, ImVec2 size);
    void drawStatusBar();
    void handleShortcuts();
    void saveSettings();

    AppOptions m_options;
    Fonts m_fonts;
    RunQueue m_runQueue;
    std::unique_ptr<WorkerPool> m_workers;
    std::unique_ptr<IntrospectSource> m_introspect;
    std::unique_ptr<LabSource> m_lab;
    std::optional<IntrospectTarget> m_liveTarget;
    Settings m_settings;
    std::filesystem::path m_settingsFile;
    ViewList m_views;
    std::deque<LogLine> m_log;

    std::shared_ptr<const model::Session> m_session;
    std::size_t m_current = 0;
    model::ObjectId m_selection;
    SceneRequest m_scene;
    std::uint64_t m_sceneSerial = 0, m_fitSerial = 0, m_revealSerial = 0;
    model::ObjectId m_reveal;
    std::shared_ptr<const ChangeSet> m_changes;
    std::unordered_set<model::ObjectId> m_highlights;
    std::optional<std::string> m_searchRequest;
    double m_changesAt = -1;
    bool m_lecture = false;
    bool m_quit = false;
    int m_pendingLoads = 0;
    std::optional<CaptureRequest> m_capture;
    double m_start = 0;
};

} // namespace waitscope::app
