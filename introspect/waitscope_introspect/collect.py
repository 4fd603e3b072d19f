# SPDX-License-Identifier: MIT
"""
One capture: every walker, in rounds until what was reached is closed
--------------------------------------------------------------------

tasks -> fd tables -> files -> (eventpolls -> epitems -> target files)* ->
wait queue heads -> entries -> owners (tasks, epitems of other epolls) ->
... until nothing new is reached (or :data:`MAX_ROUNDS`); then workqueues,
our modules and the flight recorder. All reads happen here (a live target
is paused around this); :func:`build_tables` turns the result into snapshot
tables afterwards and needs no kernel memory.
"""

import re
import time
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import drgn
import numpy as np

from .kernel import KernelView
from .memory import AddrIndex
from .snapshot import SnapshotBuilder, obj_id
from .walkers.crash import crash_read
from .walkers.epoll import EpBatch, eventpolls_gather
from .walkers.files import K as FK
from .walkers.files import (
    FileBatch,
    fdtable_gather,
    file_watchers_gather,
    files_gather,
    privates_gather,
)
from .walkers.kfifo import kfifo_by_expression, kfifo_decode
from .walkers.modwalk import walk_simrupt, walk_vpoll
from .walkers.tasks import task_fields, task_stack, tasks_for_each
from .walkers.wait import HeadSet, WaitBatch, WaitOwners, wait_entries_decode, wait_heads_gather
from .walkers.workqueue import walk_workqueues

__all__ = ("Collected", "collect")

MAX_ROUNDS = 6
_ID = re.compile(r"^([a-z_]+):0x([0-9a-f]+)$")


class Collected:
    """Everything one capture read (all kernel reads are done when this exists)."""

    def __init__(self) -> None:
        self.builder = SnapshotBuilder()
        self.caps: Dict[str, Tuple[str, str]] = {}
        self.tasks: Dict[int, Dict[str, Any]] = {}
        self.fdtables: Dict[int, Tuple[np.ndarray, np.ndarray, List[int]]] = {}
        self.filebatches: List[FileBatch] = []
        self.watchers: List[Tuple[np.ndarray, np.ndarray]] = []
        self.epbatches: List[EpBatch] = []
        self.privates: List[Any] = []
        self.heads = HeadSet()
        self.waits: List[Tuple[WaitBatch, WaitOwners]] = []
        self.timings: Dict[str, float] = {}
        self.jiffies: Optional[int] = None
        self.crash: Dict[str, Any] = {}


