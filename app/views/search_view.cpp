// Search by address, pid, fd, symbol, type or text (model::search on a worker); results
// jump to their object.
#include <waitscope/model/query.hpp>
#include <waitscope/model/search.hpp>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

using namespace model;

struct Results {
    SnapshotPtr snapshot;
    std::string query;
    std::vector<SearchHit> hits;
};

class SearchView final : public View {
public:
    const char* name() const override { return "Search"; }
    Region region() const override { return Region::Left; }
    bool busy() const override { return m_job && !m_job->done(); }
    void report(std::string& out) const override {
        if (m_results)
            out += " search_hits=" + std::to_string(m_results->hits.size());
    }

    void onSnapshot(App& app) override {
        if (m_text[0])
            run(app);
    }

    /// Used by scripts (`select search ...`).
    void setQuery(App& app, const std::string& q) {
        std::snprintf(m_text, sizeof m_text, "%s", q.c_str());
        run(app);
    }

    void drawContent(App& app) override {
        if (auto q = app.takeSearchRequest())
            setQuery(app, *q);
        if (focusRequested())
            ImGui::SetKeyboardFocusHere();
        ImGui::SetNextItemWidth(-FLT_MIN);
        if (ImGui::InputTextWithHint("##q",
                                     "0xffff.., pid:83, fd:5, sym:ep_poll, type:epitem, text",
                                     m_text, sizeof m_text))
            run(app);
        SearchQuery q = parseSearch(m_text);
        static const char* Fields[] = {"auto (pid or fd)", "address", "pid", "fd",
                                       "symbol",           "type",    "text"};
        if (m_text[0])
            ImGui::TextDisabled("searching by %s", Fields[static_cast<int>(q.field)]);
        if (!m_results) {
            ImGui::TextDisabled("type a query");
            return;
        }
        auto snap = app.snapshot();
        ImGui::TextDisabled("%zu result(s)%s", m_results->hits.size(),
                            m_results->hits.size() >= Limit ? " (first ones)" : "");
        if (!snap || snap != m_results->snapshot)
            return;
        if (ImGui::BeginTable("##hits", 2,
                              ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_Resizable)) {
            ImGui::TableSetupColumn("object");
            ImGui::TableSetupColumn("matched");
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableHeadersRow();
            ImGuiListClipper clipper;
            clipper.Begin(static_cast<int>(m_results->hits.size()));
            while (clipper.Step())
                for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                    const SearchHit& h = m_results->hits[static_cast<std::size_t>(i)];
                    ImGui::TableNextRow();
                    ImGui::TableSetColumnIndex(0);
                    ImGui::PushID(i);
                    if (ImGui::Selectable(objectTitle(*snap, h.id).c_str(), h.id == app.selection(),
                                          ImGuiSelectableFlags_SpanAllColumns))
                        app.jumpTo(h.id);
                    if (ImGui::IsItemHovered())
                        ImGui::SetTooltip("%s", toString(h.id).c_str());
                    ImGui::PopID();
                    ImGui::TableSetColumnIndex(1);
                    ImGui::TextDisabled("%s", h.why.c_str());
                }
            ImGui::EndTable();
        }
    }

    static constexpr std::size_t Limit = 5000;

private:
    void run(App& app) {
        SnapshotPtr snap = app.snapshot();
        std::string text = m_text;
        if (!snap || text.empty()) {
            m_results.reset();
            app.setHighlights({});
            return;
        }
        if (m_job)
            m_job->cancel();
        RunQueue* q = &app.runQueue();
        auto* self = this;
        m_job = app.workers().submit("Searching", [snap, text, q, self, &app](Job& job) {
            auto r = std::make_shared<Results>();
            r->snapshot = snap;
            r->query = text;
            r->hits = search(*snap, parseSearch(text), Limit);
            if (job.cancelled())
                return;
            q->post([self, r, &app] {
                if (r->query != self->m_text)
                    return;
                self->m_results = r;
                // Outline every hit on the canvas.
                std::unordered_set<ObjectId> ids;
                for (const SearchHit& h : r->hits)
                    ids.insert(h.id);
                app.setHighlights(std::move(ids));
            });
        });
    }

    char m_text[160] = {};
    JobPtr m_job;
    std::shared_ptr<const Results> m_results;
};

} // namespace

std::unique_ptr<View> makeSearchView() {
    return std::make_unique<SearchView>();
}

/// For scripts: run a search and return its first hit (synchronously: scripts run between
/// frames and may wait, the UI does not).
model::ObjectId firstSearchHit(const model::Snapshot& s, const std::string& query) {
    auto hits = model::search(s, model::parseSearch(query), 1);
    return hits.empty() ? model::ObjectId{} : hits[0].id;
}

} // namespace waitscope::app
