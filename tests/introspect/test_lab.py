# SPDX-License-Identifier: MIT
"""
Introspection in the lab VM (label "lab"), on the kernel given by --kernel:
snapshots at marks against what the programs printed (fdinfo, their own
expectations, the modules' own statistics), red-black and link invariants,
and the same answers from the live read, the ELF dumps and the kdump of one
pause.
"""

import glob
import os
import shutil
import struct
import subprocess

import pytest

import snapcheck as sc
from conftest import BUILD

pytestmark = pytest.mark.lab


def _run(waitscope, kernel, workdir, name, program, *args, opts=()):
    out = os.path.join(workdir, name)
    shutil.rmtree(out, ignore_errors=True)
    p = sc.lab_run(waitscope, kernel, out, program, *args, opts=opts)
    assert p.returncode == 0, f"lab run {program} failed ({p.returncode}): {p.stderr[-2000:]}"
    return out


def _flatten(src, dst):
    """Write ``src`` (a plain kdump) as QEMU 7.2 does: flattened, utsname empty."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    for field in (0, 2, 3):  # sysname, release, version of struct new_utsname
        data[12 + 65 * field : 12 + 65 * (field + 1)] = bytes(65)
    with open(dst, "wb") as f:
        f.write((b"makedumpfile".ljust(16, b"\0") + struct.pack(">qq", 1, 1)).ljust(4096, b"\0"))
        step = 1 << 20
        for off in range(0, len(data), step):
            chunk = data[off : off + step]
            f.write(struct.pack(">qq", off, len(chunk)))
            f.write(chunk)
        f.write(struct.pack(">qq", -1, -1))


def _tasks_by_tid(ix):
    return {o["pid"]: o for o in ix.values() if o["type"] == "task" and "pid" in o}


def _entry_view(ix, wid):
    w = ix[wid]
    return w["func"], "EXCLUSIVE" in w.get("flag_names", []), w.get("owner")


def test_epdemo(waitscope, kernel, workdir):
    """Every kind of epoll and wait queue state against the program's own view,
    and the same answers from live, ELF (paging on/off) and kdump reads of one pause."""
    out = _run(
        waitscope,
        kernel,
        workdir,
        "epdemo",
        "epdemo",
        opts=["--vmcore", "--vmcore-format", "elf,elf-phys,kdump"],
    )
    live = sc.load(os.path.join(out, "setup.json"))
    fdinfo, expects = sc.parse_stdout(os.path.join(out, "stdout.txt"))
    ex = expects[0]
    pid = ex["pid"]
    ix = sc.index(live)
    problems = sc.validate_schema(live) + sc.check_links(live) + sc.check_rbtrees(live)
    problems += sc.check_fdinfo(live, pid, fdinfo)
    assert live["capture"]["source"] == "lab" and live["capture"]["pause_ms"] > 0
    for cap in (
        "epoll",
        "waitqueues",
        "tasks",
        "modules.vpoll",
        "modules.simrupt",
        "kfifo",
        "vpoll_ring",
    ):
        if live["capabilities"][cap]["status"] != "ok":
            problems.append(f"capability {cap}: {live['capabilities'][cap]}")
    tasks = _tasks_by_tid(ix)
    tid_of = {o["id"]: o["pid"] for o in tasks.values()}
    # file fds of the program -> file ids
    files_obj = ix[tasks[pid]["files"]]
    file_of_fd = {e["fd"]: e["file"] for e in files_obj["fds"]}
    for epx in ex["eps"]:
        ep = sc.eventpoll_of(live, pid, epx["epfd"])
        if ep is None:
            problems.append(f"epoll fd {epx['epfd']} missing")
            continue
        ready = [ix[i]["tfd"] for i in ep["ready"]]
        if ready != epx["ready"]:
            problems.append(
                f"epfd {epx['epfd']}: ready {ready} != {epx['ready']} (made ready in that order)"
            )
        for i in ep["rbtree"]["inorder"]:
            if ix[i]["on_ready"] != (i in ep["ready"]):
                problems.append(f"{i}: on_ready disagrees with the ready list")
        waiters = sorted(
            (tid_of.get(_entry_view(ix, w)[2]), _entry_view(ix, w)[0], _entry_view(ix, w)[1])
            for w in ep["wq"]
        )
        want = sorted((w["tid"], w["func"], w["exclusive"]) for w in epx["wq_waiters"])
        if waiters != want:
            problems.append(f"epfd {epx['epfd']}: wq waiters {waiters} != {want}")
        pw = []
        for w in ep["poll_wait"]:
            func, _, owner = _entry_view(ix, w)
            owner_ep = ix.get(owner, {}).get("ep")
            owner_fd = next(
                (o["fd"] for o in ix.get(owner_ep, {}).get("owners", []) if o["pid"] == pid), None
            )
            pw.append({"func": func, "epfd": owner_fd})
        if pw != epx["poll_wait"]:
            problems.append(f"epfd {epx['epfd']}: poll_wait {pw} != {epx['poll_wait']}")
        if "nested" in epx:
            nested_fds = sorted(
                next(o["fd"] for o in ix[n]["owners"] if o["pid"] == pid) for n in ep["nested"]
            )
            if nested_fds != sorted(epx["nested"]):
                problems.append(f"epfd {epx['epfd']}: nested {nested_fds} != {epx['nested']}")
            for i in ep["rbtree"]["inorder"]:
                if ix[i]["tfd"] in epx["nested"] and not ix[i].get("nested_ep"):
                    problems.append(f"{i}: watches an epoll but has no nested_ep")

    def head_entries(fd, field):
        f = ix[file_of_fd[fd]]
        priv = ix[f["private"]]
        return [ix[w] for w in ix[priv[field]]["entries"]]

    # poll()/select() sleepers: a pollwake entry owned by the thread on each polled file
    for pw in ex["pollwake"]:
        for fd in pw["fds"]:
            f = ix[file_of_fd[fd]]
            field = {"pipe": "rd_wait", "eventfd": "wqh", "socket": "wq"}[f["kind"]]
            owners = [
                tid_of.get(w["owner"]) for w in head_entries(fd, field) if w["func"] == "pollwake"
            ]
            if pw["tid"] not in owners:
                problems.append(f"fd {fd}: no pollwake entry of tid {pw['tid']} (got {owners})")
    for tw in ex["task_waiters"]:
        if tw["fd"] < 0:
            continue
        entries = (
            head_entries(tw["fd"], "rx_wait")
            if ix[file_of_fd[tw["fd"]]]["kind"] == "simrupt"
            else []
        )
        got = [
            (tid_of.get(w["owner"]), w["func"], "EXCLUSIVE" in w["flag_names"])
            for w in entries
            if w["owner_kind"] == "task"
        ]
        if (tw["tid"], tw["func"], tw["exclusive"]) not in got:
            problems.append(f"fd {tw['fd']}: task waiter {tw} not in {got}")
        task = tasks[tw["tid"]]
        if not task["waiting_on"]:
            problems.append(f"tid {tw['tid']}: waiting_on is empty")
    for eh in ex["exclusive_hooks"]:
        entries = head_entries(eh["fd"], "wqh")
        excl_eps = sorted(
            next(o["fd"] for o in ix[ix[w["owner"]]["ep"]]["owners"] if o["pid"] == pid)
            for w in entries
            if w["func"] == "ep_poll_callback" and "EXCLUSIVE" in w["flag_names"]
        )
        if excl_eps != sorted(eh["epfds"]):
            problems.append(
                f"fd {eh['fd']}: EPOLLEXCLUSIVE hooks of epfds {excl_eps} != {eh['epfds']}"
            )

    # The same pause, three dump formats: identical objects.
    for fmt in ("elf", "elf-phys", "kdump"):
        core = os.path.join(out, f"setup.{fmt}.vmcore")
        js = os.path.join(out, f"setup.{fmt}.json")
        p = sc.dump(waitscope, "--vmcore", core, "--no-stacks", "--out", js)
        if p.returncode != 0:
            problems.append(f"dump {fmt}: {p.stderr.decode()[-500:]}")
            continue
        doc = sc.load(js)
        if (
            doc["capture"]["format"]
            != {"elf": "elf", "elf-phys": "elf-phys", "kdump": "kdump"}[fmt]
        ):
            problems.append(f"{fmt}: format recorded as {doc['capture']['format']}")
        problems += sc.diff(live, doc, f"live vs {fmt}")

    # QEMU < 8.2's raw kdump output: makedumpfile's flattened stream with an
    # empty utsname (the lab fixes its own dumps; users' files are fixed up
    # into the cache, never in place).
    kd = os.path.join(out, "setup.kdump.vmcore")
    flat = os.path.join(out, "setup.kdump-flat.vmcore")
    if os.path.exists(kd):
        _flatten(kd, flat)
        before = os.stat(flat).st_mtime_ns, os.path.getsize(flat)
        cache = os.path.join(out, "cache")
        env = dict(os.environ, WAITSCOPE_CACHE_DIR=cache)
        js = os.path.join(out, "setup.kdump-flat.json")
        p = subprocess.run(
            [waitscope, "dump", "--vmcore", flat, "--no-stacks", "--out", js],
            capture_output=True,
            env=env,
        )
        if p.returncode != 0:
            problems.append(f"dump flattened kdump: {p.stderr.decode()[-500:]}")
        else:
            doc = sc.load(js)
            if doc["capture"]["format"] != "kdump-flat":
                problems.append(f"flattened kdump recorded as {doc['capture']['format']}")
            problems += sc.diff(live, doc, "live vs flattened kdump")
        if (os.stat(flat).st_mtime_ns, os.path.getsize(flat)) != before:
            problems.append("the flattened kdump was modified in place")
        shutil.rmtree(cache, ignore_errors=True)

    # Bulk walkers against a per-member drgn walk of the same dump.
    from waitscope_introspect.cli import build_parser, options_from_args
    from waitscope_introspect.reference import reference_walk, snapshot_view
    from waitscope_introspect.session import Session

    doc = sc.load(os.path.join(out, "setup.elf.json"))
    args = [
        "--vmcore",
        os.path.join(out, "setup.elf.vmcore"),
        "--lab-dir",
        os.path.join(BUILD, "lab"),
    ]
    for m in doc["modules"]:
        args += ["--module", m["path"]]
    s = Session(options_from_args(build_parser().parse_args(args)))
    ref = reference_walk(s.prog, [pid])
    view = snapshot_view(doc, ref["eps"].keys())
    for k in ("eps", "files", "heads"):
        if ref[k] != view[k]:
            problems.append(f"reference walk and snapshot disagree on {k}")
    s.close()
    for f in glob.glob(os.path.join(out, "*.vmcore")):
        os.unlink(f)
    assert not problems, "\n".join(problems)


def test_epmany(waitscope, kernel, workdir):
    """3000 epitems: fdinfo, ready list order, tree invariants, an epoll_wait sleeper."""
    out = _run(waitscope, kernel, workdir, "epmany", "epmany", "3000", "--fdinfo")
    doc = sc.load(os.path.join(out, "setup.json"))
    fdinfo, expects = sc.parse_stdout(os.path.join(out, "stdout.txt"))
    ex = expects[0]
    ix = sc.index(doc)
    problems = sc.validate_schema(doc) + sc.check_rbtrees(doc) + sc.check_links(doc)
    problems += sc.check_fdinfo(doc, ex["pid"], fdinfo)
    ep = sc.eventpoll_of(doc, ex["pid"], ex["epfd"])
    ready = [ix[i]["data"] for i in ep["ready"]]
    want = [i for i in range(ex["n"]) if ex["ready_every"] and i % ex["ready_every"] == 0]
    if ready != want:
        problems.append(
            f"ready data {ready[:10]}... ({len(ready)}) != {want[:10]}... ({len(want)})"
        )
    idle = sc.eventpoll_of(doc, ex["pid"], ex["idle_epfd"])
    got = [(ix[ix[w]["owner"]]["pid"], ix[w]["func"], ix[w]["flag_names"]) for w in idle["wq"]]
    if got != [(ex["waiter_tid"], "ep_autoremove_wake_function", ["EXCLUSIVE"])]:
        problems.append(f"idle epoll waiters {got}")
    assert not problems, "\n".join(problems)


def test_modules(waitscope, kernel, workdir):
    """simrupt's kfifo, circ_buf, statistics and workqueue, the vpoll flight
    recorder and the worker pools against what the modules and /proc report."""
    out = _run(waitscope, kernel, workdir, "modsnap", "modsnap")
    doc = sc.load(os.path.join(out, "quiet.json"))
    _, expects = sc.parse_stdout(os.path.join(out, "stdout.txt"))
    ex = expects[0]
    ix = sc.index(doc)
    problems = sc.validate_schema(doc) + sc.check_links(doc)
    sim = next(o for o in doc["objects"] if o["type"] == "simrupt")
    fifo, circ = ix[sim["fifo"]], ix[sim["circ"]]
    st = ex["simrupt"]
    for k in ("produced", "dropped_circ", "dropped_fifo", "delivered", "works"):
        if sim["stats"][k] != st[k]:
            problems.append(f"simrupt stats {k}: {sim['stats'][k]} != {st[k]}")
    if (fifo["in"], fifo["out"], fifo["size"]) != (st["fifo_in"], st["fifo_out"], st["fifo_size"]):
        problems.append(f"kfifo in/out/size {fifo['in']}/{fifo['out']}/{fifo['size']} != {st}")
    if fifo["len"] != st["fifo_in"] - st["fifo_out"] or fifo["esize"] != 4:
        problems.append(f"kfifo len/esize {fifo['len']}/{fifo['esize']}")
    want = list(range(ex["fifo_first"], ex["fifo_first"] + fifo["len"]))
    if fifo["elements"] != want:
        problems.append(f"kfifo elements {fifo['elements'][:8]}... != {want[:8]}...")
    if (circ["head"], circ["tail"], circ["size"]) != (
        st["circ_head"],
        st["circ_tail"],
        st["circ_size"],
    ):
        problems.append(f"circ_buf {circ['head']}/{circ['tail']}/{circ['size']} != {st}")
    ring = next(o for o in doc["objects"] if o["type"] == "vpoll_ring")
    for k in ("head", "tail", "dropped", "capacity"):
        if ring[k] != ex["vpoll_ring"][k]:
            problems.append(f"vpoll ring {k}: {ring[k]} != {ex['vpoll_ring'][k]}")
    kinds = [r["kind"] for r in ring["records"]]
    if kinds[-2:] != ["add", "del"] or ring["records"][-1]["comm"] != "modsnap":
        problems.append(f"vpoll ring records end with {kinds[-3:]}")
    # Workqueues: simruptd exists and is unbound with a pwq on an unbound pool;
    # workers agree with the kworker threads /proc showed; pending works are pending.
    wq = [o for o in doc["objects"] if o["type"] == "workqueue" and o.get("name") == "simruptd"]
    if len(wq) != 1 or not wq[0]["unbound"] or not wq[0]["pwqs"]:
        problems.append(f"workqueue simruptd: {wq}")
    else:
        pools = {ix[p]["pool"] for p in wq[0]["pwqs"]}
        if any(ix[p]["cpu"] != -1 for p in pools):
            problems.append("simruptd's pools are not unbound")
        if ix[sim["wq"]]["id"] != wq[0]["id"]:
            problems.append("simrupt.workqueue is not simruptd")
    work = ix.get(sim["work"], {})
    if work.get("func") != "simrupt_work_fn" or work.get("pending"):
        problems.append(f"simrupt_work: {work}")
    pools = [o for o in doc["objects"] if o["type"] == "worker_pool"]
    # BH pools (v6.9+) run works from softirq: their worker has no task.
    nworkers = sum(1 for p in pools for w in p["workers"] if ix[w].get("task"))
    if nworkers != ex["kworkers"]:
        problems.append(f"pool workers with a task: {nworkers} != kworker threads {ex['kworkers']}")
    for p in pools:
        if len(p["workers"]) != p["nr_workers"] or len(p["idle"]) != p["nr_idle"]:
            problems.append(
                f"{p['id']}: {len(p['workers'])} workers / {p['nr_workers']}, {len(p['idle'])} idle / {p['nr_idle']}"
            )
        for w in p["worklist"]:
            if not ix[w].get("pending"):
                problems.append(f"{w} on a worklist but not pending")
    comms = [o.get("comm", "") for o in doc["objects"] if o["type"] == "task"]
    kworkers = [c for c in comms if c.startswith("kworker/") and not c.startswith("kworker/R-")]
    if len(kworkers) != ex["kworkers"]:
        problems.append(f"{len(kworkers)} kworker tasks != {ex['kworkers']}")
    # Rescuers: named kworker/R-<wq> since v6.9; each is a workqueue's rescuer worker.
    rescuers = [o for o in doc["objects"] if o["type"] == "workqueue" and o.get("rescuer")]
    named_r = [c for c in comms if c.startswith("kworker/R-")]
    if ex["kworker_rescuers"] and len(rescuers) != ex["kworker_rescuers"]:
        problems.append(f"{len(rescuers)} rescuers != {ex['kworker_rescuers']} kworker/R- threads")
    if len(named_r) != ex["kworker_rescuers"]:
        problems.append(
            f"{len(named_r)} kworker/R- tasks in the snapshot != {ex['kworker_rescuers']}"
        )
    assert not problems, "\n".join(problems)
