# SPDX-License-Identifier: MIT
"""
Reference walk: the same epoll/wait-queue state as the snapshot, read the
straightforward way, one :class:`drgn.Object` member at a time, with the
drgn-helper-style generators of :mod:`.walkers` and every symbol lookup
cached (as a careful drgn user would write it).

It is the baseline of ``bench/run walk100k`` and an independent check of the
bulk walkers: :func:`reference_walk` and :func:`snapshot_view` produce the
same normalised structure, which tests compare.
"""

from typing import Any, Dict, Iterable, List, Optional

import drgn
from drgn.helpers.linux.fs import for_each_file
from drgn.helpers.linux.list import hlist_for_each_entry

from .walkers.epoll import ep_for_each_ready, epitem_for_each_pwq
from .walkers.rbtree import rbtree_for_each_node
from .walkers.tasks import tasks_for_each
from .walkers.wait import waitqueue_for_each_entry

__all__ = ("reference_walk", "snapshot_view")

KIND_OF_FOPS = {
    "eventpoll_fops": "eventpoll",
    "pipefifo_fops": "pipe",
    "eventfd_fops": "eventfd",
    "socket_file_ops": "socket",
    "timerfd_fops": "timerfd",
    "vpoll_fops": "vpoll",
    "simrupt_fops": "simrupt",
}


def reference_walk(prog: drgn.Program, pids: Iterable[int]) -> Dict[str, Any]:
    """
    Per-member walk of the epoll instances of ``pids``: every item (tree
    order, colour, key, target file and its wait queue entries), ready list,
    and the waiters of each instance.
    """
    sym_cache: Dict[int, str] = {}

    def sym(addr: int) -> str:
        name = sym_cache.get(addr)
        if name is None:
            try:
                name = prog.symbol(addr).name
            except LookupError:
                name = f"0x{addr:x}"
            sym_cache[addr] = name
        return name

    epoll_fops = prog["eventpoll_fops"].address_of_().value_()
    # By variable address: prog.symbol() cannot name module addresses when the
    # module's debug info had to be relocated by hand (Linux >= 6.4).
    fops_kind: Dict[int, str] = {}
    for name, kind in KIND_OF_FOPS.items():
        try:
            fops_kind[prog[name].address_of_().value_()] = kind
        except (KeyError, LookupError):
            pass
    rbn_off = drgn.offsetof(prog.type("struct epitem"), "rbn")
    ovf = "ovflist_next" if prog.type("struct epitem").has_member("ovflist_next") else "next"
    eps: Dict[int, Dict[str, Any]] = {}
    files: Dict[int, Dict[str, Any]] = {}
    heads: Dict[int, List[Dict[str, Any]]] = {}

    def walk_head(head_addr: int) -> None:
        if head_addr in heads:
            return
        head = drgn.Object(prog, "wait_queue_head_t *", head_addr)
        out = []
        for w in waitqueue_for_each_entry(head):
            func = sym(w.func.value_())
            entry = {"entry": w.value_(), "func": func, "flags": int(w.flags)}
            if func == "ep_poll_callback":
                pwq = drgn.container_of(w, "struct eppoll_entry", "wait")
                entry["owner"] = pwq.base.value_()
            elif func == "pollwake":
                entry["owner"] = drgn.cast("struct poll_wqueues *", w.private).polling_task.value_()
            else:
                entry["owner"] = w.private.value_()
            out.append(entry)
        heads[head_addr] = out

    def walk_file(f: drgn.Object) -> None:
        fa = f.value_()
        if fa in files:
            return
        kind = fops_kind.get(f.f_op.value_(), "other")
        info: Dict[str, Any] = {"kind": kind}
        files[fa] = info
        priv = f.private_data
        if kind == "eventfd":
            ctx = drgn.cast("struct eventfd_ctx *", priv)
            info["count"] = int(ctx.count)
            walk_head(ctx.wqh.address_of_().value_())
        elif kind == "pipe":
            pipe = drgn.cast("struct pipe_inode_info *", priv)
            walk_head(pipe.rd_wait.address_of_().value_())
            walk_head(pipe.wr_wait.address_of_().value_())
        watchers = []
        if f.f_ep:
            for epi in hlist_for_each_entry("struct epitem", f.f_ep, "fllink"):
                watchers.append(epi.value_())
        info["epitems"] = sorted(watchers)

    def walk_ep(ep: drgn.Object) -> None:
        addr = ep.value_()
        if addr in eps:
            return
        items = []
        for node, color, parent in rbtree_for_each_node(ep.rbr.rb_root.address_of_()):
            epi = drgn.container_of(node, "struct epitem", "rbn")
            f = epi.ffd.file
            walk_file(f)
            pwqs = []
            for pwq in epitem_for_each_pwq(epi):
                walk_head(pwq.whead.value_())
                pwqs.append((pwq.wait.address_of_().value_(), pwq.whead.value_()))
            items.append(
                {
                    "epitem": epi.value_(),
                    "tfd": int(epi.ffd.fd),
                    "events": int(epi.event.events),
                    "data": int(epi.event.data),
                    "file": f.value_(),
                    "color": color,
                    "parent": (parent - rbn_off) if parent else 0,
                    "on_ovflist": epi.member_(ovf).value_() != 0xFFFFFFFFFFFFFFFF,
                    "pwqs": pwqs,
                }
            )
            if f.f_op.value_() == epoll_fops:
                walk_ep(drgn.cast("struct eventpoll *", f.private_data))
        walk_head(ep.wq.address_of_().value_())
        walk_head(ep.poll_wait.address_of_().value_())
        eps[addr] = {
            "items": items,
            "ready": [e.value_() for e in ep_for_each_ready(ep)],
            "wq": [w["entry"] for w in heads[ep.wq.address_of_().value_()]],
            "poll_wait": [w["entry"] for w in heads[ep.poll_wait.address_of_().value_()]],
        }

    for task in tasks_for_each(prog, pids):
        if task.pid != task.tgid:
            continue
        for fd, f in for_each_file(task):
            if f.f_op.value_() == epoll_fops:
                walk_ep(drgn.cast("struct eventpoll *", f.private_data))
    return {"eps": eps, "files": files, "heads": heads}


