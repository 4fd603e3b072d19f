# SPDX-License-Identifier: MIT
"""
Workqueues
----------

``workqueues`` lists every ``struct workqueue_struct``; each has
``pool_workqueue`` s (``pwqs``, through ``pwqs_node``) that feed a
``worker_pool``. Pools are in the ``worker_pool_idr``; each has attached
workers (``workers``, through ``node``), idle ones (``idle_list``), busy ones
hashed in ``busy_hash`` (through ``hentry``), and pending works
(``worklist``). Works held back by ``max_active`` wait on the pwq's
``inactive_works`` (``delayed_works`` before Linux commit f97a4a1a3f87
("workqueue: Rename "delayed" (delayed by active management) to
"inactive"", v5.15)). A ``delayed_work`` whose timer has not fired is on no
list, only in the timer wheel: :func:`delayed_works_from_timers` finds those
through ``timer_bases``.

``work_struct.data`` packs flags with a pwq pointer or the last pool id. The
``WORK_*`` constants come from DWARF: ``WORK_OFFQ_POOL_SHIFT`` is 5 on 6.1
and 21 on 6.12, and the pwq pointer mask moved from ``WORK_STRUCT_FLAG_BITS``
to ``WORK_STRUCT_PWQ_SHIFT`` (v6.8, "workqueue: clean up WORK_* constant
types, clarify masking"). The 6.x ``pool_workqueue.max_active`` moved to
``workqueue_struct.max_active`` and per-node ``node_nr_active`` in v6.9
("workqueue: Move pwq->max_active to wq->max_active").
"""

import struct
from typing import Any, Dict, Iterator, List, Optional, Tuple

import drgn
from drgn.helpers.linux.cpumask import for_each_possible_cpu
from drgn.helpers.linux.idr import idr_for_each
from drgn.helpers.linux.list import hlist_for_each_entry, list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu

from ..kernel import KernelView
from ..snapshot import SnapshotBuilder, obj_id

LISTS = ("worklist", "inactive", "scheduled")

__all__ = (
    "WorkData",
    "delayed_works_from_timers",
    "for_each_pool",
    "for_each_pwq",
    "for_each_workqueue",
    "pool_for_each_worker",
    "walk_workqueues",
)


def for_each_workqueue(prog: drgn.Program) -> Iterator[drgn.Object]:
    """
    Iterate over all workqueues.

    :return: Iterator of ``struct workqueue_struct *`` objects.
    """
    return list_for_each_entry("struct workqueue_struct", prog["workqueues"].address_of_(), "list")


def for_each_pwq(wq: drgn.Object) -> Iterator[drgn.Object]:
    """
    Iterate over the pool_workqueues of a workqueue.

    :param wq: ``struct workqueue_struct *``
    :return: Iterator of ``struct pool_workqueue *`` objects.
    """
    return list_for_each_entry("struct pool_workqueue", wq.pwqs.address_of_(), "pwqs_node")


def for_each_pool(prog: drgn.Program) -> Iterator[drgn.Object]:
    """
    Iterate over all worker pools (per-CPU and unbound), by pool id.

    :return: Iterator of ``struct worker_pool *`` objects.
    """
    for _, entry in idr_for_each(prog["worker_pool_idr"].address_of_()):
        yield drgn.cast("struct worker_pool *", entry)


def pool_for_each_worker(pool: drgn.Object) -> Iterator[drgn.Object]:
    """
    Iterate over the workers attached to a pool.

    :param pool: ``struct worker_pool *``
    :return: Iterator of ``struct worker *`` objects.
    """
    return list_for_each_entry("struct worker", pool.workers.address_of_(), "node")


