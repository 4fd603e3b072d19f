# SPDX-License-Identifier: MIT
"""
From what a capture read (:class:`.collect.Collected`) to snapshot tables.
No kernel memory is read here: for a live target this runs after the VM was
resumed. Everything per object is a numpy operation; Python loops run per
table, per eventpoll or per task, never per epitem or per file.
"""

from typing import Dict, List, Tuple

import numpy as np

from .collect import Collected, _stub_missing
from .kernel import KernelView
from .memory import index_of
from .snapshot import Col, SnapshotBuilder, Table, obj_id
from .walkers.epoll import EP_UNACTIVE_PTR
from .walkers.files import KINDS
from .walkers.files import K as FK
from .walkers.rbtree import rbforest_inorder
from .walkers.wait import CONTAINER_TYPES, FIELDS, OWNER_KINDS, OWNER_TYPES, wait_flag_names

__all__ = ("build_tables",)

PRIVATE_TYPES = ["eventfd", "eventpoll", "pipe", "simrupt", "socket", "timerfd", "vpoll"]
# file kind index -> private object type index (-1: none)
_KIND_TO_PRIVATE = np.full(len(KINDS), -1, np.int64)
for _k, _t in (
    ("pipe", "pipe"),
    ("fifo", "pipe"),
    ("eventfd", "eventfd"),
    ("socket", "socket"),
    ("timerfd", "timerfd"),
    ("vpoll", "vpoll"),
    ("eventpoll", "eventpoll"),
    ("simrupt", "simrupt"),
):
    _KIND_TO_PRIVATE[FK[_k]] = PRIVATE_TYPES.index(_t)


def _csr(lists: List[List[int]]) -> Tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(lists) + 1, np.int64)
    np.cumsum([len(x) for x in lists], out=offsets[1:])
    flat = np.array([v for x in lists for v in x], np.uint64)
    return offsets, flat


def _partial(ok: np.ndarray, why: str):
    return None if ok.all() else Col.sc([why], np.zeros(len(ok), np.int64), ~ok)


class _HeadEntries:
    """Entries of a walked wait queue head, looked up by head address."""

    def __init__(self, batches) -> None:
        self._b = batches

    def get(self, head: int) -> List[int]:
        for wb in self._b:
            i = int(np.searchsorted(wb.heads, np.uint64(head)))
            if i < len(wb.heads) and int(wb.heads[i]) == head:
                return wb.entries[wb.offsets[i] : wb.offsets[i + 1]].tolist()
        return []


