#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check waitscope snapshots against the kernel's own view.

Usage: oracle.py RUN_DIR [--snapshot-suffix .json]

RUN_DIR is the output of ``waitscope lab run PROGRAM --out RUN_DIR``: the
program's ``stdout.txt``, ``run.json`` (the marks, in order) and one snapshot
``<mark>.json`` per mark. Before each ``WAITSCOPE_MARK`` the lab programs print
what the kernel says (``fdinfo <fd> <line>`` from /proc/self/fdinfo) and what
they set up (``WAITSCOPE_EXPECT <json>``, see docs/lab-programs.md). This
script checks, for every mark:

- the snapshot's structure: ids unique and sorted, every link resolves, every
  eventpoll's rbtree is a red-black binary search tree on (file, fd) whose
  in-order list, parent links and indices agree, the ready list only holds the
  eventpoll's own epitems, and ``on_ready`` says the same;
- for every epoll fd the program printed: the epitems' (tfd, events, data)
  equal fdinfo's, in fdinfo's order (which is the rbtree's in-order walk);
- every expectation: ready lists (in order where the program knows it), the
  waiters on ep->wq and ep->poll_wait, nested epolls, the entries on any
  file's wait queue, counts, and simrupt's buffers and workers.

Exits 0 when every check passed, 1 otherwise, and prints each failure.
"""

import argparse
import collections
import json
import os
import re
import sys

FDINFO_ITEM = re.compile(r"tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)\s+data:\s*([0-9a-f]+)")
WQ_FLAG_EXCLUSIVE = 0x1


class Failure(Exception):
    pass


class Segment:
    """The program's output up to one mark."""

    def __init__(self, mark):
        self.mark = mark
        self.fdinfo = collections.OrderedDict()  # epfd -> [(tfd, events, data)]
        self.expects = []


def parse_stdout(path, marks):
    segments, cur = [], Segment(None)
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("fdinfo "):
                _, fd, rest = line.split(" ", 2)
                items = cur.fdinfo.setdefault(int(fd), [])
                m = FDINFO_ITEM.search(rest)
                if m:
                    items.append((int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16)))
            elif line.startswith("WAITSCOPE_EXPECT "):
                cur.expects.append(json.loads(line[len("WAITSCOPE_EXPECT ") :]))
            elif line.startswith("WAITSCOPE_MARK "):
                if len(segments) >= len(marks):
                    raise Failure(f"{path}: more marks printed than run.json records")
                cur.mark = marks[len(segments)]
                segments.append(cur)
                cur = Segment(None)
    return segments


