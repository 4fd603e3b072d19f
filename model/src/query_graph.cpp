// The overview graph: tasks, eventpolls, epitems (folded when many) and watched files.
#include <map>
#include <unordered_map>

#include <waitscope/model/query.hpp>

#include "query_util.hpp"

namespace waitscope::model {

using namespace detail;

namespace {

class OverviewBuilder {
public:
    OverviewBuilder(const Snapshot& s, const OverviewOptions& o) : m_s(s), m_opt(o) {}

    OverviewGraph build() {
        for (const ObjectPtr& t : m_s.objectsOf(Kind::Task))
            m_byPid[i64(*t, Key::pid, -1)] = t.get();
        for (const ObjectPtr& f : m_s.objectsOf(Kind::File))
            if (ObjectId p = (*f)[Key::private_].ref(); p.valid())
                m_fileOf.emplace(p, f->id());
        for (const ObjectPtr& ep : m_s.objectsOf(Kind::Eventpoll)) {
            GraphNode n;
            n.object = ep->id();
            n.role = GraphNodeRole::Eventpoll;
            n.ready = (*ep)[Key::ready].size();
            n.partial = !ep->partial().empty();
            add(n);
        }
        for (const ObjectPtr& ep : m_s.objectsOf(Kind::Eventpoll))
            items(*ep);
        for (const ObjectPtr& ep : m_s.objectsOf(Kind::Eventpoll))
            people(*ep);
        for (const ObjectPtr& t : m_s.objectsOf(Kind::Task))
            sleeper(*t);
        return std::move(m_g);
    }

private:
    std::uint32_t add(const GraphNode& n) {
        auto i = static_cast<std::uint32_t>(m_g.nodes.size());
        m_g.nodes.push_back(n);
        m_index.emplace(n.object, i);
        return i;
    }
    std::uint32_t nodeOf(ObjectId id) const {
        auto it = m_index.find(id);
        return it == m_index.end() ? NoIndex : it->second;
    }
    std::uint32_t fileNode(ObjectId file) {
        if (std::uint32_t i = nodeOf(file); i != NoIndex)
            return i;
        GraphNode n;
        n.object = file;
        n.role = GraphNodeRole::File;
        const Object* o = m_s.find(file);
        n.partial = o && !o->partial().empty();
        return add(n);
    }
    std::uint32_t taskNode(const Object& task) {
        if (std::uint32_t i = nodeOf(task.id()); i != NoIndex)
            return i;
        GraphNode n;
        n.object = task.id();
        n.role = GraphNodeRole::Task;
        std::string_view st = task[Key::state].str();
        n.blocked = st == "S" || st == "D";
        n.partial = !task.partial().empty();
        return add(n);
    }
    void edge(std::uint32_t from, std::uint32_t to, GraphEdgeRole role, std::string label) {
        m_g.edges.push_back({from, to, role, std::move(label)});
    }

    void items(const Object& ep) {
        std::uint32_t epNode = nodeOf(ep.id());
        auto list = ep[Key::rbtree][Key::inorder].refs();
        if (list.size() > m_opt.foldAbove) {
            GraphNode n;
            n.object = list.front();
            n.role = GraphNodeRole::FoldedItems;
            n.count = static_cast<std::uint32_t>(list.size());
            n.ready = ep[Key::ready].size();
            n.cluster = epNode;
            // Folded items keep their own key: index them by the eventpoll's first item.
            std::uint32_t f = add(n);
            edge(epNode, f, GraphEdgeRole::Watches, "");
            return;
        }
        for (ObjectId id : list) {
            const Object* item = m_s.find(id);
            GraphNode n;
            n.object = id;
            n.role = GraphNodeRole::Epitem;
            n.cluster = epNode;
            n.ready = item && (*item)[Key::on_ready].asBool() ? 1 : 0;
            n.partial = !item || !item->partial().empty();
            std::uint32_t in = add(n);
            edge(epNode, in, GraphEdgeRole::Watches, "");
            if (!item)
                continue;
            ObjectId nested = (*item)[Key::nested_ep].ref();
            ObjectId file = (*item)[Key::file].ref();
            if (!nested.valid())
                if (const Object* fo = m_s.find(file))
                    if (ObjectId p = (*fo)[Key::private_].ref(); p.kind == Kind::Eventpoll)
                        nested = p;
            if (nested.valid() && nodeOf(nested) != NoIndex) {
                edge(in, nodeOf(nested), GraphEdgeRole::Nested, "fd " + (*item)[Key::tfd].text());
            } else if (file.valid()) {
                std::string via;
                for (Field pwq : (*item)[Key::pwqs].children())
                    if (const Object* h = deref(m_s, pwq[Key::head]))
                        via = std::string((*h)[Key::container][Key::field].str());
                edge(in, fileNode(file), GraphEdgeRole::Targets, via);
            }
        }
    }

    void people(const Object& ep) {
        std::uint32_t epNode = nodeOf(ep.id());
        std::map<std::uint32_t, std::string> holders;
        for (Field ow : ep[Key::owners].children()) {
            auto it = m_byPid.find(ow[Key::pid].asInt().value_or(-1));
            if (it == m_byPid.end())
                continue;
            std::string& l = holders[taskNode(*it->second)];
            l += (l.empty() ? "fd " : ", ") + ow[Key::fd].text();
        }
        for (auto& [task, label] : holders)
            edge(task, epNode, GraphEdgeRole::Holds, label);
        for (Key list : {Key::wq, Key::poll_wait}) {
            for (ObjectId w : ep[list].refs()) {
                const Object* e = m_s.find(w);
                if (!e)
                    continue;
                const Object* owner = deref(m_s, (*e)[Key::owner]);
                if (!owner)
                    continue;
                if (owner->kind() == Kind::Task) {
                    m_waitDone.emplace(w, 1);
                    edge(taskNode(*owner), epNode, GraphEdgeRole::Waits,
                         std::string((*e)[Key::func].text()) +
                             (list == Key::poll_wait ? " (poll)" : ""));
                }
            }
        }
    }

    void sleeper(const Object& task) {
        if (task[Key::kthread].asBool() && !m_opt.kernelThreads)
            return;
        for (ObjectId w : task[Key::waiting_on].refs()) {
            if (m_waitDone.count(w))
                continue;
            const Object* e = m_s.find(w);
            const Object* head = e ? deref(m_s, (*e)[Key::head]) : nullptr;
            if (!head)
                continue;
            ObjectId container = (*head)[Key::container][Key::id].ref();
            if (container.kind == Kind::Eventpoll && nodeOf(container) != NoIndex) {
                edge(taskNode(task), nodeOf(container), GraphEdgeRole::Waits,
                     std::string((*e)[Key::func].text()));
                continue;
            }
            auto f = m_fileOf.find(container);
            ObjectId target = f != m_fileOf.end() ? f->second : container;
            if (!target.valid())
                continue;
            edge(taskNode(task), fileNode(target), GraphEdgeRole::Waits,
                 std::string((*e)[Key::func].text()) + " on " +
                     std::string((*head)[Key::container][Key::field].str()));
        }
    }

    const Snapshot& m_s;
    OverviewOptions m_opt;
    OverviewGraph m_g;
    std::unordered_map<ObjectId, std::uint32_t> m_index;
    std::unordered_map<std::int64_t, const Object*> m_byPid;
    std::unordered_map<ObjectId, ObjectId> m_fileOf;
    std::unordered_map<ObjectId, int> m_waitDone;
};

} // namespace

OverviewGraph buildOverview(const Snapshot& snapshot, const OverviewOptions& options) {
    return OverviewBuilder(snapshot, options).build();
}

} // namespace waitscope::model
