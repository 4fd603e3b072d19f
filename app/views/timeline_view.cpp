// The timeline: vpoll's flight-recorder events (and imported sched/kprobe events) in lanes
// per CPU and per task, zoomable from the whole capture down to nanoseconds around the
// mouse, panned by dragging. Each frame is culled and folded by timeline::buildFrame
// (O(pixels log n) per lane) from an immutable store built on a worker. Linked to the
// graph: clicking an event selects its vpoll instance and outlines its wait queue, task
// and woken tasks; selecting a vpoll or a task pins a lane with just its events; the
// snapshots' capture times are cursors. Attached to a lab VM, the events stream in live
// (app/sources/live_timeline): the view follows the newest ones until the user pans or
// zooms, and shows the capture's counts and rate.
#include <algorithm>
#include <cinttypes>
#include <cmath>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/frame.hpp>
#include <waitscope/timeline/io.hpp>

#include "../core/app.hpp"
#include "../sources/timeline_source.hpp"
#include "timeline_draw.hpp"
#include "timeline_live.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

namespace tl = timeline;
constexpr float LabelW = 150, RowH = 18, AxisH = 20, SideW = 280;

/// One drawn row.
struct Row {
    enum Type { Header, Lane } type = Lane;
    tl::LaneId lane;
    bool pinned = false; ///< the filter's lane (in m_filtered)
    std::string label;
    bool* toggle = nullptr; ///< a header that folds its group
};

class TimelineView final : public View {
public:
    const char* name() const override { return "Timeline"; }
    Region region() const override { return Region::Bottom; }
    bool busy() const override {
        return (m_job && !m_job->done()) || (m_fjob && !m_fjob->done()) ||
               (m_ejob && !m_ejob->done()) || m_syncing;
    }

    void onFrame(App& app) override {
        LiveTimeline* live = app.lab().live();
        if (!live) {
            m_syncing = false;
            if (m_isLive) { // the capture ended without a new session: the ring again
                m_isLive = false;
                m_sourceKey.clear();
                onSnapshot(app);
            }
            return;
        }
        if (!m_isLive || live->vm() != m_liveVm) {
            m_isLive = true;
            m_liveVm = live->vm();
            if (m_job)
                m_job->cancel();
            m_data.reset();
            m_filtered.reset();
            m_selected.reset();
            m_sourceKey = "live:" + m_liveVm;
            m_follow = true;
            m_span = 2e9;
            m_live = {};
            app.log(LogLine::Info, "timeline: live capture of lab VM " + m_liveVm);
        }
        LiveStatus::State was = m_live.state;
        m_live = live->status();
        if (m_live.state != was && (m_live.state == LiveStatus::State::Failed ||
                                    m_live.state == LiveStatus::State::Stopped))
            app.log(m_live.state == LiveStatus::State::Failed ? LogLine::Warning : LogLine::Info,
                    "timeline: live capture of lab VM " + m_liveVm + " " + toString(m_live.state) +
                        ": " + m_live.message + " (" + std::to_string(m_live.captured) +
                        " records, " + std::to_string(m_live.dropped) + " dropped)");
        if (TimelinePtr d = live->data(); d && d != m_data) {
            m_data = std::move(d); // the previous version goes back to the capture thread
            if (m_follow)
                follow();
            // The pinned lane catches up at most once a second (it scans every event).
            if (m_filter.by != TimelineFilter::By::None && (!m_fjob || m_fjob->done()) &&
                app.now() - m_filterAt > 1.0)
                updateFilter(app);
        }
        m_status = "live capture of lab VM " + m_liveVm + ": " + toString(m_live.state) +
                   (m_live.message.empty() ? "" : " (" + m_live.message + ")");
        if (m_syncing && live->synced() && live->data() == m_data)
            m_syncing = false;
    }

