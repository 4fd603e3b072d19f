// The object tree: processes, wait queues, workqueues, pools, buffers, everything else.
#include <algorithm>

#include <waitscope/model/query.hpp>

#include "query_util.hpp"

namespace waitscope::model {

using namespace detail;

namespace {

constexpr std::string_view GroupNames[] = {"Processes",    "Kernel threads", "Wait queues",
                                           "Workqueues",   "Worker pools",   "Buffers",
                                           "Other objects"};
static_assert(std::size(GroupNames) == static_cast<std::size_t>(TreeGroup::Other) + 1);

class TreeBuilder {
public:
    explicit TreeBuilder(const Snapshot& s) : m_s(s), m_placed(s.size(), 0) {}

    ObjectTree build() {
        processes();
        waitQueues();
        workqueues();
        pools();
        buffers();
        other();
        return std::move(m_tree);
    }

private:
    void open(RowRole role, ObjectId id, std::uint32_t aux = 0) {
        ObjectTree::Row row;
        row.id = id;
        row.role = role;
        row.aux = aux;
        row.depth = static_cast<std::uint16_t>(m_stack.size());
        row.parent = m_stack.empty() ? NoIndex : m_stack.back();
        if (row.parent != NoIndex)
            ++m_tree.rows[row.parent].children;
        m_tree.rows.push_back(row);
        m_stack.push_back(static_cast<std::uint32_t>(m_tree.rows.size() - 1));
        if (id.valid()) {
            std::int64_t i = m_s.indexOf(id);
            if (i >= 0)
                m_placed[static_cast<std::size_t>(i)] = 1;
        }
    }
    void close() {
        std::uint32_t i = m_stack.back();
        m_stack.pop_back();
        m_tree.rows[i].span = static_cast<std::uint32_t>(m_tree.rows.size() - i - 1);
    }
    void leaf(RowRole role, ObjectId id, std::uint32_t aux = 0) {
        open(role, id, aux);
        close();
    }
    void group(TreeGroup g) { open(RowRole::Group, {}, static_cast<std::uint32_t>(g)); }
    /// Close a group, dropping it when it stayed empty.
    void closeGroup() {
        std::uint32_t i = m_stack.back();
        if (m_tree.rows.size() == i + 1) {
            m_stack.pop_back();
            m_tree.rows.pop_back();
            return;
        }
        close();
    }

    void headWithEntries(ObjectId headId) {
        const Object* head = m_s.find(headId);
        open(RowRole::Object, headId);
        if (head)
            for (ObjectId e : (*head)[Key::entries].refs())
                leaf(RowRole::Object, e);
        close();
    }

    /// The object behind a file (or any object with wait queue heads) and its contents.
    void behindFile(ObjectId id) {
        const Object* o = m_s.find(id);
        open(RowRole::Object, id);
        if (o) {
            if (o->kind() == Kind::Eventpoll) {
                for (ObjectId e : (*o)[Key::rbtree][Key::inorder].refs())
                    leaf(RowRole::Object, e);
            }
            for (Key k : {Key::wq_head, Key::poll_wait_head, Key::rd_wait, Key::wr_wait, Key::wqh,
                          Key::wq, Key::rx_wait}) {
                ObjectId h = (*o)[k].ref();
                if (h.kind == Kind::WaitQueueHead)
                    headWithEntries(h);
            }
            for (Key k : {Key::fifo, Key::circ})
                if (ObjectId b = (*o)[k].ref(); b.valid())
                    leaf(RowRole::Object, b);
        }
        close();
    }

    void waiting(const Object& task) {
        for (ObjectId w : task[Key::waiting_on].refs())
            leaf(RowRole::Waiting, w);
    }

    void processes() {
        auto tasks = m_s.objectsOf(Kind::Task);
        std::vector<const Object*> sorted;
        sorted.reserve(tasks.size());
        for (const ObjectPtr& t : tasks)
            sorted.push_back(t.get());
        std::sort(sorted.begin(), sorted.end(), [](const Object* a, const Object* b) {
            auto ka = std::pair(i64(*a, Key::tgid), i64(*a, Key::pid));
            auto kb = std::pair(i64(*b, Key::tgid), i64(*b, Key::pid));
            return ka != kb ? ka < kb : a->kaddr() < b->kaddr();
        });
        for (TreeGroup g : {TreeGroup::Processes, TreeGroup::KernelThreads}) {
            group(g);
            const bool kernel = g == TreeGroup::KernelThreads;
            for (std::size_t i = 0; i < sorted.size(); ++i) {
                const Object& leader = *sorted[i];
                if (leader[Key::kthread].asBool() != kernel)
                    continue;
                if (i64(leader, Key::pid) != i64(leader, Key::tgid) && i > 0 &&
                    i64(*sorted[i - 1], Key::tgid) == i64(leader, Key::tgid))
                    continue; // a thread: listed under its leader
                process(leader, sorted, i);
            }
            closeGroup();
        }
    }

