// The object tree: processes -> fds -> eventpolls -> epitems, wait queues, workqueues ->
// pools -> workers -> works, buffers. Rows come from model::buildObjectTree (on a worker);
// the table is clipped (ImGuiListClipper) so 100k+ rows cost only what is on screen; the
// filter runs on a worker too.
#include <algorithm>
#include <cctype>
#include <unordered_set>

#include <waitscope/model/query.hpp>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

using model::ObjectTree;

struct TreeData {
    model::SnapshotPtr snapshot;
    ObjectTree tree;
};

struct FilterResult {
    std::string text;
    std::shared_ptr<const TreeData> data;
    std::vector<std::uint8_t> keep; ///< per row: matches or has a matching descendant
    std::size_t matches = 0;
};

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class ObjectTreeView final : public View {
public:
    const char* name() const override { return "Objects"; }
    Region region() const override { return Region::Left; }
    bool busy() const override {
        return (m_treeJob && !m_treeJob->done()) || (m_filterJob && !m_filterJob->done());
    }
    void report(std::string& out) const override {
        if (m_data)
            out += " tree_rows=" + std::to_string(m_data->tree.rows.size()) +
                   " tree_visible=" + std::to_string(m_visible.size());
    }

    void onSnapshot(App& app) override {
        model::SnapshotPtr snap = app.snapshot();
        if (!snap)
            return;
        if (m_treeJob)
            m_treeJob->cancel();
        RunQueue* q = &app.runQueue();
        auto* self = this;
        m_treeJob = app.workers().submit("Building the object tree", [snap, q, self](Job& job) {
            auto data = std::make_shared<TreeData>();
            data->snapshot = snap;
            data->tree = model::buildObjectTree(*snap);
            if (job.cancelled())
                return;
            q->post([self, data] {
                self->m_data = data;
                self->m_dirty = true;
                self->m_filterFor.clear();
                if (self->m_expanded.empty())
                    self->expandDefaults();
            });
        });
    }

    void onSelection(App& app) override {
        m_scrollTo = app.selection();
        m_dirty = true;
    }

    void drawContent(App& app) override {
        ImGui::SetNextItemWidth(-FLT_MIN);
        if (ImGui::InputTextWithHint("##filter", "filter (comm, fd, func, type, address)", m_filter,
                                     sizeof m_filter))
            startFilter(app);
        if (!m_data) {
            ImGui::TextDisabled(app.snapshot() ? "building..." : "no snapshot open");
            return;
        }
        if (m_filter[0] && m_filterResult && m_filterResult->data == m_data)
            ImGui::TextDisabled("%zu matching rows", m_filterResult->matches);
        if (m_dirty)
            recompute();
        const ObjectTree& tree = m_data->tree;
        const model::Snapshot& snap = *m_data->snapshot;
        ImGui::BeginChild("##rows");
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(m_visible.size()));
        if (m_scrollRow >= 0) {
            ImGui::SetScrollY(static_cast<float>(m_scrollRow) *
                                  ImGui::GetTextLineHeightWithSpacing() -
                              ImGui::GetWindowHeight() / 3);
            m_scrollRow = -1;
        }
        while (clipper.Step()) {
            for (int k = clipper.DisplayStart; k < clipper.DisplayEnd; ++k) {
                std::uint32_t i = m_visible[static_cast<std::size_t>(k)];
                const ObjectTree::Row& row = tree.rows[i];
                ImGui::PushID(static_cast<int>(i));
                ImGui::Indent(static_cast<float>(row.depth) * 14.0f + 1);
                if (row.span > 0) {
                    bool open = isExpanded(i);
                    if (ImGui::ArrowButton("##x", open ? ImGuiDir_Down : ImGuiDir_Right)) {
                        setExpanded(i, !open);
                        m_dirty = true;
                    }
                    ImGui::SameLine();
                } else {
                    ImGui::Dummy(ImVec2(ImGui::GetFrameHeight(), 1));
                    ImGui::SameLine();
                }
                std::string text = model::treeRowText(snap, tree, i);
                const model::Object* o = row.id.valid() ? snap.find(row.id) : nullptr;
                if (o && !o->partial().empty())
                    text += "  [partial]";
                bool selected = row.id.valid() && row.id == app.selection();
                if (ImGui::Selectable(text.c_str(), selected,
                                      ImGuiSelectableFlags_AllowDoubleClick) &&
                    row.id.valid()) {
                    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
                        app.expand(row.id);
                    else
                        app.jumpTo(row.id);
                } else if (!row.id.valid() && ImGui::IsItemClicked()) {
                    setExpanded(i, !isExpanded(i));
                    m_dirty = true;
                }
                ImGui::Unindent(static_cast<float>(row.depth) * 14.0f + 1);
                ImGui::PopID();
            }
        }
        ImGui::EndChild();
    }