    void onSnapshot(App& app) override {
        auto session = app.session();
        model::SnapshotPtr snap = app.snapshot();
        if (session != m_session) {
            m_session = session;
            m_eventsFile = session ? findEventsFile(*session) : std::filesystem::path();
        }
        m_cursors.clear();
        if (session)
            for (std::size_t i = 0; i < session->size(); ++i)
                if (std::uint64_t t = captureTimeNs(*(*session)[i].snapshot))
                    m_cursors.push_back({t, (*session)[i].name, i == app.currentIndex()});
        if (app.lab().live()) { // the live capture feeds the view (onFrame)
            updateFilter(app);
            return;
        }
        m_isLive = false;
        // A run's events file covers the whole run; without one, the snapshot's ring.
        std::string key =
            !m_eventsFile.empty() ? "file:" + m_eventsFile.string()
            : snap ? "ring:" + std::to_string(reinterpret_cast<std::uintptr_t>(snap.get()))
                   : "";
        if (key != m_sourceKey) {
            m_sourceKey = key;
            load(app, snap);
        }
        updateFilter(app);
    }

    void onSelection(App& app) override { updateFilter(app); }

    void report(std::string& out) const override {
        out += " timeline_source=" + std::string(m_isLive               ? "live"
                                                 : !m_data              ? "none"
                                                 : m_eventsFile.empty() ? "ring"
                                                                        : "events_file");
        if (m_isLive)
            out += " timeline_live_state=" + std::string(toString(m_live.state)) +
                   " timeline_live_captured=" + std::to_string(m_live.captured) +
                   " timeline_live_dropped=" + std::to_string(m_live.dropped) +
                   " timeline_live_rate=" + std::to_string(std::lround(m_live.eventsPerSec)) +
                   " timeline_follow=" + std::to_string(m_follow ? 1 : 0);
        if (!m_data)
            return;
        if (m_isLive)
            out += seqFacts(m_data->store) + " timeline_last_ns=" + std::to_string(m_data->lastNs) +
                   " timeline_window=" + std::to_string(std::llround(m_t0)) + ".." +
                   std::to_string(std::llround(m_t0 + m_span));
        out += " timeline_events=" + std::to_string(m_data->store.size()) +
               " timeline_lanes=" + std::to_string(m_lastLanes) +
               " timeline_glyphs=" + std::to_string(m_lastGlyphs) +
               " timeline_drawn_events=" + std::to_string(m_lastEvents) +
               " timeline_wakeups=" + std::to_string(m_data->latency.wakeups.size());
        out += " timeline_filter=" +
               std::string(m_filter.by == TimelineFilter::By::Instance ? "instance:"
                           : m_filter.by == TimelineFilter::By::Task   ? "task:"
                                                                       : "none") +
               (m_filter.by != TimelineFilter::By::None ? std::to_string(m_filter.value) : "");
        out += " timeline_filtered=" + std::to_string(m_filtered ? m_filtered->store.size() : 0);
        if (m_selected) {
            tl::Event e = m_data->store.at(*m_selected);
            out += " timeline_selected_seq=" + std::to_string(e.seq) +
                   " timeline_selected_kind=" + std::string(tl::kindName(e.kind)) +
                   " timeline_selected_instance=" + std::to_string(e.instance) +
                   " timeline_selected_pid=" + std::to_string(e.pid);
        }
        if (!m_cursors.empty())
            out += " timeline_cursors=" + std::to_string(m_cursors.size());
        if (m_selected)
            out += " timeline_linked=" + std::to_string(m_linked);
    }

    bool scriptAction(App& app, const std::vector<std::string>& args, std::string& error) override {
        if (args.size() == 1 && args[0] == "sync") {
            if (!app.lab().live()) {
                error = "no live capture (attach to a lab VM: waitscope --lab NAME)";
                return false;
            }
            app.lab().live()->requestSync();
            m_syncing = true; // busy until the view shows everything the ring had
            return true;
        }
        if (args.size() == 2 && args[0] == "export" && m_data) {
            m_ejob = exportTimeline(app, m_data, args[1]);
            return true;
        }
        if (args.size() == 1 && args[0] == "follow") {
            m_follow = true;
            return true;
        }
        if (!m_data || m_data->store.size() == 0) {
            error = "the timeline has no events";
            return false;
        }
        if (args.size() == 2 && args[0] == "select" && (args[1] == "last" || args[1] == "first")) {
            std::vector<tl::Event> all = m_data->store.all();
            const tl::Event& want = args[1] == "last" ? all.back() : all.front();
            selectEvent(app, findRef(want));
            return true;
        }
        if (args.size() == 1 && args[0] == "fit") {
            fit();
            return true;
        }
        error = "timeline actions: select last|first, fit, follow, sync, export PATH";
        return false;
    }

