// Test helper: a small but complete epoll topology written out by hand for unit tests of
// queries (process 83 with an epoll of three epitems over eventfds, a thread asleep in
// epoll_wait, a nested epoll, a workqueue pool and a kfifo).
#pragma once

#include "doc_builder.hpp"

namespace waitscope::model::test {

constexpr std::uint64_t Ep = 0xffff888004a2c300, Ep2 = 0xffff888004a2c400;
constexpr std::uint64_t ItemA = 0xffff888004a1b000, ItemB = 0xffff888004a1b100,
                        ItemC = 0xffff888004a1b200, ItemN = 0xffff888004a1b300;
constexpr std::uint64_t Leader = 0xffff888003b0c000, Thread = 0xffff888003b0d000;

inline json topology() {
    std::vector<json> o;
    json leader = obj("task", Leader);
    leader.update({{"pid", 83},
                   {"tgid", 83},
                   {"comm", "epdemo"},
                   {"state", "S"},
                   {"files", idOf("files", 0xf11e5)},
                   {"waiting_on", json::array()}});
    json thread = obj("task", Thread);
    thread.update({{"pid", 85},
                   {"tgid", 83},
                   {"comm", "epdemo-waiter"},
                   {"state", "S"},
                   {"files", idOf("files", 0xf11e5)},
                   {"waiting_on", {idOf("wait_entry", 0xc900)}}});
    json files = obj("files", 0xf11e5);
    files["fds"] = json::array();
    o.insert(o.end(), {leader, thread});

    json ep = obj("eventpoll", Ep);
    ep.update({{"owners", {{{"pid", 83}, {"fd", 9}}}},
               {"ready", {idOf("epitem", ItemC), idOf("epitem", ItemA)}},
               {"ovflist", json::array()},
               {"wq", {idOf("wait_entry", 0xc900)}},
               {"poll_wait", json::array()},
               {"wq_head", idOf("wait_queue_head", Ep + 8)},
               {"rbtree",
                {{"root", idOf("epitem", ItemB)},
                 {"count", 3},
                 {"inorder", {idOf("epitem", ItemA), idOf("epitem", ItemB), idOf("epitem", ItemC)}},
                 {"leftmost", idOf("epitem", ItemA)}}}});
    json epHead = obj("wait_queue_head", Ep + 8);
    epHead.update({{"entries", {idOf("wait_entry", 0xc900)}},
                   {"container", {{"id", idOf("eventpoll", Ep)}, {"field", "wq"}}}});
    json waiter = obj("wait_entry", 0xc900);
    waiter.update({{"func", "ep_autoremove_wake_function"},
                   {"flags", 1},
                   {"owner", idOf("task", Thread)},
                   {"owner_kind", "task"},
                   {"head", idOf("wait_queue_head", Ep + 8)}});
    o.insert(o.end(), {ep, epHead, waiter});

    const std::uint64_t items[] = {ItemA, ItemB, ItemC};
    const char* colors[] = {"red", "black", "red"};
    for (int i = 0; i < 3; ++i) {
        std::uint64_t file = 0xffff888005000000 + 0x100 * static_cast<std::uint64_t>(i);
        std::uint64_t efd = 0xffff888006000000 + 0x100 * static_cast<std::uint64_t>(i);
        std::uint64_t entry = 0xffff888007000000 + 0x100 * static_cast<std::uint64_t>(i);
        json it = obj("epitem", items[i]);
        it.update({{"ep", idOf("eventpoll", Ep)},
                   {"tfd", 3 + i},
                   {"events", 0x19},
                   {"data", i},
                   {"file", idOf("file", file)},
                   {"color", colors[i]},
                   {"on_ready", i != 1},
                   {"on_ovflist", false},
                   {"rb",
                    {{"parent", i == 1 ? json(nullptr) : json(idOf("epitem", ItemB))},
                     {"left", i == 1 ? json(idOf("epitem", ItemA)) : json(nullptr)},
                     {"right", i == 1 ? json(idOf("epitem", ItemC)) : json(nullptr)},
                     {"index", i}}},
                   {"pwqs",
                    {{{"entry", idOf("wait_entry", entry)},
                      {"head", idOf("wait_queue_head", efd + 8)}}}}});
        json f = obj("file", file);
        f.update({{"kind", "eventfd"},
                  {"name", "anon_inode:[eventfd]"},
                  {"private", idOf("eventfd", efd)}});
        json e = obj("eventfd", efd);
        e.update({{"count", i != 1 ? 1 : 0}, {"wqh", idOf("wait_queue_head", efd + 8)}});
        json h = obj("wait_queue_head", efd + 8);
        h.update({{"entries", {idOf("wait_entry", entry)}},
                  {"container", {{"id", idOf("eventfd", efd)}, {"field", "wqh"}}}});
        json w = obj("wait_entry", entry);
        w.update({{"func", "ep_poll_callback"},
                  {"flags", 0},
                  {"owner", idOf("epitem", items[i])},
                  {"owner_kind", "epitem"},
                  {"head", idOf("wait_queue_head", efd + 8)}});
        files["fds"].push_back({{"fd", 3 + i}, {"file", idOf("file", file)}});
        o.insert(o.end(), {it, f, e, h, w});
    }
    // fd 9: the eventpoll; fd 10: a second epoll watching the first (nested).
    json epFile = obj("file", 0xffff888005100000);
    epFile.update(
        {{"kind", "eventpoll"}, {"name", "[eventpoll]"}, {"private", idOf("eventpoll", Ep)}});
    json ep2File = obj("file", 0xffff888005200000);
    ep2File.update(
        {{"kind", "eventpoll"}, {"name", "[eventpoll]"}, {"private", idOf("eventpoll", Ep2)}});
    files["fds"].push_back({{"fd", 9}, {"file", idOf("file", 0xffff888005100000)}});
    files["fds"].push_back({{"fd", 10}, {"file", idOf("file", 0xffff888005200000)}});
    json ep2 = obj("eventpoll", Ep2);
    ep2.update(
        {{"owners", {{{"pid", 83}, {"fd", 10}}}},
         {"ready", json::array()},
         {"ovflist", json::array()},
         {"wq", json::array()},
         {"poll_wait", json::array()},
         {"rbtree",
          {{"root", idOf("epitem", ItemN)}, {"count", 1}, {"inorder", {idOf("epitem", ItemN)}}}}});
    json nested = obj("epitem", ItemN);
    nested.update(
        {{"ep", idOf("eventpoll", Ep2)},
         {"tfd", 9},
         {"events", 1},
         {"data", 0},
         {"file", idOf("file", 0xffff888005100000)},
         {"color", "black"},
         {"nested_ep", idOf("eventpoll", Ep)},
         {"rb", {{"parent", nullptr}, {"left", nullptr}, {"right", nullptr}, {"index", 0}}}});
    o.insert(o.end(), {epFile, ep2File, ep2, nested, files});

    // A worker pool with a busy worker, and a kfifo.
    json pool = obj("worker_pool", 0xffff888008000000);
    pool.update({{"pool_id", 2},
                 {"cpu", -1},
                 {"nice", 0},
                 {"workers", {idOf("worker", 0xffff888008100000)}},
                 {"busy", {idOf("worker", 0xffff888008100000)}},
                 {"worklist", {idOf("work", 0xffffffffc0001000)}}});
    json worker = obj("worker", 0xffff888008100000);
    worker.update({{"task", idOf("task", 0xffff888003c00000)},
                   {"pool", pool["id"]},
                   {"current_func", "vpoll_work_fn"}});
    json work = obj("work", 0xffffffffc0001000);
    work.update({{"func", "vpoll_work_fn"}, {"pending", true}, {"list", "worklist"}});
    json fifo = obj("kfifo", 0xffffffffc0002000);
    fifo.update({{"name", "vpoll_fifo"},
                 {"in", 78},
                 {"out", 62},
                 {"mask", 15},
                 {"size", 16},
                 {"esize", 4},
                 {"len", 16},
                 {"elements", {63, 64, 65}}});
    o.insert(o.end(), {pool, worker, work, fifo});
    return doc(o);
}

} // namespace waitscope::model::test