def collect(
    kv: KernelView,
    pids: Sequence[int] = (),
    kfifos: Sequence[str] = (),
    stacks: bool = True,
    workqueues: bool = True,
) -> Collected:
    """Read everything the snapshot shows (see the module docstring)."""
    c = Collected()
    b = c.builder
    prog = kv.prog
    t0 = time.perf_counter()
    try:
        c.jiffies = int(prog["jiffies_64"].value_()) & 0xFFFFFFFFFFFFFFFF
    except (KeyError, drgn.FaultError):
        c.jiffies = None

    # -- tasks --------------------------------------------------------------
    all_tasks: Set[int] = set()
    task_error = ""
    try:
        from drgn.helpers.linux.pid import for_each_task

        for n, t in enumerate(for_each_task(prog)):
            if n >= kv.limits["max_tasks"]:
                b.warn(f"more than {kv.limits['max_tasks']} tasks: the rest not walked")
                break
            all_tasks.add(t.value_())
    except drgn.FaultError as e:
        b.warn(f"task list: {e}")
        task_error = str(e)
    found_pids = set()
    task_objs = []
    try:
        for t in tasks_for_each(prog, pids, kv.limits["max_tasks"]):
            task_objs.append(t)
    except (drgn.FaultError, OverflowError) as e:
        b.warn(f"task list: {e}")
    nstacks = 0
    stack_errors: List[str] = []
    for t in task_objs:
        addr = t.value_()
        try:
            row = task_fields(kv, t)
        except drgn.FaultError as e:
            c.tasks[addr] = {"partial": f"unreadable: {e}"}
            continue
        found_pids.add(row["tgid"])
        c.tasks[addr] = row
        # drgn unwinds at ~10 ms a task: user tasks only, capped.
        if (
            stacks
            and row["state"] in ("S", "D")
            and not row["kthread"]
            and nstacks < kv.limits["max_stacks"]
        ):
            st, why = task_stack(kv, t)
            nstacks += 1
            if st:
                row["stack"] = st
            elif why:
                stack_errors.append(why)
    for p in pids:
        if p not in found_pids:
            b.warn(f"no process with pid {p}")
    if task_error:
        c.caps["tasks"] = (
            "missing" if not c.tasks else "partial",
            f"task list unreadable: {task_error}",
        )
    else:
        c.caps["tasks"] = ("ok", f"{len(c.tasks)} tasks")
    if not stacks:
        c.caps["stacks"] = ("missing", "not requested")
    elif stack_errors and len(stack_errors) == nstacks:
        c.caps["stacks"] = ("missing", f"drgn cannot unwind this kernel: {stack_errors[0]}")
    elif stack_errors:
        c.caps["stacks"] = (
            "partial",
            f"{len(stack_errors)} of {nstacks} not unwound: {stack_errors[0]}",
        )
    else:
        c.caps["stacks"] = ("ok", f"{nstacks} user tasks unwound")
    c.timings["tasks_ms"] = (time.perf_counter() - t0) * 1000

    # -- fd tables ------------------------------------------------------------
    t1 = time.perf_counter()
    file_set: List[np.ndarray] = []
    for addr, row in c.tasks.items():
        fs = row.get("_files")
        if not fs:
            continue
        if fs in c.fdtables:
            c.fdtables[fs][2].append(addr)
            continue
        fds, files, problem = fdtable_gather(kv, fs)
        if problem:
            b.warn(problem, obj_id("files", fs))
        c.fdtables[fs] = (fds, files, [addr])
        file_set.append(files)

    # -- rounds: files -> eventpolls -> files ..., heads -> owners ... ------------
    # seen_*, pending_files, pending_eps and the head set's addresses are kept
    # sorted and without duplicates: set operations on them need no sort.
    tasks_sorted = np.array(sorted(all_tasks), np.uint64)
    seen_files = np.zeros(0, np.uint64)
    seen_eps = np.zeros(0, np.uint64)
    seen_heads = np.zeros(0, np.uint64)
    pending_files = np.unique(np.concatenate(file_set)) if file_set else np.zeros(0, np.uint64)
    pending_eps = np.zeros(0, np.uint64)
    extra_tasks: Set[int] = set()
    walk_mod_heads = True
    le = kv.layouts["struct eventpoll"]
    for rnd in range(MAX_ROUNDS):
        pending_files = np.setdiff1d(pending_files, seen_files, assume_unique=True)
        pending_files = pending_files[pending_files != 0]
        if len(pending_files):
            fb = files_gather(kv, pending_files)
            c.filebatches.append(fb)
            c.watchers.append(file_watchers_gather(kv, fb))
            seen_files = _union_sorted(seen_files, pending_files)
            priv = fb.f["private_data"]
            pending_eps = np.union1d(pending_eps, priv[(fb.kind == FK["eventpoll"]) & fb.ok])
            for kind in ("pipe", "fifo", "eventfd", "socket", "timerfd", "vpoll"):
                sel = (fb.kind == FK[kind]) & fb.ok
                if not sel.any() or (kind == "vpoll" and not kv.modules_ok.get("vpoll")):
                    continue
                pb = privates_gather(kv, kind, priv[sel])
                if pb is None:
                    continue
                c.privates.append(pb)
                for member, hs in pb.heads.items():
                    c.heads.add(hs, pb.type, pb.addrs, member.split(".")[0])
        pending_eps = np.setdiff1d(pending_eps, seen_eps, assume_unique=True)
        pending_eps = pending_eps[pending_eps != 0]
        new_files = np.zeros(0, np.uint64)
        if len(pending_eps):
            eb = eventpolls_gather(kv, pending_eps)
            c.epbatches.append(eb)
            seen_eps = _union_sorted(seen_eps, pending_eps)
            c.heads.add(pending_eps + np.uint64(le.off("wq")), "eventpoll", pending_eps, "wq")
            c.heads.add(
                pending_eps + np.uint64(le.off("poll_wait")), "eventpoll", pending_eps, "poll_wait"
            )
            wh = np.unique(eb.pwq_whead)
            c.heads.add(wh[wh != 0])
            new_files = eb.f["ffd.file"][eb.epi_ok]
            for _, msg in eb.violations:
                b.warn(f"epoll rbtree: {msg}")
            for r in np.nonzero(eb.forest.truncated)[0].tolist():
                b.warn(
                    "rbtree walk stopped at a cap or a cycle", obj_id("eventpoll", int(eb.eps[r]))
                )
        if walk_mod_heads:
            walk_mod_heads = False
            t_m = time.perf_counter()
            for name, cap in walk_vpoll(kv, b, c.heads).items():
                c.caps[name] = cap
            c.caps["modules.simrupt"] = walk_simrupt(kv, b, c.heads)
            c.timings["modules_ms"] = (time.perf_counter() - t_m) * 1000
        heads = np.setdiff1d(c.heads.arrays()[0], seen_heads, assume_unique=True)
        if len(heads):
            wb = wait_heads_gather(kv, heads)
            owners = wait_entries_decode(kv, wb, tasks_sorted)
            c.waits.append((wb, owners))
            seen_heads = _union_sorted(seen_heads, heads)
            # Owners reached for the first time: epitems of other epolls, tasks.
            foreign = owners.owner[owners.owner_type == 1]
            if len(foreign):
                li = kv.layouts["struct epitem"]
                eps_of, ok = kv.mem.gather(foreign, li.off("ep"), "u64")
                pending_eps = np.union1d(pending_eps, eps_of[ok])
            towners = np.unique(owners.owner[owners.owner_type == 0])
            extra_tasks.update(a for a in towners.tolist() if a and a not in c.tasks)
            pf = owners.poll_file[owners.poll_file != 0]
            new_files = np.concatenate([new_files, pf])
        pending_files = np.setdiff1d(
            np.union1d(pending_files, new_files), seen_files, assume_unique=True
        )
        pending_eps = np.setdiff1d(pending_eps, seen_eps, assume_unique=True)
        more_heads = len(np.setdiff1d(c.heads.arrays()[0], seen_heads, assume_unique=True))
        if not len(pending_files) and not len(pending_eps) and not more_heads:
            break
    else:
        b.warn(
            f"stopped following links after {MAX_ROUNDS} rounds; unwalked objects are marked partial"
        )
    for a in sorted(extra_tasks):
        try:
            t = drgn.Object(prog, "struct task_struct *", a)
            c.tasks[a] = task_fields(kv, t)
            c.tasks[a]["_extra"] = True
        except drgn.FaultError as e:
            c.tasks[a] = {"partial": f"unreadable: {e}"}
    c.caps["epoll"] = ("ok", f"{len(seen_eps)} epoll instances")
    c.caps["waitqueues"] = ("ok", f"{len(seen_heads)} wait queue heads")
    c.timings["epoll_ms"] = (time.perf_counter() - t1) * 1000

    # -- deferred work, buffers ---------------------------------------------------
    t2 = time.perf_counter()
    if workqueues:
        try:
            extra = []
            sims = b._rows.get("simrupt", {})
            for row in sims.values():
                for key in ("work", "rate_work"):
                    if row.get(key):
                        extra.append(int(row[key].split(":0x", 1)[1], 16))
            c.caps["workqueues"] = walk_workqueues(kv, b, c.jiffies, tuple(extra))
        except (drgn.FaultError, LookupError) as e:
            c.caps["workqueues"] = ("missing", str(e))
    else:
        c.caps["workqueues"] = ("missing", "not requested")
    kf_problems = []
    for expr in kfifos:
        try:
            obj = kfifo_by_expression(prog, expr)
            b.add("kfifo", obj.address_, **kfifo_decode(kv, obj, expr))
        except (LookupError, drgn.FaultError, SyntaxError, ValueError) as e:
            kf_problems.append(f"{expr}: {e}")
            b.warn(f"kfifo {expr}: {e}")
    simrupt_cap = c.caps.get("modules.simrupt", ("missing", ""))
    if kf_problems:
        c.caps["kfifo"] = ("partial", "; ".join(kf_problems))
    elif simrupt_cap[0] == "ok" or kfifos:
        c.caps["kfifo"] = ("ok", "")
    else:
        c.caps["kfifo"] = (
            "missing",
            "no kfifo to show: simrupt debug info missing and no --kfifo given",
        )
    c.timings["deferred_ms"] = (time.perf_counter() - t2) * 1000

    # -- post-mortem (only reads more when the kernel panicked) -----------------------
    t3 = time.perf_counter()
    if c.waits:
        heads = np.concatenate([wb.heads for wb, _ in c.waits])
        locked = np.concatenate([wb.locked & wb.head_ok for wb, _ in c.waits])
    else:
        heads, locked = np.zeros(0, np.uint64), np.zeros(0, bool)
    c.crash = crash_read(kv, heads, locked)
    c.timings["crash_ms"] = (time.perf_counter() - t3) * 1000
    c.timings["read_ms"] = (time.perf_counter() - t0) * 1000
    return c