    void drawContent(App& app) override {
        if (!m_data) {
            ImGui::TextDisabled("%s", m_status.empty() ? "No events: attach to a lab VM (they "
                                                         "stream in), or open a lab run directory "
                                                         "(waitscope lab run --events) or a "
                                                         "snapshot with a vpoll_ring"
                                                       : m_status.c_str());
            return;
        }
        const TimelineData& d = *m_data;
        toolbar(d);
        ImVec2 avail = ImGui::GetContentRegionAvail();
        ImGui::BeginChild("##tl-main", ImVec2(std::max(100.0f, avail.x - SideW), 0));
        drawLanes(app, d);
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("##tl-side", ImVec2(0, 0));
        drawTimelineSide(d);
        ImGui::EndChild();
    }

private:
    struct Cursor {
        std::uint64_t ns;
        std::string name;
        bool current;
    };

    void load(App& app, model::SnapshotPtr snap) {
        if (m_job)
            m_job->cancel();
        m_data.reset();
        m_selected.reset();
        m_status = "loading events...";
        std::filesystem::path file = m_eventsFile;
        std::string key = m_sourceKey;
        RunQueue* queue = &app.runQueue();
        App* appPtr = &app; // outlives the pool's jobs (it joins them first)
        auto* self = this;
        if (m_sourceKey.empty()) {
            m_status.clear();
            return;
        }
        m_job = app.workers().submit("Loading the timeline", [=](Job& job) {
            TimelinePtr data;
            std::string error;
            try {
                if (!file.empty()) {
                    data =
                        makeTimeline(tl::loadTimelineFile(file), file.filename().string() + " of " +
                                                                     file.parent_path().string());
                } else {
                    std::size_t bad = 0;
                    tl::EventStore s = ringEvents(*snap, &bad);
                    if (s.size() == 0)
                        error = "the snapshot has no vpoll_ring records";
                    else
                        data = makeTimeline(std::move(s), "the snapshot's vpoll_ring" +
                                                              (bad ? " (" + std::to_string(bad) +
                                                                         " bad records skipped)"
                                                                   : std::string()));
                }
            } catch (const std::exception& e) { // base::Error, bad_alloc: said, not fatal
                error = e.what();
            }
            if (job.cancelled())
                return;
            queue->post([self, appPtr, key, data, error] {
                if (key != self->m_sourceKey)
                    return; // superseded
                self->m_data = data;
                self->m_status = error;
                self->m_filtered.reset();
                self->m_filterKey = {};
                self->fit();
                self->updateFilter(*appPtr); // a selection made while loading
            });
        });
    }

    /// Show every event and the current snapshot's capture-time cursor.
    void fit() {
        if (!m_data)
            return;
        m_follow = false;
        double a = static_cast<double>(m_data->firstNs), b = static_cast<double>(m_data->lastNs);
        for (const Cursor& c : m_cursors)
            if (c.current) {
                a = std::min(a, static_cast<double>(c.ns));
                b = std::max(b, static_cast<double>(c.ns));
            }
        m_span = std::max((b - a) * 1.02, 1000.0);
        m_t0 = a - (m_span - (b - a)) / 2;
    }

    /// The store's ref of an event equal to `e` (by time, seq and CPU).
    tl::EventStore::Ref findRef(const tl::Event& e) const {
        const auto& lane = m_data->store.cpuLane(e.cpu);
        auto [i, end] = m_data->store.cpuRange(e.cpu, e.tsNs, e.tsNs + 1);
        for (; i < end; ++i)
            if (lane[i].seq == e.seq)
                return lane.ref(i);
        return lane.ref(i > 0 ? i - 1 : 0);
    }