    void process(const Object& leader, const std::vector<const Object*>& sorted, std::size_t i) {
        open(RowRole::Object, leader.id());
        waiting(leader);
        for (std::size_t j = i + 1;
             j < sorted.size() && i64(*sorted[j], Key::tgid) == i64(leader, Key::tgid); ++j) {
            open(RowRole::Thread, sorted[j]->id());
            waiting(*sorted[j]);
            close();
        }
        // The files_struct itself has no row here (fds hang off the process); it is
        // listed under "Other objects".
        if (const Object* files = deref(m_s, leader[Key::files])) {
            for (Field fd : (*files)[Key::fds].children()) {
                ObjectId fileId = fd[Key::file].ref();
                auto n = static_cast<std::uint32_t>(fd[Key::fd].asU64().value_or(0));
                open(RowRole::Fd, fileId, n);
                if (const Object* file = m_s.find(fileId))
                    if (ObjectId p = (*file)[Key::private_].ref(); p.valid())
                        behindFile(p);
                close();
            }
        }
        close();
    }

    void waitQueues() {
        group(TreeGroup::WaitQueues);
        for (const ObjectPtr& h : m_s.objectsOf(Kind::WaitQueueHead))
            if ((*h)[Key::entries].size() > 0)
                headWithEntries(h->id());
        closeGroup();
    }

    void workqueues() {
        group(TreeGroup::Workqueues);
        for (const ObjectPtr& wq : m_s.objectsOf(Kind::Workqueue)) {
            open(RowRole::Object, wq->id());
            for (ObjectId p : (*wq)[Key::pwqs].refs()) {
                open(RowRole::Object, p);
                if (const Object* pwq = m_s.find(p))
                    for (ObjectId w : (*pwq)[Key::inactive].refs())
                        leaf(RowRole::Object, w);
                close();
            }
            close();
        }
        closeGroup();
    }

    void pools() {
        group(TreeGroup::Pools);
        for (const ObjectPtr& pool : m_s.objectsOf(Kind::WorkerPool)) {
            open(RowRole::Object, pool->id());
            for (ObjectId w : (*pool)[Key::workers].refs()) {
                open(RowRole::Object, w);
                if (const Object* worker = m_s.find(w))
                    if (ObjectId cw = (*worker)[Key::current_work].ref(); cw.valid())
                        leaf(RowRole::Object, cw);
                close();
            }
            for (ObjectId w : (*pool)[Key::worklist].refs())
                leaf(RowRole::Object, w);
            close();
        }
        closeGroup();
    }

    void buffers() {
        group(TreeGroup::Buffers);
        for (Kind k : {Kind::Kfifo, Kind::CircBuf, Kind::VpollRing, Kind::Simrupt})
            for (const ObjectPtr& o : m_s.objectsOf(k))
                leaf(RowRole::Object, o->id());
        closeGroup();
    }

    void other() {
        group(TreeGroup::Other);
        auto all = m_s.objects();
        for (std::size_t i = 0; i < all.size(); ++i)
            if (!m_placed[i])
                leaf(RowRole::Object, all[i]->id());
        closeGroup();
    }

    const Snapshot& m_s;
    ObjectTree m_tree;
    std::vector<std::uint32_t> m_stack;
    std::vector<std::uint8_t> m_placed;
};

} // namespace

std::string_view treeGroupName(TreeGroup group) {
    return GroupNames[static_cast<std::size_t>(group)];
}

ObjectTree buildObjectTree(const Snapshot& snapshot) {
    return TreeBuilder(snapshot).build();
}

std::string treeRowText(const Snapshot& s, const ObjectTree& tree, std::uint32_t i) {
    const ObjectTree::Row& row = tree.rows[i];
    switch (row.role) {
    case RowRole::Group:
        return std::string(treeGroupName(static_cast<TreeGroup>(row.aux))) + " (" +
               num(row.children) + ")";
    case RowRole::Fd:
        return "fd " + num(row.aux) + ": " + objectTitle(s, row.id);
    case RowRole::Thread:
        return "thread " + objectTitle(s, row.id);
    case RowRole::Waiting:
        return "waits: " + objectTitle(s, row.id);
    case RowRole::Object:
        break;
    }
    return objectTitle(s, row.id);
}

} // namespace waitscope::model