class WorkData:
    """Decoder of ``work_struct.data`` with this kernel's ``WORK_*`` constants."""

    def __init__(self, kv: KernelView) -> None:
        c = kv.constant
        self.pending = 1 << (c("WORK_STRUCT_PENDING_BIT") or 0)
        self.inactive = 1 << (c("WORK_STRUCT_INACTIVE_BIT") or 1)
        self.pwq = 1 << (c("WORK_STRUCT_PWQ_BIT") or 2)
        shift = c("WORK_STRUCT_PWQ_SHIFT")
        if shift is None:
            shift = c("WORK_STRUCT_FLAG_BITS")
        self.pwq_shift = shift
        self.pool_shift = c("WORK_OFFQ_POOL_SHIFT")
        self.ok = shift is not None and self.pool_shift is not None
        left = 64 - (self.pool_shift or 0)
        self.pool_none = (1 << (left if left <= 31 else 31)) - 1

    def decode(self, data: int) -> Dict[str, Any]:
        data &= 0xFFFFFFFFFFFFFFFF
        out: Dict[str, Any] = {
            "pending": bool(data & self.pending),
            "inactive": bool(data & self.inactive),
        }
        if not self.ok:
            return out
        if data & self.pwq:
            out["pwq"] = data & ~((1 << self.pwq_shift) - 1) & 0xFFFFFFFFFFFFFFFF
        else:
            pool = data >> self.pool_shift
            if pool != self.pool_none:
                out["pool_id"] = pool
        return out


def _list(head: drgn.Object, type_: str, member: str, cap: int) -> List[drgn.Object]:
    out = []
    for n, e in enumerate(list_for_each_entry(type_, head.address_of_(), member)):
        if n >= cap:
            raise OverflowError(f"list at {head.address_of_().value_():#x} longer than {cap}")
        out.append(e)
    return out


def delayed_works_from_timers(kv: KernelView) -> Dict[int, int]:
    """
    ``{delayed_work address: timer expiry}`` for every pending timer whose
    function is ``delayed_work_timer_fn`` (the timer wheels of all CPUs).
    """
    prog = kv.prog
    fn = kv.func_addr("delayed_work_timer_fn")
    out: Dict[int, int] = {}
    if fn is None:
        return out
    try:
        bases = prog["timer_bases"]
    except KeyError:
        return out
    lt = kv.layouts["struct timer_list"]
    ld = kv.layouts["struct delayed_work"]
    o_timer = ld.off("timer")
    cap = kv.limits["max_list"]
    for cpu in for_each_possible_cpu(prog):
        arr = per_cpu(bases, cpu)
        for b in range(len(arr)):
            vec = arr[b].vectors
            # One read of the whole wheel; walk only the non-empty buckets.
            heads = struct.unpack(f"<{len(vec)}Q", prog.read(vec.address_, 8 * len(vec)))
            for node in heads:
                n = 0
                while node and n < cap:
                    try:
                        func = kv.mem.scalar(node + lt.off("function"), "u64")
                        if func == fn:
                            out[node - lt.off("entry") - o_timer] = kv.mem.scalar(
                                node + lt.off("expires"), "u64"
                            )
                        node = kv.mem.scalar(node, "u64")
                    except drgn.FaultError:
                        break
                    n += 1
    return out