    void updateFilter(App& app) {
        m_filterAt = app.now();
        model::SnapshotPtr snap = app.snapshot();
        TimelineFilter f = snap ? filterFor(*snap, app.selection()) : TimelineFilter{};
        m_filter = f;
        if (!m_data || f.by == TimelineFilter::By::None) {
            m_filtered.reset();
            m_filterKey = {};
            return;
        }
        std::pair<std::uint64_t, TimelineFilter::By> key{m_data->serial, f.by};
        if (m_filtered && m_filterKey == key && m_filterValue == f.value)
            return;
        // Live, the same filter's lane stays until its newer version replaces it.
        const bool refresh = m_isLive && m_filterKey.second == f.by && m_filterValue == f.value;
        m_filterKey = key;
        m_filterValue = f.value;
        if (!refresh)
            m_filtered.reset(); // the previous selection's lane goes now, this one's next
        if (m_fjob)
            m_fjob->cancel();
        TimelinePtr data = m_data;
        RunQueue* queue = &app.runQueue();
        auto* self = this;
        m_fjob = app.workers().submit("Filtering the timeline", [=](Job& job) {
            auto [filtered, origin] = filterTimeline(*data, f, [&] { return job.cancelled(); });
            if (!filtered)
                return;
            queue->post([self, data, f, filtered, origin] {
                // Live stores only grow (refs into an older version stay valid in newer ones).
                if (!self->m_data ||
                    (self->m_data != data &&
                     (!self->m_isLive || self->m_data->origin != data->origin)) ||
                    self->m_filter.by != f.by || self->m_filter.value != f.value)
                    return;
                self->m_filtered = filtered;
                self->m_filteredOrigin = origin;
            });
        });
    }

    void selectEvent(App& app, tl::EventStore::Ref ref) {
        m_selected = ref;
        tl::Event e = m_data->store.at(ref);
        std::vector<std::int32_t> woken;
        for (const tl::Wakeup& w : m_data->latency.wakeups)
            if (w.wakeNs == e.tsNs && w.instance == e.instance && w.waker == e.pid)
                woken.push_back(w.waiter);
        model::SnapshotPtr snap = app.snapshot();
        if (!snap)
            return;
        EventObjects o = findEventObjects(*snap, e, woken);
        std::unordered_set<model::ObjectId> hl;
        for (model::ObjectId id : {o.vpoll, o.waitQueue, o.task})
            if (id.valid())
                hl.insert(id);
        for (model::ObjectId id : o.wokenTasks)
            hl.insert(id);
        for (model::ObjectId id : o.files)
            hl.insert(id);
        m_linked = hl.size();
        app.setHighlights(std::move(hl));
        if (o.vpoll.valid())
            app.select(o.vpoll);
        else if (o.task.valid())
            app.select(o.task);
    }

    /// Keep the newest event in view (at 95% of the width), at the current zoom.
    void follow() { m_t0 = static_cast<double>(m_data->lastNs) - m_span * 0.95; }

    void toolbar(const TimelineData& d) {
        if (m_isLive && drawLiveBar(m_liveVm, m_live, m_follow))
            follow();
        double secs = static_cast<double>(d.lastNs - d.firstNs) / 1e9;
        ImGui::Text("%s: %zu events, %" PRIu64 " dropped, %.0f events/s overall", d.origin.c_str(),
                    d.store.size(), d.store.dropped(),
                    secs > 0 ? static_cast<double>(d.store.size()) / secs : 0.0);
        ImGui::SameLine();
        ImGui::TextDisabled("| window %s, %" PRIu64 " events (%.0f/s)", fmtNs(m_span).c_str(),
                            m_lastEvents,
                            m_span > 0 ? static_cast<double>(m_lastEvents) / (m_span / 1e9) : 0.0);
        ImGui::SameLine();
        if (ImGui::SmallButton("Fit"))
            fit();
    }

