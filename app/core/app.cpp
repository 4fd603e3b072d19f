// App: session state, selection and navigation, change sets, view lookup, logging.
// (Panels, menus and shortcuts: app_layout.cpp; exports: app_export.cpp.)
#include "app.hpp"

#include <chrono>
#include <cmath>

#include <waitscope/base/error.hpp>

#include "../sources/file_source.hpp"

namespace waitscope::app {

using namespace model;

App::App(const AppOptions& options, Fonts fonts, std::function<void()> wake)
    : m_options(options), m_fonts(fonts), m_runQueue(wake) {
    m_start =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    // Two workers: loads, scene queries and layouts, filters (the machine's other cores
    // belong to the introspection worker and the rest of the system).
    m_workers = std::make_unique<WorkerPool>(2, wake);
    m_introspect = std::make_unique<IntrospectSource>(m_runQueue, wake);
    m_lab = std::make_unique<LabSource>(m_runQueue, wake);
    m_views = createViews();
    if (m_options.persistSettings && !m_options.headless) {
        m_settingsFile = Settings::directory() / "settings.json";
        std::string error;
        m_settings = Settings::load(m_settingsFile, &error);
        if (!error.empty())
            log(LogLine::Warning, "settings ignored: " + error);
    }
    for (auto& v : m_views) {
        auto it = m_settings.openViews.find(v->name());
        v->setOpen(it != m_settings.openViews.end() ? it->second : v->openByDefault());
    }
    if (!m_settings.imguiIni.empty())
        ImGui::LoadIniSettingsFromMemory(m_settings.imguiIni.c_str(), m_settings.imguiIni.size());
    setLecture(m_settings.lecture && !m_options.headless);
    m_scene.kind = SceneKind::Overview;

    if (m_options.kcore)
        openLive({IntrospectTarget::Kind::Kcore, ""});
    else if (!m_options.lab.empty())
        openLive({IntrospectTarget::Kind::Lab, m_options.lab});
    else if (m_options.target.empty() || m_options.target == "demo")
        openDemo();
    else
        open(m_options.target);
}

App::~App() {
    saveSettings();
    // Join the workers before the run queue and views go away.
    m_introspect.reset();
    m_lab.reset();
    m_workers.reset();
}

double App::now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
               .count() -
           m_start;
}

void App::log(LogLine::Level level, std::string text) {
    m_log.push_back({level, std::move(text), now()});
    if (m_log.size() > 5000)
        m_log.pop_front();
}

// [targets] ----------------------------------------------------------------------------

void App::open(const std::string& target) {
    ++m_pendingLoads;
    loadTarget(
        *m_workers, m_runQueue, target,
        [this, target](Result<Session> r) {
            --m_pendingLoads;
            if (!r) {
                log(LogLine::Error, r.error().message);
                return;
            }
            log(LogLine::Info,
                "opened " + target + " (" + std::to_string(r.value().size()) + " snapshot(s))");
            m_settings.addRecent(target);
            m_liveTarget.reset();
            m_lab->stopLive(); // the timeline shows the files' events now
            setSession(std::make_shared<const Session>(std::move(r.value())), 0);
        },
        [this, target](std::filesystem::path vmcore) {
            --m_pendingLoads;
            m_settings.addRecent(target);
            openLive({IntrospectTarget::Kind::Vmcore, vmcore.string()});
        });
}

void App::openLive(const IntrospectTarget& target) {
    // A lab VM's flight recorder streams into the Timeline view from now on (captures
    // of it become the graph's snapshots); any other target ends that stream.
    if (target.kind == IntrospectTarget::Kind::Lab)
        m_lab->startLive(target.spec);
    else
        m_lab->stopLive();
    const bool append = m_liveTarget && *m_liveTarget == target && m_session;
    SnapshotPtr share = append ? m_session->entries().back().snapshot : nullptr;
    log(LogLine::Info, "reading " + target.label() + " (the first read loads debug info)");
    ++m_pendingLoads;
    m_introspect->capture(target, share, [this, target](Result<SnapshotPtr> r) {
        --m_pendingLoads;
        if (!r) {
            log(LogLine::Error, r.error().message);
            return;
        }
        const bool same = m_liveTarget && *m_liveTarget == target && m_session;
        auto session = same ? std::make_shared<Session>(*m_session) : std::make_shared<Session>();
        std::string name = target.kind == IntrospectTarget::Kind::Vmcore
                               ? std::filesystem::path(target.spec).filename().string()
                               : "capture-" + std::to_string(session->size() + 1);
        session->append({r.value(), name, target.label()});
        m_liveTarget = target;
        log(LogLine::Info,
            "captured " + target.label() + ": " + std::to_string(r.value()->size()) + " objects");
        setSession(session, session->size() - 1, !same);
    });
}

void App::captureAgain() {
    if (m_liveTarget)
        openLive(*m_liveTarget);
}

void App::openDemo() {
    ++m_pendingLoads;
    loadDemo(*m_workers, m_runQueue, [this](Result<Session> r) {
        --m_pendingLoads;
        if (!r) {
            log(LogLine::Error, "demo: " + r.error().message);
            return;
        }
        m_liveTarget.reset();
        m_lab->stopLive();
        log(LogLine::Info, "opened the bundled demo (" + std::to_string(r.value().size()) +
                               " snapshots: step with PageUp/PageDown)");
        setSession(std::make_shared<const Session>(std::move(r.value())), 0);
    });
}

// [session] ----------------------------------------------------------------------------

SnapshotPtr App::snapshot() const {
    return m_session && m_current < m_session->size() ? (*m_session)[m_current].snapshot : nullptr;
}

SnapshotPtr App::previousSnapshot() const {
    return m_session && m_current > 0 && m_current < m_session->size()
               ? (*m_session)[m_current - 1].snapshot
               : nullptr;
}