def snapshot_view(doc: Dict[str, Any], eps: Optional[Iterable[int]] = None) -> Dict[str, Any]:
    """
    The same structure as :func:`reference_walk`, from a snapshot document,
    for the eventpolls ``eps`` (default: those the reference walk found).
    """
    objs = {o["id"]: o for o in doc["objects"]}

    def addr(i: Optional[str]) -> int:
        return int(i.split(":", 1)[1], 16) if i else 0

    out_eps: Dict[int, Dict[str, Any]] = {}
    heads: Dict[int, List[Dict[str, Any]]] = {}
    files: Dict[int, Dict[str, Any]] = {}

    def head(hid: str) -> None:
        h = objs.get(hid, {})
        entries = []
        for wid in h.get("entries", []):
            w = objs[wid]
            entries.append(
                {
                    "entry": addr(wid),
                    "func": w["func"],
                    "flags": w["flags"],
                    "owner": addr(w.get("owner")),
                }
            )
        heads[addr(hid)] = entries

    for ep_addr in eps or [addr(o["id"]) for o in doc["objects"] if o["type"] == "eventpoll"]:
        ep = objs[f"eventpoll:0x{ep_addr:x}"]
        items = []
        for iid in ep["rbtree"]["inorder"]:
            e = objs[iid]
            fid = e["file"]
            f = objs.get(fid, {})
            kind = f.get("kind", "other")
            kind = kind if kind in KIND_OF_FOPS.values() else "other"
            finfo: Dict[str, Any] = {
                "kind": kind,
                "epitems": sorted(addr(x) for x in f.get("epitems", [])),
            }
            priv = objs.get(f.get("private") or "", {})
            if kind == "eventfd":
                finfo["count"] = priv.get("count")
                head(priv["wqh"])
            elif kind == "pipe":
                head(priv["rd_wait"])
                head(priv["wr_wait"])
            files[addr(fid)] = finfo
            for p in e.get("pwqs", []):
                head(p["head"])
            items.append(
                {
                    "epitem": addr(iid),
                    "tfd": e["tfd"],
                    "events": e["events"],
                    "data": e["data"],
                    "file": addr(fid),
                    "color": e["color"],
                    "parent": addr(e["rb"]["parent"]),
                    "on_ovflist": e["on_ovflist"],
                    "pwqs": [(addr(p["entry"]), addr(p["head"])) for p in e.get("pwqs", [])],
                }
            )
        head(ep["wq_head"])
        head(ep["poll_wait_head"])
        out_eps[ep_addr] = {
            "items": items,
            "ready": [addr(x) for x in ep["ready"]],
            "wq": [addr(x) for x in ep["wq"]],
            "poll_wait": [addr(x) for x in ep["poll_wait"]],
        }
    return {"eps": out_eps, "files": files, "heads": heads}