    std::vector<Row> rows(const TimelineData& d) {
        std::vector<Row> r;
        if (m_filtered) {
            Row h{Row::Header,
                  {},
                  false,
                  m_filter.by == TimelineFilter::By::Instance
                      ? "Selected: vpoll instance " + std::to_string(m_filter.value)
                      : "Selected: task " + std::to_string(m_filter.value)};
            r.push_back(h);
            r.push_back({Row::Lane,
                         {tl::LaneId::Type::Cpu, 0},
                         true,
                         std::to_string(m_filtered->store.size()) + " events"});
        }
        r.push_back(
            {Row::Header,
             {},
             false,
             std::string(m_cpuOpen ? "v " : "> ") + "CPUs (" + std::to_string(d.cpus.size()) + ")",
             &m_cpuOpen});
        if (m_cpuOpen)
            for (std::uint16_t c : d.cpus)
                r.push_back(
                    {Row::Lane, {tl::LaneId::Type::Cpu, c}, false, "CPU " + std::to_string(c)});
        r.push_back({Row::Header,
                     {},
                     false,
                     std::string(m_taskOpen ? "v " : "> ") + "Tasks (" +
                         std::to_string(d.tids.size()) + ")",
                     &m_taskOpen});
        if (m_taskOpen)
            for (std::int32_t t : d.tids) {
                const tl::TaskInfo* ti = d.store.task(t);
                r.push_back({Row::Lane,
                             {tl::LaneId::Type::Task, t},
                             false,
                             (ti && !ti->comm.empty() ? ti->comm : std::string("?")) + "[" +
                                 std::to_string(t) + "]"});
            }
        return r;
    }