void App::setSession(std::shared_ptr<const Session> session, std::size_t current, bool fit) {
    m_session = std::move(session);
    m_current = std::min(current, m_session->empty() ? 0 : m_session->size() - 1);
    if (auto s = snapshot()) {
        for (const std::string& n : s->loadNotes())
            log(LogLine::Warning, n);
        for (const Snapshot::Warning& w : s->warnings())
            log(LogLine::Warning, (w.id.valid() ? toString(w.id) + ": " : "") + w.message);
        for (const ObjectPtr& o : s->objects())
            if (!o->partial().empty())
                log(LogLine::Warning, toString(o->id()) + " partial: " + std::string(o->partial()));
    }
    if (m_scene.focus.valid() && (!snapshot() || !snapshot()->find(m_scene.focus)))
        m_scene = SceneRequest{};
    snapshotChanged();
    if (fit)
        requestFit();
}

void App::goTo(std::size_t index) {
    if (!m_session || index >= m_session->size() || index == m_current)
        return;
    m_current = index;
    snapshotChanged();
}

void App::step(int delta) {
    if (!m_session || m_session->empty())
        return;
    auto target = static_cast<std::int64_t>(m_current) + delta;
    target = std::clamp<std::int64_t>(target, 0, static_cast<std::int64_t>(m_session->size()) - 1);
    goTo(static_cast<std::size_t>(target));
}

void App::snapshotChanged() {
    ++m_sceneSerial;
    computeChanges();
    for (auto& v : m_views)
        v->onSnapshot(*this);
}

void App::computeChanges() {
    m_changes.reset();
    m_changesAt = -1;
    SnapshotPtr prev = previousSnapshot(), cur = snapshot();
    if (!prev || !cur)
        return;
    std::size_t from = m_current - 1, to = m_current;
    m_workers->submit("Diffing snapshots", [this, prev, cur, from, to](Job&) {
        auto cs = std::make_shared<ChangeSet>();
        cs->from = from;
        cs->to = to;
        cs->diff = diffSnapshots(*prev, *cur);
        for (ObjectId id : cs->diff.added)
            cs->map.emplace(id, Change::Added);
        for (const ChangedObject& c : cs->diff.changed)
            cs->map.emplace(c.id, Change::Changed);
        m_runQueue.post([this, cs] {
            if (cs->to != m_current)
                return; // stepped on meanwhile
            m_changes = cs;
            m_changesAt = now();
        });
    });
}

float App::changePulse() const {
    if (!m_changes || m_changesAt < 0)
        return 0;
    double t = now() - m_changesAt;
    // Lecture mode pulses for 4 s; normally one short flash.
    double length = m_lecture ? 4.0 : 1.2;
    if (t > length)
        return m_lecture ? 0.15f : 0.0f; // lecture mode keeps a faint mark
    return static_cast<float>(0.5 + 0.5 * std::sin(t * 6.0));
}

// [selection and navigation] -----------------------------------------------------------

void App::select(ObjectId id) {
    if (id == m_selection)
        return;
    m_selection = id;
    for (auto& v : m_views)
        v->onSelection(*this);
}

void App::jumpTo(ObjectId id) {
    select(id);
    auto s = snapshot();
    if (!s || !s->find(id))
        return;
    // Epitems live in their eventpoll's scene.
    const Object* o = s->find(id);
    if (o->kind() == Kind::Epitem && m_scene.kind != SceneKind::Eventpoll)
        expand(id);
    requestReveal(id);
}

bool App::expand(ObjectId id) {
    auto s = snapshot();
    if (!s)
        return false;
    SceneRequest r = expandRequest(*s, id);
    if (r.kind == SceneKind::Empty) {
        log(LogLine::Info, "nothing to expand for " + toString(id));
        return false;
    }
    showScene(r);
    return true;
}

void App::showScene(const SceneRequest& request) {
    if (request == m_scene)
        return;
    m_scene = request;
    ++m_sceneSerial;
    requestFit();
    openView("Graph");
}

// [views] ------------------------------------------------------------------------------

View* App::findView(std::string_view name) const {
    for (const auto& v : m_views)
        if (name == v->name())
            return v.get();
    return nullptr;
}

void App::openView(std::string_view name, bool open) {
    if (View* v = findView(name)) {
        v->setOpen(open);
        if (open)
            v->requestFocus();
    }
}

void App::setLecture(bool on) {
    m_lecture = on;
    m_settings.lecture = on;
    applyImGuiStyle(on);
}

bool App::animating() const {
    bool pulsing = m_changesAt >= 0 && now() - m_changesAt < (m_lecture ? 4.0 : 1.2);
    return pulsing || !m_workers->idle() || !m_introspect->idle() || !m_lab->idle() ||
           !m_runQueue.empty() || m_pendingLoads > 0;
}

bool App::idle() const {
    if (!m_workers->idle() || !m_introspect->idle() || !m_lab->idle() || !m_runQueue.empty() ||
        m_pendingLoads > 0)
        return false;
    for (const auto& v : m_views)
        if (v->busy())
            return false;
    return true;
}

std::optional<CaptureRequest> App::takeCapture() {
    auto c = std::move(m_capture);
    m_capture.reset();
    return c;
}

void App::saveSettings() {
    if (m_settingsFile.empty())
        return;
    for (const auto& v : m_views)
        m_settings.openViews[v->name()] = v->isOpen();
    std::size_t size = 0;
    const char* ini = ImGui::SaveIniSettingsToMemory(&size);
    m_settings.imguiIni.assign(ini, size);
    try {
        m_settings.save(m_settingsFile);
    } catch (const base::Error& e) {
        std::fprintf(stderr, "waitscope: %s\n", e.what());
    }
}

} // namespace waitscope::app