class Snapshot:
    """A snapshot with the lookups the checks need."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.path = path
        self.objects = self.doc["objects"]
        self.by_id = {}
        for o in self.objects:
            if o["id"] in self.by_id:
                raise Failure(f"duplicate id {o['id']}")
            self.by_id[o["id"]] = o
        self.by_type = collections.defaultdict(list)
        for o in self.objects:
            self.by_type[o["type"]].append(o)

    def get(self, oid, what="object"):
        if oid not in self.by_id:
            raise Failure(f"{what} {oid} is not in the snapshot")
        return self.by_id[oid]

    def task(self, pid):
        tasks = [t for t in self.by_type["task"] if t.get("pid") == pid]
        if not tasks:
            raise Failure(f"no task with pid {pid}")
        return tasks[0]

    def file_of(self, pid, fd):
        task = self.task(pid)
        files = self.get(task.get("files"), "files of pid %d" % pid)
        for entry in files.get("fds", []):
            if entry["fd"] == fd:
                return self.get(entry["file"], f"file of fd {fd}")
        raise Failure(f"pid {pid} has no fd {fd} in the snapshot")

    def eventpoll(self, pid, epfd):
        found = [
            e
            for e in self.by_type["eventpoll"]
            if {"pid": pid, "fd": epfd} in [{"pid": o["pid"], "fd": o["fd"]} for o in e["owners"]]
        ]
        if len(found) != 1:
            raise Failure(f"{len(found)} eventpolls owned by pid {pid} fd {epfd}")
        return found[0]

    def epitems(self, ep):
        return [o for o in self.by_type["epitem"] if o["ep"] == ep["id"]]

    def epfd_of(self, ep, pid):
        fds = sorted(o["fd"] for o in ep["owners"] if o["pid"] == pid)
        return fds[0] if fds else None

    def tid_of(self, task_id):
        return self.get(task_id, "task")["pid"]

    def describe_entry(self, entry_id, pid):
        """(func, who, exclusive) of a wait entry: who is ('tid', n) or ('epfd', n)."""
        w = self.get(entry_id, "wait_entry")
        exclusive = bool(w["flags"] & WQ_FLAG_EXCLUSIVE)
        owner = w.get("owner")
        who = None
        if owner is not None:
            o = self.get(owner, "owner")
            if o["type"] == "task":
                who = ("tid", o["pid"])
            elif o["type"] == "epitem":
                who = ("epfd", self.epfd_of(self.get(o["ep"], "eventpoll"), pid))
        return (w["func"], who, exclusive)


def expect_key(e):
    who = ("tid", e["tid"]) if "tid" in e else ("epfd", e["epfd"]) if "epfd" in e else None
    return (e["func"], who, e.get("exclusive"))


def match_entries(got, want, what):
    """Multiset match; func "*" and exclusive None in `want` match anything."""
    left = list(got)
    for w in want:
        for i, g in enumerate(left):
            if (w[0] in ("*", g[0])) and w[1] == g[1] and (w[2] is None or w[2] == g[2]):
                del left[i]
                break
        else:
            raise Failure(f"{what}: expected {w}, have {got}")
    if left:
        raise Failure(f"{what}: unexpected {left} (expected {want})")


# [checks] structure


def check_structure(snap):
    ids = [o["id"] for o in snap.objects]
    if ids != sorted(ids):
        raise Failure("objects are not sorted by id")
    if snap.doc.get("schema") != "waitscope.snapshot/1":
        raise Failure(f"schema is {snap.doc.get('schema')!r}")
    for o in snap.objects:
        kind, _, addr = o["id"].partition(":")
        if kind != o["type"] or addr != o["addr"]:
            raise Failure(f"id {o['id']} does not match type {o['type']} / addr {o['addr']}")
    for ep in snap.by_type["eventpoll"]:
        check_eventpoll(snap, ep)


def check_eventpoll(snap, ep):
    name = ep["id"]
    mine = {e["id"] for e in snap.epitems(ep)}
    if "partial" in ep:
        return
    tree = ep["rbtree"]
    inorder = tree["inorder"]
    if set(inorder) != mine or len(inorder) != len(mine) or tree["count"] != len(mine):
        raise Failure(f"{name}: rbtree in-order list does not hold exactly its epitems")
    for i, eid in enumerate(inorder):
        if snap.get(eid)["rb"]["index"] != i:
            raise Failure(f"{eid}: rb.index is not its in-order position {i}")
    keys = []
    for eid in inorder:
        epi = snap.get(eid)
        keys.append((int(snap.get(epi["file"])["addr"], 16), epi["tfd"]))
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise Failure(f"{name}: in-order keys (file, fd) are not strictly increasing")
    root = tree["root"]
    if root is None:
        if inorder:
            raise Failure(f"{name}: epitems but no root")
    else:
        if snap.get(root)["rb"]["parent"] is not None:
            raise Failure(f"{name}: root has a parent")
        if snap.get(root)["color"] != "black":
            raise Failure(f"{name}: root is red")
        walked = []
        black_height(snap, root, None, walked)
        if walked != inorder:
            raise Failure(f"{name}: walking the rb links does not give the in-order list")
    for eid in ep["ready"]:
        if eid not in mine:
            raise Failure(f"{name}: ready list holds {eid}, not one of its epitems")
    if len(set(ep["ready"])) != len(ep["ready"]):
        raise Failure(f"{name}: an epitem is twice on the ready list")
    for eid in mine:
        if snap.get(eid)["on_ready"] != (eid in ep["ready"]):
            raise Failure(f"{eid}: on_ready disagrees with its eventpoll's ready list")
    if ep["ovflist"] and not ep.get("ovflist_active"):
        raise Failure(f"{name}: ovflist entries while the ovflist is inactive")


def black_height(snap, nid, parent, out, depth=0):
    if depth > 128:
        raise Failure("rbtree deeper than 128")
    if nid is None:
        return 1
    node = snap.get(nid, "rb node")
    rb = node["rb"]
    if rb["parent"] != parent:
        raise Failure(f"{nid}: parent link {rb['parent']} but reached from {parent}")
    if node["color"] == "red":
        for child in (rb["left"], rb["right"]):
            if child is not None and snap.get(child)["color"] == "red":
                raise Failure(f"{nid}: red node with a red child")
    left = black_height(snap, rb["left"], nid, out, depth + 1)
    out.append(nid)
    right = black_height(snap, rb["right"], nid, out, depth + 1)
    if left != right:
        raise Failure(f"{nid}: black heights differ ({left} vs {right})")
    return left + (node["color"] == "black")


# [checks] against the program's view


def check_fdinfo(snap, pid, epfd, items):
    ep = snap.eventpoll(pid, epfd)
    got = [
        (snap.get(e)["tfd"], snap.get(e)["events"], snap.get(e)["data"])
        for e in ep["rbtree"]["inorder"]
    ]
    if got != items:
        raise Failure(f"epoll fd {epfd}: epitems {got}, fdinfo says {items}")


def check_expect(snap, e):
    kind = e["kind"]
    pid = e["pid"] if "pid" in e else None
    if kind == "epoll":
        ep = snap.eventpoll(pid, e["epfd"])
        what = f"epoll fd {e['epfd']}"
        ready = [snap.get(i)["tfd"] for i in ep["ready"]]
        if "ready_count" in e and len(ready) != e["ready_count"]:
            raise Failure(f"{what}: {len(ready)} ready, expected {e['ready_count']}")
        if "ready" not in e:
            pass
        elif e.get("ready_order", "exact") == "exact":
            if ready != e["ready"]:
                raise Failure(f"{what}: ready {ready}, expected {e['ready']}")
        elif sorted(ready) != sorted(e["ready"]):
            raise Failure(f"{what}: ready {sorted(ready)}, expected {sorted(e['ready'])}")
        if "wq" in e:
            got = [snap.describe_entry(i, pid) for i in ep["wq"]]
            match_entries(got, [expect_key(w) for w in e["wq"]], what + " wq")
        if "poll_wait" in e:
            got = [snap.describe_entry(i, pid) for i in ep["poll_wait"]]
            match_entries(got, [expect_key(w) for w in e["poll_wait"]], what + " poll_wait")
        if "nested" in e:
            got = sorted(snap.epfd_of(snap.get(n), pid) for n in ep.get("nested", []))
            if got != sorted(e["nested"]):
                raise Failure(f"{what}: nested {got}, expected {sorted(e['nested'])}")
        if "owners" in e:
            got = sorted([o["pid"], o["fd"]] for o in ep["owners"])
            if got != sorted(e["owners"]):
                raise Failure(f"{what}: owners {got}, expected {sorted(e['owners'])}")
        if "items" in e and ep["rbtree"]["count"] != e["items"]:
            raise Failure(f"{what}: {ep['rbtree']['count']} epitems, expected {e['items']}")
    elif kind == "waitq":
        head = file_head(snap, pid, e["fd"], e.get("head"))
        got = [snap.describe_entry(i, pid) for i in head["entries"]]
        match_entries(got, [expect_key(w) for w in e["entries"]], f"fd {e['fd']} wait queue")
    elif kind == "simrupt":
        check_simrupt(snap, e)
    elif kind == "workers":
        check_workers(snap, e)
    else:
        raise Failure(f"unknown expectation kind {kind!r}")


def file_head(snap, pid, fd, field):
    f = snap.file_of(pid, fd)
    owner = f.get("private", f["id"])
    heads = [
        h
        for h in snap.by_type["wait_queue_head"]
        if (h.get("container") or {}).get("id") in (owner, f["id"])
        and (field is None or h["container"].get("field") == field)
    ]
    if len(heads) != 1:
        raise Failure(f"fd {fd} ({f.get('kind')}): {len(heads)} wait queue heads match {field}")
    return heads[0]


def check_simrupt(snap, e):
    dev = snap.by_type["simrupt"]
    if len(dev) != 1:
        raise Failure(f"{len(dev)} simrupt objects")
    dev = dev[0]
    fifo = snap.get(dev["fifo"], "simrupt kfifo")
    circ = snap.get(dev["circ"], "simrupt circ_buf")
    want = e["fifo"]
    got = {"in": fifo["in"], "out": fifo["out"], "size": fifo["size"]}
    if got != {k: want[k] for k in got}:
        raise Failure(f"simrupt kfifo {got}, module says {want}")
    if "first" in want:
        n = (want["in"] - want["out"]) & 0xFFFFFFFF
        cap = snap.doc.get("limits", {}).get("max_kfifo_elements", n)
        expected = [(want["first"] + i) & 0xFFFFFFFF for i in range(min(n, cap))]
        if fifo.get("elements") != expected:
            raise Failure(f"simrupt kfifo elements {fifo.get('elements')}, expected {expected}")
    want = e["circ"]
    got = {"head": circ["head"], "tail": circ["tail"], "size": circ["size"]}
    if got != want:
        raise Failure(f"simrupt circ_buf {got}, module says {want}")
    if "work" in e:
        work = snap.get(dev["work"], "simrupt_work")
        want = e["work"]
        if work["pending"] != want["pending"]:
            raise Failure(f"simrupt_work pending {work['pending']}, module says {want['pending']}")
        if "list" in want and work.get("list") != want["list"]:
            raise Failure(f"simrupt_work on list {work.get('list')}, expected {want['list']}")
        running = [w for w in snap.by_type["worker"] if w.get("current_func") == "simrupt_work_fn"]
        if bool(running) != want["running"]:
            raise Failure(f"{len(running)} workers run simrupt_work_fn, module says {want}")
    if "pool_ids" in e:
        wq = snap.get(dev["wq"], "simruptd workqueue")
        got = sorted({snap.get(snap.get(p)["pool"])["pool_id"] for p in wq["pwqs"]})
        if got != sorted(e["pool_ids"]):
            raise Failure(f"simruptd pools {got}, sysfs pool_ids says {sorted(e['pool_ids'])}")
    if "rate_work" in e:
        work = snap.get(dev["rate_work"], "simrupt_rate_work")
        if work.get("func") != "simrupt_rate_fn" or "delayed" not in work:
            raise Failure(f"simrupt_rate_work is not a pending delayed work: {work}")


def check_workers(snap, e):
    """Workers per pool against the kworker threads the guest listed."""
    pools = {}
    for pool in snap.by_type["worker_pool"]:
        pools[pool["pool_id"]] = pool
    for name, count in e["pools"].items():
        # "u<id>": unbound pool id; "<cpu>" / "<cpu>H": per-cpu normal / high priority
        if name.startswith("u"):
            pool = pools.get(int(name[1:]))
        else:
            cpu, high = int(name.rstrip("H")), name.endswith("H")
            cands = [
                p
                for p in pools.values()
                if p["cpu"] == cpu and (p.get("nice", 0) < 0) == high and not p.get("bh")
            ]
            pool = cands[0] if len(cands) == 1 else None
        if pool is None:
            raise Failure(f"no worker pool for kworker/{name}:*")
        if pool["nr_workers"] != count or len(pool["workers"]) != count:
            raise Failure(
                f"pool {name}: nr_workers {pool['nr_workers']}, {len(pool['workers'])} listed, "
                f"the guest has {count} kworker/{name}:* threads"
            )


def check_run(run_dir, suffix):
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
        marks = [m["name"] for m in json.load(f)["marks"]]
    segments = parse_stdout(os.path.join(run_dir, "stdout.txt"), marks)
    failures = checks = 0
    for seg in segments:
        path = os.path.join(run_dir, seg.mark + suffix)
        try:
            snap = Snapshot(path)
            check_structure(snap)
        except (Failure, OSError, KeyError, ValueError) as err:
            print(f"FAIL {seg.mark}: {type(err).__name__}: {err}")
            failures += 1
            continue
        checks += 1
        pids = {e["pid"] for e in seg.expects if "pid" in e}
        for epfd, items in seg.fdinfo.items():
            checks += 1
            try:
                if len(pids) != 1:
                    raise Failure(f"fdinfo for fd {epfd} but {len(pids)} pids in the expectations")
                check_fdinfo(snap, next(iter(pids)), epfd, items)
            except (Failure, KeyError) as err:
                print(f"FAIL {seg.mark}: {type(err).__name__}: {err}")
                failures += 1
        for e in seg.expects:
            checks += 1
            try:
                check_expect(snap, e)
            except (Failure, KeyError) as err:
                print(
                    f"FAIL {seg.mark}: {type(err).__name__}: {err}\n     expected {json.dumps(e)}"
                )
                failures += 1
    print(f"oracle: {run_dir}: {len(segments)} marks, {checks} checks, {failures} failed")
    return failures == 0 and checks > 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", nargs="+")
    ap.add_argument("--snapshot-suffix", default=".json")
    args = ap.parse_args()
    ok = all([check_run(d, args.snapshot_suffix) for d in args.run_dir])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
