// Changes: what differs between two snapshots of the session (by default the previous and
// the current one): added, removed and changed objects with the changed field names.
#include <waitscope/model/diff.hpp>
#include <waitscope/model/query.hpp>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

using namespace model;

class DiffView final : public View {
public:
    const char* name() const override { return "Changes"; }
    Region region() const override { return Region::Bottom; }
    bool busy() const override { return m_job && !m_job->done(); }
    void report(std::string& out) const override {
        if (const SnapshotDiff* d = current())
            out += " diff_added=" + std::to_string(d->added.size()) +
                   " diff_removed=" + std::to_string(d->removed.size()) +
                   " diff_changed=" + std::to_string(d->changed.size());
    }

    void drawContent(App& app) override {
        m_app = &app;
        auto session = app.session();
        if (!session || session->size() < 2) {
            ImGui::TextDisabled("one snapshot: nothing to compare (open a session of several, "
                                "e.g. a lab run directory)");
            return;
        }
        ImGui::Checkbox("previous -> current", &m_followCurrent);
        if (!m_followCurrent) {
            ImGui::SameLine();
            pick("A", m_a, *session);
            ImGui::SameLine();
            pick("B", m_b, *session);
            if (m_custom.first != m_a || m_custom.second != m_b)
                computeCustom(app, *session);
        }
        const SnapshotDiff* d = current();
        if (!d) {
            ImGui::TextDisabled(app.currentIndex() == 0 && m_followCurrent
                                    ? "the first snapshot: step forward (PageDown) to see changes"
                                    : "computing...");
            return;
        }
        SnapshotPtr after = m_followCurrent ? app.snapshot() : (*session)[m_b].snapshot;
        SnapshotPtr before = m_followCurrent ? app.previousSnapshot() : (*session)[m_a].snapshot;
        ImGui::Text("%zu added, %zu removed, %zu changed", d->added.size(), d->removed.size(),
                    d->changed.size());
        ImGui::BeginChild("##changes");
        auto row = [&](const char* sign, ImVec4 col, ObjectId id, const Snapshot& s,
                       const std::string& extra) {
            ImGui::PushID(static_cast<int>(m_row++));
            ImGui::TextColored(col, "%s", sign);
            ImGui::SameLine();
            std::string text = objectTitle(s, id) + extra;
            if (ImGui::Selectable(text.c_str(), id == app.selection()) &&
                &s == app.snapshot().get())
                app.jumpTo(id);
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", toString(id).c_str());
            ImGui::PopID();
        };
        m_row = 0;
        for (const ChangedObject& c : d->changed) {
            std::string f;
            for (const std::string& n : c.fields)
                f += (f.empty() ? "  [" : ", ") + n;
            row("~", ImVec4(1, 0.85f, 0.2f, 1), c.id, *after, f + "]");
        }
        for (ObjectId id : d->added)
            row("+", ImVec4(0.3f, 1, 0.5f, 1), id, *after, "");
        for (ObjectId id : d->removed)
            row("-", ImVec4(1, 0.4f, 0.4f, 1), id, *before, "");
        ImGui::EndChild();
    }

private:
    const SnapshotDiff* current() const {
        if (m_followCurrent) {
            auto cs = m_app ? m_app->changes() : nullptr;
            return cs && cs->to == m_app->currentIndex() ? &cs->diff : nullptr;
        }
        return m_customDiff ? m_customDiff.get() : nullptr;
    }

    void pick(const char* label, std::size_t& index, const Session& s) {
        ImGui::SetNextItemWidth(150);
        index = std::min(index, s.size() - 1);
        if (ImGui::BeginCombo(label, s[index].name.c_str())) {
            for (std::size_t i = 0; i < s.size(); ++i)
                if (ImGui::Selectable((std::to_string(i + 1) + ". " + s[i].name).c_str(),
                                      i == index))
                    index = i;
            ImGui::EndCombo();
        }
    }

    void computeCustom(App& app, const Session& s) {
        m_custom = {m_a, m_b};
        m_customDiff.reset();
        SnapshotPtr a = s[m_a].snapshot, b = s[m_b].snapshot;
        RunQueue* q = &app.runQueue();
        auto* self = this;
        auto want = m_custom;
        m_job = app.workers().submit("Diffing", [a, b, q, self, want](Job&) {
            auto d = std::make_shared<SnapshotDiff>(diffSnapshots(*a, *b));
            q->post([self, d, want] {
                if (self->m_custom == want)
                    self->m_customDiff = d;
            });
        });
    }

    App* m_app = nullptr;
    bool m_followCurrent = true;
    std::size_t m_a = 0, m_b = 1;
    std::pair<std::size_t, std::size_t> m_custom{~0u, ~0u};
    std::shared_ptr<const SnapshotDiff> m_customDiff;
    JobPtr m_job;
    std::size_t m_row = 0;
};

} // namespace

std::unique_ptr<View> makeDiffView() {
    return std::make_unique<DiffView>();
}

} // namespace waitscope::app