    void drawLanes(App& app, const TimelineData& d) {
        ImGuiIO& io = ImGui::GetIO();
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float timeW = std::max(50.0f, ImGui::GetContentRegionAvail().x - LabelW -
                                                ImGui::GetStyle().ScrollbarSize);
        const ImVec2 top = ImGui::GetCursorScreenPos();
        // The time axis (not scrolled).
        ImGui::InvisibleButton("##axis", ImVec2(LabelW + timeW, AxisH));
        const float x0 = top.x + LabelW;
        auto toX = [&](double ns) { return x0 + static_cast<float>((ns - m_t0) / m_span * timeW); };
        dl->AddRectFilled(ImVec2(x0, top.y), ImVec2(x0 + timeW, top.y + AxisH),
                          IM_COL32(35, 35, 40, 255));
        // Ticks at round offsets from the first event (1, 2, 5 x 10^k ns), 100+ px apart.
        const double minStep = m_span * 100 / timeW;
        const double decade = std::pow(10.0, std::floor(std::log10(minStep)));
        double step = decade * 10;
        for (double m : {1.0, 2.0, 5.0})
            if (decade * m >= minStep) {
                step = decade * m;
                break;
            }
        const double first = static_cast<double>(d.firstNs);
        for (double t = std::ceil((m_t0 - first) / step) * step; t < m_t0 + m_span - first;
             t += step) {
            float x = toX(first + t);
            dl->AddLine(ImVec2(x, top.y + AxisH - 5), ImVec2(x, top.y + AxisH),
                        IM_COL32(160, 160, 160, 255));
            dl->AddText(ImVec2(x + 2, top.y + 2), IM_COL32(170, 170, 170, 255),
                        fmtNs(std::fabs(t) < step / 2 ? 0.0 : t).c_str());
        }
        dl->AddText(ImVec2(top.x + 4, top.y + 2), IM_COL32(140, 140, 140, 255), "t - first event");

        std::vector<Row> rs = rows(d);
        ImGui::BeginChild("##tl-lanes", ImVec2(0, 0), false, ImGuiWindowFlags_NoScrollWithMouse);
        ImDrawList* ldl = ImGui::GetWindowDrawList();
        const ImVec2 origin = ImGui::GetCursorScreenPos();
        const float totalH = static_cast<float>(rs.size()) * RowH;
        ImGui::InvisibleButton("##lanes", ImVec2(LabelW + timeW, std::max(totalH, 10.0f)));
        const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive(),
                   released = ImGui::IsItemDeactivated();
        const float scrollY = ImGui::GetScrollY(), viewH = ImGui::GetWindowHeight();
        // Visible rows only: frames for what is on screen.
        std::size_t firstRow = static_cast<std::size_t>(std::max(0.0f, scrollY / RowH));
        std::size_t lastRow =
            std::min(rs.size(), static_cast<std::size_t>((scrollY + viewH) / RowH) + 1);
        tl::Viewport vp;
        vp.t0 = static_cast<std::uint64_t>(std::max(0.0, m_t0));
        vp.t1 = std::max(vp.t0 + 1, static_cast<std::uint64_t>(std::max(0.0, m_t0 + m_span)));
        vp.widthPx = timeW * static_cast<float>((static_cast<double>(vp.t1 - vp.t0)) / m_span);
        const float vpX = toX(static_cast<double>(vp.t0));
        std::vector<tl::LaneId> lanes, pinned;
        for (std::size_t i = firstRow; i < lastRow; ++i)
            if (rs[i].type == Row::Lane)
                (rs[i].pinned ? pinned : lanes).push_back(rs[i].lane);
        auto frame = tl::buildFrame(d.store, lanes, vp);
        std::vector<tl::LaneFrame> pframe;
        if (m_filtered && !pinned.empty())
            pframe = tl::buildFrame(m_filtered->store, pinned, vp);
        m_lastLanes = lanes.size() + pinned.size();
        m_lastGlyphs = 0;
        m_lastEvents = 0;

        const tl::Glyph* hoverGlyph = nullptr;
        const TimelineData* hoverData = &d;
        std::optional<tl::EventStore::Ref> hoverRef;
        std::size_t fi = 0, pi = 0;
        for (std::size_t i = firstRow; i < lastRow; ++i) {
            const Row& row = rs[i];
            float y = origin.y + static_cast<float>(i) * RowH;
            if (row.type == Row::Header) {
                ldl->AddRectFilled(ImVec2(origin.x, y), ImVec2(x0 + timeW, y + RowH),
                                   IM_COL32(50, 50, 58, 255));
                ldl->AddText(ImVec2(origin.x + 4, y + 2), IM_COL32(220, 220, 220, 255),
                             row.label.c_str());
                if (row.toggle && hovered && ImGui::IsMouseClicked(0) && io.MousePos.y >= y &&
                    io.MousePos.y < y + RowH)
                    *row.toggle = !*row.toggle;
                continue;
            }
            const tl::LaneFrame& lf = row.pinned ? pframe[pi++] : frame[fi++];
            const TimelineData& src = row.pinned ? *m_filtered : d;
            bool taskHit = m_filter.by == TimelineFilter::By::Task &&
                           row.lane.type == tl::LaneId::Type::Task &&
                           row.lane.id == static_cast<std::int32_t>(m_filter.value);
            ldl->AddRectFilled(ImVec2(origin.x, y), ImVec2(x0 + timeW, y + RowH - 1),
                               row.pinned || taskHit ? IM_COL32(55, 50, 30, 255)
                               : i % 2               ? IM_COL32(28, 28, 32, 255)
                                                     : IM_COL32(33, 33, 38, 255));
            ldl->AddText(ImVec2(origin.x + 4, y + 2), IM_COL32(200, 200, 200, 255),
                         row.label.c_str());
            if (!row.pinned) {
                m_lastGlyphs += lf.glyphs.size();
                m_lastEvents += lf.events;
            }
            ldl->PushClipRect(ImVec2(x0, y), ImVec2(x0 + timeW, y + RowH), true);
            for (const tl::Glyph& g : lf.glyphs) {
                float gx0 = vpX + g.x0, gx1 = vpX + std::max(g.x1, g.x0 + 1.5f);
                ImU32 col = kindColour(bitIndex(g.kinds));
                if (g.count == 1) {
                    ldl->AddRectFilled(ImVec2(gx0 - 1, y + 2), ImVec2(gx0 + 1, y + RowH - 3), col);
                    tl::Event e = src.store.at(g.first);
                    if (m_filter.matches(e) && !row.pinned)
                        ldl->AddRectFilled(ImVec2(gx0 - 2, y + RowH - 4),
                                           ImVec2(gx0 + 2, y + RowH - 1),
                                           IM_COL32(255, 220, 0, 255));
                } else {
                    bool mixed = (g.kinds & (g.kinds - 1)) != 0;
                    ldl->AddRectFilled(ImVec2(gx0, y + 5), ImVec2(gx1 + 1, y + RowH - 6),
                                       mixed ? IM_COL32(170, 170, 190, 255) : col);
                    if (gx1 - gx0 > 30) {
                        std::string n = std::to_string(g.count);
                        ldl->AddText(ImVec2(gx0 + 2, y + 2), IM_COL32(20, 20, 20, 255), n.c_str());
                    }
                }
                tl::EventStore::Ref ref = row.pinned ? (*m_filteredOrigin)[g.first] : g.first;
                if (m_selected && *m_selected == ref)
                    ldl->AddRect(ImVec2(gx0 - 3, y + 1), ImVec2(gx1 + 3, y + RowH - 2),
                                 IM_COL32(255, 255, 255, 255), 0, 0, 2);
                if (hovered && io.MousePos.y >= y && io.MousePos.y < y + RowH &&
                    io.MousePos.x >= gx0 - 3 && io.MousePos.x <= gx1 + 3) {
                    hoverGlyph = &g;
                    hoverData = &src;
                    hoverRef = ref;
                }
            }
            ldl->PopClipRect();
        }
        // Capture-time cursors of the session's snapshots.
        for (const Cursor& c : m_cursors) {
            float x = toX(static_cast<double>(c.ns));
            if (x < x0 || x > x0 + timeW)
                continue;
            ImU32 col = c.current ? IM_COL32(255, 150, 40, 255) : IM_COL32(255, 150, 40, 110);
            ldl->AddLine(ImVec2(x, origin.y + scrollY), ImVec2(x, origin.y + scrollY + viewH), col,
                         c.current ? 2.0f : 1.0f);
            dl->AddText(ImVec2(x + 3, top.y + 2), col, c.name.c_str());
        }
        input(hovered, active, x0, timeW);
        if (hoverGlyph && hoverRef) {
            drawEventTooltip(d, *hoverGlyph, *hoverRef);
            if (released && !m_dragged)
                selectEvent(app, *hoverRef);
            if (hoverGlyph->count > 1 && ImGui::IsMouseDoubleClicked(0)) {
                double a = static_cast<double>(hoverData->store.packed(hoverGlyph->first).tsNs());
                double w = static_cast<double>(hoverGlyph->x1 - hoverGlyph->x0) / timeW * m_span;
                m_span = std::max(w * 1.2, 50.0);
                m_t0 = a - (m_span - w) / 2;
                m_follow = false;
            }
        }
        if (released)
            m_dragged = false;
        ImGui::EndChild();
    }