class _FileIndex:
    """All files read, sorted, with kind and private pointer (for lookups by address)."""

    def __init__(self, c: Collected) -> None:
        if c.filebatches:
            files = np.concatenate([fb.files for fb in c.filebatches])
            kind = np.concatenate([fb.kind for fb in c.filebatches])
            priv = np.concatenate([fb.f["private_data"] for fb in c.filebatches])
        else:
            files, kind, priv = (
                np.zeros(0, np.uint64),
                np.zeros(0, np.int64),
                np.zeros(0, np.uint64),
            )
        order = np.argsort(files)
        self.files, self.kind, self.priv = files[order], kind[order], priv[order]

    def lookup(self, addrs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(kind or -1, private_data)`` for each file address."""
        i = index_of(self.files, np.asarray(addrs, np.uint64))
        found = i >= 0
        j = np.maximum(i, 0)
        kind = np.where(found, self.kind[j] if len(self.kind) else -1, -1)
        priv = np.where(found, self.priv[j] if len(self.priv) else 0, 0).astype(np.uint64)
        return kind, priv


def build_tables(c: Collected, kv: KernelView) -> List[Table]:
    """The snapshot's object tables, sorted, deduplicated, with no dangling ids."""
    b = c.builder
    fidx = _FileIndex(c)
    entries_of_head, task_waits = _wait_tables(b, c, kv)
    _task_tables(b, c, task_waits)
    owners_of = _fdtable_tables(b, c, fidx)
    _file_tables(b, c, kv)
    _private_tables(b, c)
    le = kv.layouts["struct eventpoll"]
    offs = {
        "rdllink": kv.layouts["struct epitem"].off("rdllink"),
        "rbn": kv.layouts["struct epitem"].off("rbn"),
        "pwq_wait": kv.layouts["struct eppoll_entry"].off("wait"),
    }
    for eb in c.epbatches:
        _epoll_tables(b, eb, le, offs, entries_of_head, owners_of, fidx)
    _stub_missing(b, b.tables())
    return b.tables()


def _wait_tables(b: SnapshotBuilder, c: Collected, kv: KernelView):
    heads_all, ctype, caddr, field = c.heads.arrays()
    batches = []
    task_waits: Dict[int, List[int]] = {}
    flag_cache: Dict[int, str] = {}
    for wb, ow in c.waits:
        i = index_of(heads_all, wb.heads)
        j = np.maximum(i, 0)
        ct = np.where(i >= 0, ctype[j], -1)
        present = ct >= 0
        cols = {
            "entries": Col.rl("wait_entry", wb.offsets, wb.entries).close(),
            "locked": Col.b(wb.locked, wb.head_ok),
            "container": Col.o(
                {
                    "id": Col.rv(
                        CONTAINER_TYPES, np.maximum(ct, 0), np.where(present, caddr[j], 0)
                    ),
                    "field": Col.sc(FIELDS, np.maximum(field[j], 0)),
                },
                present,
            ),
        }
        p = _partial(~wb.truncated, "list walk stopped (cap or unreadable link)")
        if p is not None:
            cols["partial"] = p
        b.add_table("wait_queue_head", wb.heads, cols)
        batches.append(wb)
        if not len(wb.entries):
            continue
        uflags, finv = np.unique(wb.flags, return_inverse=True)
        fcats = []
        for f in uflags.tolist():
            s = flag_cache.get(f)
            if s is None:
                s = flag_cache[f] = "[" + ",".join(f'"{x}"' for x in wait_flag_names(kv, f)) + "]"
            fcats.append(s)
        cols = {
            "func": Col.sc(ow.func_names, ow.func_code),
            "func_addr": Col.x(wb.func),
            "flags": Col.u(wb.flags),
            "flag_names": Col.rc(fcats, finv),
            "owner": Col.rv(
                OWNER_TYPES, np.maximum(ow.owner_type, 0), np.where(ow.owner_type >= 0, ow.owner, 0)
            ),
            "owner_kind": Col.sc(OWNER_KINDS, ow.owner_kind),
            "head": Col.r("wait_queue_head", wb.heads[wb.head_row]).close(),
            "private": Col.x(wb.private),
            "eppoll_entry": Col.x(ow.eppoll_entry, ow.eppoll_entry != 0),
            "poll_file": Col.r("file", ow.poll_file, ow.poll_file != 0),
        }
        p = _partial(wb.ok, "unreadable")
        if p is not None:
            cols["partial"] = p
        b.add_table("wait_entry", wb.entries, cols)
        sel = np.nonzero((ow.owner_type == 0) & (ow.owner != 0))[0]
        for a, e in zip(ow.owner[sel].tolist(), wb.entries[sel].tolist()):
            task_waits.setdefault(a, []).append(e)
    return _HeadEntries(batches), task_waits


def _task_tables(b: SnapshotBuilder, c: Collected, task_waits) -> None:
    for addr, row in c.tasks.items():
        out = {k: v for k, v in row.items() if not k.startswith("_")}
        if "_leader" in row:
            out["leader"] = obj_id("task", row["_leader"])
        if row.get("_files"):
            out["files"] = obj_id("files", row["_files"])
        if "comm" in row:
            out["label"] = f"{row['comm']}[{row['pid']}]"
        out["waiting_on"] = [obj_id("wait_entry", e) for e in task_waits.get(addr, [])]
        b.add("task", addr, **out)
    for a in task_waits:
        if a not in c.tasks:
            b.add("task", a)


def _fdtable_tables(
    b: SnapshotBuilder, c: Collected, fidx: _FileIndex
) -> Dict[int, List[Tuple[int, int]]]:
    """files_struct objects; returns {eventpoll: [(pid, fd)]} from the fd tables."""
    owners_of: Dict[int, List[Tuple[int, int]]] = {}
    pid_of = {a: r["tgid"] for a, r in c.tasks.items() if "tgid" in r}
    for fs, (fds, files, users) in c.fdtables.items():
        cols = {
            "fds": Col.ol(
                np.array([0, len(fds)], np.int64),
                {"fd": Col.i(fds), "file": Col.r("file", files).close()},
            ),
            "users": Col.j([[obj_id("task", u) for u in sorted(users)]]),
        }
        b.add_table("files", np.array([fs], np.uint64), cols)
        pid = next((pid_of[u] for u in users if u in pid_of), None)
        if pid is None:
            continue
        kind, priv = fidx.lookup(files)
        sel = np.nonzero(kind == FK["eventpoll"])[0]
        for fd, ep in zip(fds[sel].tolist(), priv[sel].tolist()):
            owners_of.setdefault(ep, []).append((pid, fd))
    return owners_of


def _file_tables(b: SnapshotBuilder, c: Collected, kv: KernelView) -> None:
    simrupt_addr = next(iter(b._rows.get("simrupt", {})), 0)
    for fb, (w_off, w_epi) in zip(c.filebatches, c.watchers):
        ptype = _KIND_TO_PRIVATE[fb.kind]
        paddr = fb.f["private_data"].copy()
        if not kv.modules_ok.get("vpoll"):
            ptype = np.where(fb.kind == FK["vpoll"], -1, ptype)
        sim = fb.kind == FK["simrupt"]
        if sim.any():
            if simrupt_addr:
                paddr[sim] = simrupt_addr
            else:
                ptype = np.where(sim, -1, ptype)
        pres = (ptype >= 0) & (paddr != 0) & fb.ok
        cols = {
            "kind": Col.sc(KINDS, fb.kind),
            "name": Col.sc(fb.names, fb.name_code, fb.name_code != 0),
            "f_op": Col.sc(fb.fop_names, fb.fop_code),
            "f_flags": Col.u(fb.f["f_flags"], fb.ok),
            "f_mode": Col.u(fb.f["f_mode"], fb.ok),
            "refs": Col.u(fb.f["refs"], fb.ok),
            "private": Col.rv(PRIVATE_TYPES, np.maximum(ptype, 0), paddr, pres),
            "epitems": Col.rl("epitem", w_off, w_epi),
        }
        p = _partial(fb.ok, "unreadable")
        if p is not None:
            cols["partial"] = p
        b.add_table("file", fb.files, cols)


def _private_tables(b: SnapshotBuilder, c: Collected) -> None:
    for pb in c.privates:
        cols: Dict[str, Col] = {}
        f = pb.f
        if pb.type == "pipe":
            for k in ("head", "tail", "ring_size", "readers", "writers"):
                if k in f:
                    cols[k] = Col.u(f[k], pb.ok)
            cols["rd_wait"] = Col.r("wait_queue_head", pb.heads["rd_wait"])
            cols["wr_wait"] = Col.r("wait_queue_head", pb.heads["wr_wait"])
        elif pb.type == "eventfd":
            cols["count"] = Col.u(f["count"], pb.ok)
            cols["flags"] = Col.u(f["flags"], pb.ok)
            cols["wqh"] = Col.r("wait_queue_head", pb.heads["wqh"])
        elif pb.type == "socket":
            cols["state"] = Col.i(f["state"].astype(np.int64), pb.ok)
            cols["sock_type"] = Col.i(f["type"].astype(np.int64), pb.ok)
            if "family" in f:
                cols["family"] = Col.u(f["family"], pb.ok)
            cols["wq"] = Col.r("wait_queue_head", pb.heads["wq.wait"])
        elif pb.type == "timerfd":
            cols["ticks"] = Col.u(f["ticks"], pb.ok)
            cols["clockid"] = Col.i(f["clockid"].astype(np.int64), pb.ok)
            if "t.tmr.node.expires" in f:
                cols["expires_ns"] = Col.i(f["t.tmr.node.expires"].astype(np.int64), pb.ok)
            cols["wqh"] = Col.r("wait_queue_head", pb.heads["wqh"])
        elif pb.type == "vpoll":
            cols["instance"] = Col.u(f["id"], pb.ok)
            cols["events"] = Col.u(f["events"], pb.ok)
            cols["wqh"] = Col.r("wait_queue_head", pb.heads["wqh"])
        p = _partial(pb.ok, "unreadable")
        if p is not None:
            cols["partial"] = p
        b.add_table(pb.type, pb.addrs, cols)


def _epoll_tables(
    b: SnapshotBuilder, eb, le, offs, entries_of_head, owners_of, fidx: _FileIndex
) -> None:
    n_ep = len(eb.eps)
    fo = eb.forest
    f = eb.f
    epi = eb.epi
    ok = eb.epi_ok
    par = np.where(fo.parent >= 0, epi[np.maximum(fo.parent, 0)], 0)
    lft = np.where(fo.left >= 0, epi[np.maximum(fo.left, 0)], 0)
    rgt = np.where(fo.right >= 0, epi[np.maximum(fo.right, 0)], 0)
    black = ((fo.parent_color & np.uint64(1)) != 0).astype(np.int64)
    # rdllink pointing to itself: not on the ready list (list_del_init).
    on_ready = (f["rdllink.next"] != epi + np.uint64(offs["rdllink"])) & ok
    on_ovf = (f["ovflist_next"] != np.uint64(EP_UNACTIVE_PTR)) & ok
    targets = f["ffd.file"]
    tkind, tpriv = fidx.lookup(targets)
    nested = (tkind == FK["eventpoll"]) & ok
    pwq_entry = eb.pwq + np.uint64(offs["pwq_wait"])
    cols = {
        "ep": Col.r("eventpoll", f["ep"], ok),
        "tfd": Col.i(f["ffd.fd"].astype(np.int64), ok),
        "file": Col.r("file", targets, ok),
        "events": Col.u(f["event.events"], ok),
        "data": Col.u(f["event.data"], ok),
        "color": Col.sc(["red", "black"], black),
        "rb": Col.o(
            {
                "parent": Col.r("epitem", par).close(),
                "left": Col.r("epitem", lft).close(),
                "right": Col.r("epitem", rgt).close(),
                "index": Col.u(fo.index),
            }
        ),
        "on_ready": Col.b(on_ready, ok),
        "on_ovflist": Col.b(on_ovf, ok),
        "pwqs": Col.ol(
            eb.pwq_offsets,
            {
                "entry": Col.r("wait_entry", pwq_entry),
                "head": Col.r("wait_queue_head", eb.pwq_whead),
            },
        ),
        "nested_ep": Col.r("eventpoll", tpriv, nested),
    }
    if "dying" in f:
        cols["dying"] = Col.b(f["dying"] != 0, ok)
    p = _partial(ok, "unreadable")
    if p is not None:
        cols["partial"] = p
    b.add_table("epitem", epi, cols)

    order = rbforest_inorder(fo)
    counts = np.bincount(fo.tree, minlength=n_ep) if len(fo.tree) else np.zeros(n_ep, np.int64)
    in_off = np.zeros(n_ep + 1, np.int64)
    np.cumsum(counts, out=in_off[1:])
    inorder = epi[order]
    roots = np.zeros(n_ep, np.uint64)
    rootrows = np.nonzero(fo.parent < 0)[0]
    roots[fo.tree[rootrows]] = epi[rootrows]
    lm = eb.ep["rbr.rb_leftmost"]
    leftmost = np.where(lm != 0, lm - np.uint64(offs["rbn"]), 0)
    wq_heads = eb.eps + np.uint64(le.off("wq"))
    pw_heads = eb.eps + np.uint64(le.off("poll_wait"))

    head_entries = entries_of_head.get

    wq_off, wq_val = _csr([head_entries(h) for h in wq_heads.tolist()])
    pw_off, pw_val = _csr([head_entries(h) for h in pw_heads.tolist()])
    rd_off, rd_val = _csr(eb.ready)
    ov_off, ov_val = _csr(eb.ovflist)
    nsel = np.nonzero(nested)[0]
    pairs = sorted(set(zip(fo.tree[nsel].tolist(), tpriv[nsel].tolist())))
    nested_lists: List[List[int]] = [[] for _ in range(n_ep)]
    for t, e in pairs:
        if e:
            nested_lists[t].append(e)
    ne_off, ne_val = _csr(nested_lists)
    owners = [sorted(owners_of.get(ep, [])) for ep in eb.eps.tolist()]
    ow_off = np.zeros(n_ep + 1, np.int64)
    np.cumsum([len(o) for o in owners], out=ow_off[1:])
    ow_pid = np.array([p for o in owners for p, _ in o], np.int64)
    ow_fd = np.array([fd for o in owners for _, fd in o], np.int64)
    mtx_owner = eb.ep["mtx.owner.counter"].astype(np.int64).view(np.uint64) & ~np.uint64(7)
    labels = [f"epoll fd {o[0][1]} of pid {o[0][0]}" if o else "epoll" for o in owners]
    eok = eb.ep_ok
    cols = {
        "owners": Col.ol(ow_off, {"pid": Col.i(ow_pid), "fd": Col.i(ow_fd)}),
        "file": Col.r("file", eb.ep["file"], eok),
        "ready": Col.rl("epitem", rd_off, rd_val),
        "ovflist": Col.rl("epitem", ov_off, ov_val),
        "ovflist_active": Col.b(eb.ep["ovflist"] != np.uint64(EP_UNACTIVE_PTR), eok),
        "wq": Col.rl("wait_entry", wq_off, wq_val).close(),
        "poll_wait": Col.rl("wait_entry", pw_off, pw_val).close(),
        "wq_head": Col.r("wait_queue_head", wq_heads),
        "poll_wait_head": Col.r("wait_queue_head", pw_heads),
        "rbtree": Col.o(
            {
                "root": Col.r("epitem", roots).close(),
                "count": Col.u(counts),
                "inorder": Col.rl("epitem", in_off, inorder).close(),
                "leftmost": Col.r("epitem", leftmost),
            }
        ),
        "nested": Col.rl("eventpoll", ne_off, ne_val),
        "lock": Col.o({"locked": Col.b((eb.ep["lock"] & 0xFF) != 0)}, eok),
        "mtx": Col.o({"locked": Col.b(mtx_owner != 0), "owner": Col.r("task", mtx_owner)}, eok),
        "label": Col.s(labels),
    }
    for k in ("gen", "loop_check_depth"):
        if k in eb.ep:
            cols[k] = Col.u(eb.ep[k], eok)
    if "refcount.refs.counter" in eb.ep:
        cols["refs"] = Col.u(eb.ep["refcount.refs.counter"], eok)
    partial = []
    for e in range(n_ep):
        p = None
        if not eok[e]:
            p = "unreadable"
        elif eb.ready_bad[e]:
            p = "ready list could not be followed to its end"
        elif fo.truncated[e]:
            p = "rbtree walk stopped at a cap or a cycle"
        partial.append(p)
    if any(partial):
        cols["partial"] = Col.s(partial)
    b.add_table("eventpoll", eb.eps, cols)