def walk_workqueues(
    kv: KernelView, b: SnapshotBuilder, jiffies: Optional[int], extra_works: Tuple[int, ...] = ()
) -> Tuple[str, str]:
    """
    Add every workqueue, pool_workqueue, worker pool, worker and known work to ``b``.

    :return: capability ``(status, reason)``.
    """
    prog = kv.prog
    wd = WorkData(kv)
    cap = kv.limits["max_list"]
    problems: List[str] = []
    works: Dict[int, Dict[str, Any]] = {}
    if not wd.ok:
        problems.append("WORK_* constants not in the debug info: work data not decoded")
    try:
        delayed = delayed_works_from_timers(kv)
    except (drgn.FaultError, LookupError) as e:
        delayed = {}
        problems.append(f"timer wheels unreadable: {e}")

    def add_work(work: drgn.Object, where: str, owner: Dict[str, Any]) -> int:
        addr = work.value_()
        row = works.get(addr)
        if row is not None and where in LISTS and row.get("list") not in LISTS:
            # Found running (or idle) first, then on a list: the list is where
            # its entry is linked (a running work requeued waits there).
            row["list"] = where
        if row is None:
            row = works[addr] = {"list": where}
            try:
                wv = work[0].read_()  # one read of the struct; members come from it
                data = int(wv.data.counter) & 0xFFFFFFFFFFFFFFFF
                func = wv.func.value_()
                row["func"] = kv.syms.func(func)
                row["data"] = data
                d = wd.decode(data)
                row["pending"] = d["pending"]
                if "pwq" in d:
                    row["pwq"] = obj_id("pool_workqueue", d["pwq"])
                if "pool_id" in d:
                    row["pool_id"] = d["pool_id"]
            except drgn.FaultError as e:
                row["partial"] = f"unreadable: {e}"
        row.update(owner)
        return addr

    pool_ids: Dict[int, int] = {}
    pool_bh = kv.constant("POOL_BH")
    try:
        for pool in for_each_pool(prog):
            paddr = pool.value_()
            try:
                pv = pool[0].read_()  # one read of the struct; members come from it
                pid = int(pv.id)
                pool_ids[pid] = paddr
                flags = int(pv.flags)
                row = {
                    "pool_id": pid,
                    "cpu": int(pv.cpu),
                    "node": int(pv.node),
                    "flags": flags,
                    "nr_running": int(pv.nr_running),
                    "nr_workers": int(pv.nr_workers),
                    "nr_idle": int(pv.nr_idle),
                    # BH pools (v6.9, "workqueue: Implement BH workqueues") run
                    # works in softirq; POOL_BH does not exist before.
                    "bh": bool(pool_bh is not None and flags & pool_bh),
                }
                try:
                    if pv.attrs:
                        row["nice"] = int(pv.attrs.nice)
                except drgn.FaultError:
                    pass
                workers = []
                for w in _list(pool.workers, "struct worker", "node", cap):
                    workers.append(w.value_())
                    _add_worker(kv, b, w, paddr, add_work, cap)
                busy = []
                for i in range(len(pv.busy_hash)):
                    if not pv.busy_hash[i].first:
                        continue
                    for w in hlist_for_each_entry(
                        "struct worker", pool.busy_hash[i].address_of_(), "hentry"
                    ):
                        busy.append(w.value_())
                        if len(busy) > cap:
                            break
                idle = [w.value_() for w in _list(pool.idle_list, "struct worker", "entry", cap)]
                worklist = [
                    add_work(w, "worklist", {"pool": obj_id("worker_pool", paddr)})
                    for w in _list(pool.worklist, "struct work_struct", "entry", cap)
                ]
                row["workers"] = [obj_id("worker", a) for a in sorted(workers)]
                row["busy"] = [obj_id("worker", a) for a in sorted(busy)]
                row["idle"] = [obj_id("worker", a) for a in sorted(idle)]
                row["worklist"] = [obj_id("work", a) for a in worklist]
                b.add("worker_pool", paddr, **row)
            except (drgn.FaultError, OverflowError) as e:
                b.add("worker_pool", paddr, partial=str(e))
                b.warn(f"worker pool: {e}", obj_id("worker_pool", paddr))
    except (drgn.FaultError, KeyError, LookupError) as e:
        problems.append(f"worker_pool_idr: {e}")

    try:
        wqs = list(for_each_workqueue(prog))
    except (drgn.FaultError, KeyError) as e:
        wqs = []
        problems.append(f"workqueues list: {e}")
    unbound_flag = kv.constant("WQ_UNBOUND") or 2
    for wq in wqs:
        waddr = wq.value_()
        try:
            wv = wq[0].read_()  # one read of the struct; members come from it
            flags = int(wv.flags)
            row = {"name": wv.name.string_().decode("utf-8", "backslashreplace"), "flags": flags}
            row["unbound"] = bool(flags & unbound_flag)
            try:
                row["max_active"] = int(wv.max_active)
            except AttributeError:
                row["max_active"] = int(wv.saved_max_active)
            try:
                row["min_active"] = int(wv.min_active)
            except AttributeError:
                pass
            pwqs = []
            for pwq in _list(wq.pwqs, "struct pool_workqueue", "pwqs_node", cap):
                pwqs.append(pwq.value_())
                _add_pwq(kv, b, pwq, waddr, add_work, cap)
            row["pwqs"] = [obj_id("pool_workqueue", a) for a in sorted(pwqs)]
            try:
                resc = wv.rescuer
                if resc:
                    row["rescuer"] = obj_id("worker", resc.value_())
                    _add_worker(kv, b, resc, resc.pool.value_(), add_work, cap)
            except AttributeError:
                pass
            b.add("workqueue", waddr, **row)
        except (drgn.FaultError, OverflowError) as e:
            b.add("workqueue", waddr, partial=str(e))
            b.warn(f"workqueue: {e}", obj_id("workqueue", waddr))

    ltimer = kv.layouts["struct delayed_work"]
    for dw, expires in delayed.items():
        work = drgn.Object(prog, "struct work_struct *", dw + ltimer.off("work"))
        row = {"delayed": {"expires": expires}}
        if jiffies is not None:
            row["delayed"]["in_jiffies"] = (expires - jiffies + (1 << 63)) % (1 << 64) - (1 << 63)
        addr = add_work(work, works.get(dw, {}).get("list", "timer"), row)
        del addr
    # Works other walkers point at (a module's idle work is on no list).
    for a in extra_works:
        if a not in works:
            add_work(drgn.Object(prog, "struct work_struct *", a), "idle", {})
    for addr, row in works.items():
        b.add("work", addr, **row)
    if problems:
        for p in problems:
            b.warn(p)
        return "partial", "; ".join(problems)
    return "ok", f"{len(wqs)} workqueues, {len(pool_ids)} pools, {len(works)} works"