    void input(bool hovered, bool active, float x0, float timeW) {
        ImGuiIO& io = ImGui::GetIO();
        if (hovered && io.MouseWheel != 0) {
            if (io.KeyCtrl) {
                ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseWheel * 3 * RowH);
            } else {
                m_follow = false; // the user zooms: stay where they look
                double at = m_t0 + (io.MousePos.x - x0) / timeW * m_span;
                double full = static_cast<double>(m_data->lastNs - m_data->firstNs) * 1.5 + 1e4;
                double span = std::clamp(m_span * std::pow(0.8, io.MouseWheel), 20.0, full);
                m_t0 = at - (at - m_t0) * span / m_span;
                m_span = span;
            }
        }
        if (active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2)) {
            m_t0 -= io.MouseDelta.x / timeW * m_span;
            if (io.MouseDelta.x != 0)
                m_follow = false;
            if (io.MouseDelta.y != 0)
                ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
            m_dragged = true;
        }
    }

    std::shared_ptr<const model::Session> m_session;
    std::filesystem::path m_eventsFile;
    std::string m_sourceKey, m_status;
    TimelinePtr m_data, m_filtered;
    std::shared_ptr<std::vector<tl::EventStore::Ref>> m_filteredOrigin;
    std::pair<std::uint64_t, TimelineFilter::By> m_filterKey{};
    std::uint32_t m_filterValue = 0;
    TimelineFilter m_filter;
    JobPtr m_job, m_fjob, m_ejob;
    // Live capture (onFrame): its status, whether the viewport follows the newest events.
    bool m_isLive = false, m_follow = false, m_syncing = false;
    std::string m_liveVm;
    LiveStatus m_live;
    double m_filterAt = 0;
    std::vector<Cursor> m_cursors;
    std::optional<tl::EventStore::Ref> m_selected;
    double m_t0 = 0, m_span = 1e9;
    bool m_cpuOpen = true, m_taskOpen = true, m_dragged = false;
    std::size_t m_lastLanes = 0, m_lastGlyphs = 0, m_linked = 0;
    std::uint64_t m_lastEvents = 0;
};

} // namespace

std::unique_ptr<View> makeTimelineView() {
    return std::make_unique<TimelineView>();
}

} // namespace waitscope::app
