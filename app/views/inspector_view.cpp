// The inspector: every field of the selected object (like drgn's repr) with its address,
// type and partial marker, plain-language facts about it, ids and pointers as links that
// jump to their object, and the fields that changed since the previous snapshot.
#include <unordered_map>

#include <waitscope/model/query.hpp>

#include "../core/app.hpp"
#include "view.hpp"

namespace waitscope::app {

namespace {

using namespace model;

class InspectorView final : public View {
public:
    const char* name() const override { return "Inspector"; }
    Region region() const override { return Region::Right; }
    bool busy() const override { return m_job && !m_job->done(); }
    void report(std::string& out) const override {
        out += " inspector_fields=" + std::to_string(m_fieldsDrawn);
    }

    void onSnapshot(App& app) override {
        // Address -> object index for "jump to pointer", built off the UI thread.
        SnapshotPtr snap = app.snapshot();
        if (!snap)
            return;
        RunQueue* q = &app.runQueue();
        auto* self = this;
        m_job = app.workers().submit("Indexing addresses", [snap, q, self](Job&) {
            auto index = std::make_shared<std::unordered_map<std::uint64_t, ObjectId>>();
            index->reserve(snap->size());
            for (const ObjectPtr& o : snap->objects())
                index->emplace(o->kaddr(), o->id());
            q->post([self, snap, index] {
                self->m_addrFor = snap;
                self->m_addr = index;
            });
        });
    }

    void onSelection(App& app) override {
        if (!m_navigating && app.selection().valid() &&
            (m_back.empty() || m_back.back() != app.selection()))
            m_back.push_back(app.selection());
        if (m_back.size() > 100)
            m_back.erase(m_back.begin());
    }

    void drawContent(App& app) override {
        m_fieldsDrawn = 0;
        SnapshotPtr snap = app.snapshot();
        ObjectId sel = app.selection();
        if (ImGui::ArrowButton("##back", ImGuiDir_Left) && m_back.size() > 1) {
            m_back.pop_back();
            m_navigating = true;
            app.jumpTo(m_back.back());
            m_navigating = false;
        }
        ImGui::SameLine();
        if (!snap || !sel.valid()) {
            ImGui::TextDisabled("select an object (canvas, tree or search)");
            return;
        }
        const Object* o = snap->find(sel);
        if (!o) {
            ImGui::TextDisabled("%s is not in this snapshot", toString(sel).c_str());
            return;
        }
        ImGui::TextUnformatted(objectTitle(*snap, *o).c_str());
        ImGui::TextDisabled("%s  type %s  addr %s", toString(sel).c_str(),
                            std::string(kindName(o->kind())).c_str(),
                            hexString(o->kaddr()).c_str());
        if (ImGui::SmallButton("Copy id"))
            ImGui::SetClipboardText(toString(sel).c_str());
        ImGui::SameLine();
        if (ImGui::SmallButton("Expand in canvas"))
            app.expand(sel);
        if (!o->partial().empty())
            ImGui::TextColored(ImVec4(1, 0.35f, 1, 1), "PARTIAL: %s",
                               std::string(o->partial()).c_str());

        auto facts = explainObject(*snap, sel);
        if (!facts.empty() && ImGui::CollapsingHeader("Why", ImGuiTreeNodeFlags_DefaultOpen)) {
            ImGui::PushTextWrapPos(0);
            for (const std::string& f : facts)
                ImGui::BulletText("%s", f.c_str());
            ImGui::PopTextWrapPos();
        }

        const ChangedObject* changed = nullptr;
        bool added = false;
        if (auto cs = app.changes(); cs && cs->to == app.currentIndex()) {
            for (const ChangedObject& c : cs->diff.changed)
                if (c.id == sel)
                    changed = &c;
            for (ObjectId a : cs->diff.added)
                added = added || a == sel;
        }
        if (added)
            ImGui::TextColored(ImVec4(0.3f, 1, 0.5f, 1), "new since the previous snapshot");
        m_prev = app.previousSnapshot() ? app.previousSnapshot()->find(sel) : nullptr;

        if (ImGui::CollapsingHeader("Fields", ImGuiTreeNodeFlags_DefaultOpen) &&
            ImGui::BeginTable("##fields", 2,
                              ImGuiTableFlags_Resizable | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY)) {
            ImGui::TableSetupColumn("field", ImGuiTableColumnFlags_WidthFixed, 150);
            ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableHeadersRow();
            if (app.fonts().mono)
                ImGui::PushFont(app.lecture() && app.fonts().monoLarge ? app.fonts().monoLarge
                                                                       : app.fonts().mono);
            for (Field f : o->fields().root().children())
                field(app, *snap, f, std::string(keyName(f.key())), changed, 0);
            if (app.fonts().mono)
                ImGui::PopFont();
            ImGui::EndTable();
        }
    }

private:
    void field(App& app, const Snapshot& snap, const Field& f, const std::string& name,
               const ChangedObject* changed, int depth) {
        ++m_fieldsDrawn;
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        bool isChanged = false;
        if (changed && depth == 0)
            for (const std::string& c : changed->fields)
                isChanged = isChanged || c == name;
        ImGui::PushID(static_cast<int>(f.index()));
        if (f.isContainer()) {
            bool open = ImGui::TreeNodeEx(name.c_str(),
                                          ImGuiTreeNodeFlags_SpanFullWidth |
                                              (f.size() <= 8 ? ImGuiTreeNodeFlags_DefaultOpen : 0));
            if (isChanged)
                changedMarker(f);
            ImGui::TableSetColumnIndex(1);
            ImGui::TextDisabled("%s", f.type() == ValueType::Array
                                          ? ("[" + std::to_string(f.size()) + " items]").c_str()
                                          : ("{" + std::to_string(f.size()) + " fields}").c_str());
            if (open) {
                std::uint32_t k = 0;
                for (Field c : f.children()) {
                    std::string childName = f.type() == ValueType::Array
                                                ? "[" + std::to_string(k) + "]"
                                                : std::string(keyName(c.key()));
                    field(app, snap, c, childName, nullptr, depth + 1);
                    if (++k >= 2000) {
                        ImGui::TableNextRow();
                        ImGui::TableSetColumnIndex(1);
                        ImGui::TextDisabled("... %u more", f.size() - k);
                        break;
                    }
                }
                ImGui::TreePop();
            }
        } else {
            ImGui::TreeNodeEx(name.c_str(), ImGuiTreeNodeFlags_Leaf |
                                                ImGuiTreeNodeFlags_NoTreePushOnOpen |
                                                ImGuiTreeNodeFlags_SpanFullWidth);
            if (isChanged)
                changedMarker(f);
            ImGui::TableSetColumnIndex(1);
            value(app, snap, f, name);
        }
        ImGui::PopID();
    }