def _add_worker(
    kv: KernelView, b: SnapshotBuilder, w: drgn.Object, paddr: int, add_work, cap: int
) -> None:
    addr = w.value_()
    # A rescuer is attached to no pool until it rescues one.
    row: Dict[str, Any] = {"pool": obj_id("worker_pool", paddr) if paddr else None}
    try:
        wv = w[0].read_()  # one read of the struct; members come from it
        task = wv.task.value_()
        row["task"] = obj_id("task", task) if task else None
        row["flags"] = int(wv.flags)
        row["worker_id"] = int(wv.id)
        row["desc"] = wv.desc.string_().decode("utf-8", "backslashreplace")
        cf = wv.current_func.value_()
        if cf:
            row["current_func"] = kv.syms.func(cf)
        cw = wv.current_work.value_()
        if cw:
            row["current_work"] = obj_id("work", cw)
            add_work(w.current_work, "running", {"worker": obj_id("worker", addr)})
        cp = wv.current_pwq.value_()
        if cp:
            row["current_pwq"] = obj_id("pool_workqueue", cp)
        row["scheduled"] = [
            obj_id("work", add_work(x, "scheduled", {"worker": obj_id("worker", addr)}))
            for x in _list(w.scheduled, "struct work_struct", "entry", cap)
        ]
        if task:
            b.add("task", task)
    except (drgn.FaultError, OverflowError) as e:
        row["partial"] = str(e)
    b.add("worker", addr, **row)


def _add_pwq(
    kv: KernelView, b: SnapshotBuilder, pwq: drgn.Object, waddr: int, add_work, cap: int
) -> None:
    addr = pwq.value_()
    row: Dict[str, Any] = {"wq": obj_id("workqueue", waddr)}
    try:
        pv = pwq[0].read_()  # one read of the struct; members come from it
        row["pool"] = obj_id("worker_pool", pv.pool.value_())
        row["nr_active"] = int(pv.nr_active)
        try:
            row["max_active"] = int(pv.max_active)
        except AttributeError:
            pass
        row["nr_in_flight"] = [int(x) for x in pv.nr_in_flight]
        row["refcnt"] = int(pv.refcnt)
        try:
            head = pwq.inactive_works
        except AttributeError:
            head = pwq.delayed_works
        row["inactive"] = [
            obj_id("work", add_work(x, "inactive", {"pwq": obj_id("pool_workqueue", addr)}))
            for x in _list(head, "struct work_struct", "entry", cap)
        ]
    except (drgn.FaultError, OverflowError) as e:
        row["partial"] = str(e)
    b.add("pool_workqueue", addr, **row)