def _union_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted union of two sorted arrays without duplicates (``np.union1d``
    sorts from scratch; a stable sort of two sorted runs is one merge)."""
    c = np.sort(np.concatenate([a, b]), kind="stable")
    if len(c) < 2:
        return c
    keep = np.ones(len(c), bool)
    keep[1:] = c[1:] != c[:-1]
    return c[keep]


def _stub_missing(b: SnapshotBuilder, tables) -> None:
    """Every id referenced but not walked becomes an object marked partial."""
    have: Dict[str, np.ndarray] = {t.type: t.sorted_addrs() for t in tables}
    indexes: Dict[str, AddrIndex] = {}
    missing: Dict[str, List[np.ndarray]] = {}

    def check(type_: str, data: np.ndarray) -> None:
        data = data[data != 0]
        if not len(data):
            return
        h = have.get(type_)
        if h is None:
            missing.setdefault(type_, []).append(data)
            return
        ix = indexes.get(type_)
        if ix is None:
            ix = indexes[type_] = AddrIndex(h)
        i = ix.find(data)
        if (i < 0).any():
            missing.setdefault(type_, []).append(data[i < 0])

    def visit(col) -> None:
        if col.closed:
            return
        if col.kind in ("r", "rl") and col.ref:
            data = col.data if col.present is None or col.kind == "rl" else col.data[col.present]
            check(col.ref, data)
        elif col.kind == "rv":
            data, idx = col.data, col.offsets
            if col.present is not None:
                data, idx = data[col.present], idx[col.present]
            for i, t in enumerate(col.ref):
                check(t, data[idx == i])
        if col.sub:
            for s in col.sub.values():
                visit(s)

    def strings(values) -> None:
        """Ids held as strings (dict rows of the small walkers)."""
        found: Dict[str, List[int]] = {}
        stack = list(values)
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                m = _ID.match(v)
                if m:
                    found.setdefault(m.group(1), []).append(int(m.group(2), 16))
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
        for t, addrs in found.items():
            check(t, np.array(addrs, np.uint64))

    for t in tables:
        for col in t.cols.values():
            visit(col)
            if col.kind in ("s", "j") and len(col.data) < 100000:
                strings(col.data)
    for type_, parts in missing.items():
        for a in np.unique(np.concatenate(parts)).tolist():
            b.add(
                type_,
                a,
                partial="not walked (outside the selected processes or beyond the round limit)",
            )