private:
    bool isExpanded(std::uint32_t row) const {
        if (m_filter[0] && m_filterResult)
            return true;
        return m_expanded.count(key(row)) > 0;
    }
    void setExpanded(std::uint32_t row, bool open) {
        if (open)
            m_expanded.insert(key(row));
        else
            m_expanded.erase(key(row));
    }
    /// Expansion is remembered per object (and per group), so it survives snapshot steps.
    std::uint64_t key(std::uint32_t row) const {
        const ObjectTree::Row& r = m_data->tree.rows[row];
        if (!r.id.valid())
            return 0xfeed000000000000ull | r.aux;
        return model::hashId(r.id) ^ (static_cast<std::uint64_t>(r.role) << 60);
    }
    void expandDefaults() {
        const ObjectTree& tree = m_data->tree;
        for (std::uint32_t i = 0; i < tree.rows.size(); ++i) {
            auto g = static_cast<model::TreeGroup>(tree.rows[i].aux);
            if (tree.rows[i].depth == 0 && g != model::TreeGroup::Other &&
                g != model::TreeGroup::KernelThreads)
                setExpanded(i, true);
        }
    }

    void startFilter(App& app) {
        std::string text = lower(m_filter);
        m_dirty = true;
        if (text.empty() || !m_data) {
            m_filterResult.reset();
            return;
        }
        if (m_filterJob)
            m_filterJob->cancel();
        auto data = m_data;
        RunQueue* q = &app.runQueue();
        auto* self = this;
        m_filterJob = app.workers().submit("Filtering", [data, text, q, self](Job& job) {
            auto r = std::make_shared<FilterResult>();
            r->text = text;
            r->data = data;
            const ObjectTree& tree = data->tree;
            r->keep.assign(tree.rows.size(), 0);
            for (std::uint32_t i = 0; i < tree.rows.size(); ++i) {
                if ((i & 0xfff) == 0 && job.cancelled())
                    return;
                std::string t = lower(model::treeRowText(*data->snapshot, tree, i));
                if (tree.rows[i].id.valid())
                    t += " " + model::toString(tree.rows[i].id);
                if (t.find(text) == std::string::npos)
                    continue;
                ++r->matches;
                for (std::uint32_t a = i; a != model::NoIndex && !r->keep[a];
                     a = tree.rows[a].parent)
                    r->keep[a] = 1;
            }
            q->post([self, r] {
                if (lower(self->m_filter) != r->text)
                    return;
                self->m_filterResult = r;
                self->m_dirty = true;
            });
        });
    }

    void recompute() {
        m_dirty = false;
        m_visible.clear();
        const ObjectTree& tree = m_data->tree;
        bool filtering = m_filter[0] && m_filterResult && m_filterResult->data == m_data;
        // Reveal the selection: expand its first row's ancestors.
        std::int64_t target = -1;
        if (m_scrollTo.valid()) {
            for (std::uint32_t i = 0; i < tree.rows.size(); ++i)
                if (tree.rows[i].id == m_scrollTo) {
                    target = i;
                    for (std::uint32_t a = tree.rows[i].parent; a != model::NoIndex;
                         a = tree.rows[a].parent)
                        setExpanded(a, true);
                    break;
                }
            m_scrollTo = {};
        }
        for (std::uint32_t i = 0; i < tree.rows.size();) {
            if (filtering && !m_filterResult->keep[i]) {
                i += tree.rows[i].span + 1;
                continue;
            }
            if (static_cast<std::int64_t>(i) == target)
                m_scrollRow = static_cast<std::int64_t>(m_visible.size());
            m_visible.push_back(i);
            i += (filtering || isExpanded(i)) ? 1 : tree.rows[i].span + 1;
        }
    }

    std::shared_ptr<const TreeData> m_data;
    std::shared_ptr<const FilterResult> m_filterResult;
    std::string m_filterFor;
    JobPtr m_treeJob, m_filterJob;
    char m_filter[128] = {};
    std::unordered_set<std::uint64_t> m_expanded;
    std::vector<std::uint32_t> m_visible;
    bool m_dirty = true;
    model::ObjectId m_scrollTo;
    std::int64_t m_scrollRow = -1;
};

} // namespace

std::unique_ptr<View> makeObjectTreeView() {
    return std::make_unique<ObjectTreeView>();
}

} // namespace waitscope::app
