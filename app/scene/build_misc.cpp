// Scenes for one wait queue, the workqueue pools, and a kfifo/circ_buf ring.
#include <algorithm>
#include <chrono>

#include <waitscope/model/query.hpp>

#include "build.hpp"
#include "layout_adapter.hpp"

namespace waitscope::app {

using namespace model;

Scene buildWaitQueueScene(const Snapshot& s, const SceneRequest& r) {
    Scene scene;
    WaitChain c = buildWaitChain(s, r.focus);
    const Object* head = s.find(r.focus);
    if (!head) {
        scene.notes.push_back("No wait queue " + toString(r.focus) + " in this snapshot.");
        return scene;
    }
    std::string where = c.container.valid() ? objectTitle(s, c.container) : "?";
    scene.title = c.field + " of " + where;
    // The container on top, the head under it, the entries in wake-up order to the right,
    // each entry's owner under it.
    SceneNode cont = makeNode(c.container, NodeStyle::Note, where, "." + c.field);
    cont.x = cont.w / 2;
    cont.y = -80;
    scene.nodes.push_back(cont);
    SceneNode h = makeNode(r.focus, NodeStyle::WaitHead, "wait_queue_head " + c.field,
                           std::to_string(c.entries.size()) + " entries, wake-up order ->");
    h.x = h.w / 2;
    h.y = 0;
    scene.nodes.push_back(h);
    scene.addEdge(0, 1, EdgeStyle::Chain, "", false);
    auto prev = std::uint32_t{1};
    float x = h.w + 30;
    for (const WaitEntryInfo& e : c.entries) {
        SceneNode en =
            makeNode(e.id, NodeStyle::WaitEntry, e.func,
                     (e.exclusive ? "EXCLUSIVE, " : "") + std::string("owner ") + e.ownerKind);
        en.x = x + en.w / 2;
        en.y = 0;
        scene.nodes.push_back(en);
        auto ei = static_cast<std::uint32_t>(scene.nodes.size() - 1);
        scene.addEdge(prev, ei, EdgeStyle::Chain);
        ++scene.stats.waitEntries;
        if (e.owner.valid()) {
            const Object* o = s.find(e.owner);
            NodeStyle st = NodeStyle::Note;
            if (o && o->kind() == Kind::Task)
                st = (*o)[Key::state].str() == "S" || (*o)[Key::state].str() == "D"
                         ? NodeStyle::TaskBlocked
                         : NodeStyle::Task;
            else if (o && o->kind() == Kind::Epitem)
                st = NodeStyle::Epitem;
            SceneNode on = makeNode(e.owner, st, e.ownerTitle, e.ownerKind);
            on.x = en.x;
            on.y = 90;
            scene.nodes.push_back(on);
            scene.addEdge(ei, static_cast<std::uint32_t>(scene.nodes.size() - 1), EdgeStyle::Owner,
                          e.func == "ep_poll_callback" ? "queues the epitem" : "wakes");
            x = std::max(x, on.x + on.w / 2);
        }
        x = std::max(x, en.x + en.w / 2) + 30;
        prev = ei;
    }
    return scene;
}

Scene buildWorkqueueScene(const Snapshot& s, const SceneRequest& r) {
    Scene scene;
    scene.title = "Workqueues and worker pools";
    // Every worker pool (a handful: per CPU, high priority, unbound); only the workqueues
    // with work in flight (a kernel has dozens of idle ones).
    PoolView v = buildPoolView(s, true);
    std::erase_if(v.workqueues, [](const WorkqueueInfo& w) {
        return std::all_of(w.pwqs.begin(), w.pwqs.end(),
                           [](const PwqInfo& p) { return p.nrActive == 0 && p.inactive.empty(); });
    });
    (void)r;
    std::vector<std::pair<ObjectId, std::uint32_t>> poolNodes;
    float x = 0;
    for (const PoolInfo& p : v.pools) {
        SceneNode pn = makeNode(p.id, NodeStyle::Pool, "pool " + std::to_string(p.poolId),
                                (p.cpu < 0 ? "unbound" : "cpu " + std::to_string(p.cpu)) +
                                    (p.nice < 0 ? " highpri" : ""));
        float colW = pn.w;
        std::vector<SceneNode> column;
        for (const WorkerInfo& w : p.workers) {
            const Object* t = s.find(w.task);
            column.push_back(makeNode(w.id, w.busy ? NodeStyle::WorkerBusy : NodeStyle::Worker,
                                      t ? objectTitle(s, *t) : "worker",
                                      w.busy ? "runs " + w.currentFunc : "idle"));
        }
        for (ObjectId wk : p.worklist) {
            const Object* o = s.find(wk);
            column.push_back(makeNode(wk, NodeStyle::Work,
                                      "work " + (o ? std::string((*o)[Key::func].str()) : "?"),
                                      "pending on worklist"));
        }
        for (const SceneNode& c : column)
            colW = std::max(colW, c.w);
        pn.x = x + colW / 2;
        pn.y = 0;
        scene.nodes.push_back(pn);
        auto pi = static_cast<std::uint32_t>(scene.nodes.size() - 1);
        poolNodes.push_back({p.id, pi});
        float y = 70;
        for (SceneNode& c : column) {
            c.x = pn.x;
            c.y = y;
            y += 56;
            scene.nodes.push_back(c);
            scene.addEdge(pi, static_cast<std::uint32_t>(scene.nodes.size() - 1), EdgeStyle::Work,
                          "", false);
        }
        scene.frames.push_back({x - 12, -30, x + colW + 12, y - 20, "worker pool", p.id});
        x += colW + 60;
    }
    float wy = -200, wx = 0;
    for (const WorkqueueInfo& wq : v.workqueues) {
        SceneNode wn = makeNode(wq.id, NodeStyle::Workqueue, "workqueue " + wq.name,
                                std::to_string(wq.pwqs.size()) + " pwq(s)");
        wn.x = wx + wn.w / 2;
        wn.y = wy - 80;
        scene.nodes.push_back(wn);
        auto wi = static_cast<std::uint32_t>(scene.nodes.size() - 1);
        float px = wx;
        for (const PwqInfo& pwq : wq.pwqs) {
            if (pwq.nrActive == 0 && pwq.inactive.empty())
                continue;
            SceneNode qn = makeNode(pwq.id, NodeStyle::Workqueue, "pool_workqueue",
                                    "active " + std::to_string(pwq.nrActive) + "/" +
                                        std::to_string(pwq.maxActive) + ", " +
                                        std::to_string(pwq.inactive.size()) + " inactive");
            qn.x = px + qn.w / 2;
            qn.y = wy;
            scene.nodes.push_back(qn);
            auto qi = static_cast<std::uint32_t>(scene.nodes.size() - 1);
            scene.addEdge(wi, qi, EdgeStyle::Work);
            for (auto& [pid, pnode] : poolNodes)
                if (pid == pwq.pool)
                    scene.addEdge(qi, pnode, EdgeStyle::Work, "runs on");
            float ix = qn.x + qn.w / 2 + 20;
            for (ObjectId w : pwq.inactive) {
                const Object* o = s.find(w);
                SceneNode in = makeNode(w, NodeStyle::Work,
                                        "work " + (o ? std::string((*o)[Key::func].str()) : "?"),
                                        "inactive (max_active)");
                in.x = ix + in.w / 2;
                in.y = wy;
                ix += in.w + 16;
                scene.nodes.push_back(in);
                scene.addEdge(qi, static_cast<std::uint32_t>(scene.nodes.size() - 1),
                              EdgeStyle::Chain);
            }
            px = ix + 20;
        }
        wx = std::max(px, wn.x + wn.w / 2) + 60;
    }
    if (v.pools.empty() && v.workqueues.empty())
        scene.notes.push_back("No busy worker pools or pending works in this snapshot.");
    return scene;
}

Scene buildRingScene(const Snapshot& s, const SceneRequest& r) {
    Scene scene;
    RingInfo ring = buildRing(s, r.focus);
    if (ring.size == 0) {
        scene.notes.push_back("No kfifo or circ_buf " + toString(r.focus) + " in this snapshot.");
        return scene;
    }
    scene.title = std::string(kindName(r.focus.kind)) + " " + ring.name;
    const BoxSize slot{48, 26};
    Placement p = placeRingBuffer(ring.size, ring.in, ring.out, slot);
    scene.stats.layoutMs = p.ms;
    std::uint64_t outSlot = ring.out % ring.size, inSlot = ring.in % ring.size;
    for (std::uint32_t i = 0; i < ring.size; ++i) {
        // Slot i holds element k when it lies k slots after `out` and k < len.
        std::uint64_t k = (i + ring.size - outSlot) % ring.size;
        bool full = k < ring.len;
        std::string label = full && k < ring.elements.size() ? ring.elements[k] : "";
        SceneNode n = makeNode({}, full ? NodeStyle::RingSlotFull : NodeStyle::RingSlot,
                               label.empty() ? std::string(full ? "?" : "") : label,
                               "[" + std::to_string(i) + "]");
        n.w = slot.w;
        n.h = 34;
        n.x = p.x[i];
        n.y = p.y[i];
        if (i == outSlot)
            n.badge = 0; // drawn as "out"
        scene.nodes.push_back(n);
    }
    scene.arcs = p.arcs;
    std::string inName = ring.freeRunning ? "in" : "head",
                outName = ring.freeRunning ? "out" : "tail";
    SceneNode centre =
        makeNode(r.focus, NodeStyle::Note, scene.title,
                 std::to_string(ring.len) + "/" + std::to_string(ring.size) + " used");
    scene.nodes.push_back(centre);
    auto ci = static_cast<std::uint32_t>(scene.nodes.size() - 1);
    scene.addEdge(ci, static_cast<std::uint32_t>(inSlot), EdgeStyle::Ready,
                  inName + " = " + std::to_string(ring.in));
    scene.addEdge(ci, static_cast<std::uint32_t>(outSlot), EdgeStyle::Ovf,
                  outName + " = " + std::to_string(ring.out));
    return scene;
}

} // namespace waitscope::app