    void changedMarker(const Field& f) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(1, 0.85f, 0.2f, 1), "*");
        if (ImGui::IsItemHovered() && m_prev) {
            Field before = m_prev->fields()[f.key()];
            ImGui::SetTooltip("changed; before: %s",
                              before ? toJsonText(before).c_str() : "(absent)");
        }
    }

    void link(App& app, ObjectId id, const std::string& text) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.45f, 0.75f, 1, 1));
        if (ImGui::Selectable(text.c_str(), false))
            app.jumpTo(id);
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("jump to %s", toString(id).c_str());
    }

    void value(App& app, const Snapshot& snap, const Field& f, const std::string& name) {
        switch (f.type()) {
        case ValueType::Ref: {
            ObjectId id = f.ref();
            if (snap.find(id))
                link(app, id, toString(id) + "  " + objectTitle(snap, id));
            else
                ImGui::TextColored(ImVec4(1, 0.5f, 0.5f, 1), "%s (not in the snapshot)",
                                   toString(id).c_str());
            break;
        }
        case ValueType::Hex: {
            std::uint64_t v = *f.asU64();
            const ObjectId* target = nullptr;
            if (m_addr && m_addrFor.get() == &snap && v != 0) {
                auto it = m_addr->find(v);
                if (it != m_addr->end())
                    target = &it->second;
            }
            if (target)
                link(app, *target, f.text() + "  -> " + toString(*target));
            else
                ImGui::TextUnformatted(f.text().c_str());
            break;
        }
        case ValueType::UInt:
        case ValueType::Int:
            if (name == "events")
                ImGui::Text("%s  %s", f.text().c_str(), epollEventNames(*f.asU64()).c_str());
            else if (name == "flags" || name == "f_flags" || name == "f_mode")
                ImGui::Text("%s  (%s)", f.text().c_str(), hexString(*f.asU64()).c_str());
            else
                ImGui::TextUnformatted(f.text().c_str());
            break;
        case ValueType::String:
            ImGui::Text("\"%s\"", std::string(f.str()).c_str());
            break;
        default:
            ImGui::TextUnformatted(f.text().c_str());
        }
    }

    JobPtr m_job;
    SnapshotPtr m_addrFor;
    std::shared_ptr<const std::unordered_map<std::uint64_t, ObjectId>> m_addr;
    std::vector<ObjectId> m_back;
    bool m_navigating = false;
    const Object* m_prev = nullptr;
    std::uint32_t m_fieldsDrawn = 0;
};

} // namespace

std::unique_ptr<View> makeInspectorView() {
    return std::make_unique<InspectorView>();
}

} // namespace waitscope::app
