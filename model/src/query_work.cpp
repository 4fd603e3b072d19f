// Workqueue pools and kfifo/circ_buf rings.
#include <waitscope/model/query.hpp>

#include "query_util.hpp"

namespace waitscope::model {

using namespace detail;

PoolView buildPoolView(const Snapshot& s, bool all) {
    PoolView v;
    for (const ObjectPtr& p : s.objectsOf(Kind::WorkerPool)) {
        PoolInfo info;
        info.id = p->id();
        info.poolId = i64(*p, Key::pool_id, -1);
        info.cpu = i64(*p, Key::cpu, -1);
        info.nice = i64(*p, Key::nice);
        auto busy = (*p)[Key::busy].refs();
        for (ObjectId wid : (*p)[Key::workers].refs()) {
            WorkerInfo w;
            w.id = wid;
            if (const Object* wo = s.find(wid)) {
                w.task = (*wo)[Key::task].ref();
                w.currentFunc = std::string((*wo)[Key::current_func].str());
                w.currentWork = (*wo)[Key::current_work].ref();
            }
            for (ObjectId b : busy)
                w.busy = w.busy || b == wid;
            w.busy = w.busy || !w.currentFunc.empty();
            info.workers.push_back(std::move(w));
        }
        info.worklist = (*p)[Key::worklist].refs();
        v.pools.push_back(std::move(info));
    }
    for (const ObjectPtr& wq : s.objectsOf(Kind::Workqueue)) {
        WorkqueueInfo info;
        info.id = wq->id();
        info.name = std::string((*wq)[Key::name].str());
        for (ObjectId pid : (*wq)[Key::pwqs].refs()) {
            PwqInfo p;
            p.id = pid;
            if (const Object* po = s.find(pid)) {
                p.pool = (*po)[Key::pool].ref();
                p.nrActive = i64(*po, Key::nr_active);
                p.maxActive = i64(*po, Key::max_active, i64(*wq, Key::max_active));
                p.inactive = (*po)[Key::inactive].refs();
            }
            info.pwqs.push_back(std::move(p));
        }
        v.workqueues.push_back(std::move(info));
    }
    if (!all) {
        std::erase_if(v.pools, [](const PoolInfo& p) {
            bool busy = false;
            for (const WorkerInfo& w : p.workers)
                busy = busy || w.busy;
            return !busy && p.worklist.empty();
        });
        std::erase_if(v.workqueues, [](const WorkqueueInfo& w) {
            for (const PwqInfo& p : w.pwqs)
                if (p.nrActive > 0 || !p.inactive.empty())
                    return false;
            return true;
        });
    }
    return v;
}

RingInfo buildRing(const Snapshot& s, ObjectId id) {
    RingInfo r;
    r.id = id;
    const Object* o = s.find(id);
    if (!o || (o->kind() != Kind::Kfifo && o->kind() != Kind::CircBuf))
        return r;
    r.name = std::string((*o)[Key::name].str());
    r.size = static_cast<std::uint32_t>(u64(*o, Key::size));
    if (o->kind() == Kind::Kfifo) {
        r.in = u64(*o, Key::in);
        r.out = u64(*o, Key::out);
        r.len = static_cast<std::uint32_t>(u64(*o, Key::len, r.in - r.out));
        r.freeRunning = true;
    } else {
        r.in = u64(*o, Key::head);
        r.out = u64(*o, Key::tail);
        r.len = static_cast<std::uint32_t>(u64(*o, Key::cnt));
        r.freeRunning = false;
    }
    for (Field e : (*o)[Key::elements].children())
        r.elements.push_back(e.text());
    return r;
}

} // namespace waitscope::model
