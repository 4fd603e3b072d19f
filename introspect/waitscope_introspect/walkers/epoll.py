# SPDX-License-Identifier: MIT
"""
epoll
-----

An epoll instance is a ``struct eventpoll`` (fs/eventpoll.c): a red-black
tree ``rbr`` of ``struct epitem`` keyed by (file, fd), a ready list
``rdllist`` linked through ``epitem.rdllink``, an overflow list ``ovflist``
(a singly linked chain through ``epitem.next``, renamed ``ovflist_next`` in
later kernels; ``EP_UNACTIVE_PTR`` = ``(void *)-1`` when no scan is running),
and two wait queues: ``wq`` (tasks in epoll_wait) and ``poll_wait`` (others
polling this epoll: nested epolls, poll()). Each epitem hooks the target
file's wait queue(s) with a chain of ``struct eppoll_entry`` (``pwqlist``,
singly linked through ``next`` since Linux commit 80285b75c683 ("get rid of
the ->llink list in eppoll_entry", v5.11); ``llink`` before).

The ``*_for_each_*`` generators are drgn-helper-style walks of one object;
:func:`eventpolls_gather` reads many instances and all their epitems at once.
"""

from typing import Dict, Iterator, List, NamedTuple, Tuple

import drgn
import numpy as np
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.rbtree import rbtree_inorder_for_each_entry

from ..kernel import KernelView
from ..memory import index_of
from .rbtree import RbForest, rbforest_by_address, rbtree_check, rbtrees_gather

__all__ = (
    "EP_UNACTIVE_PTR",
    "EpBatch",
    "ep_for_each_epitem",
    "ep_for_each_ready",
    "epitem_for_each_pwq",
    "epitem_ovflist_member",
    "eventpolls_gather",
)

EP_UNACTIVE_PTR = 0xFFFFFFFFFFFFFFFF


def epitem_ovflist_member(prog: drgn.Program) -> str:
    """
    The epitem member chaining the overflow list: ``next``, renamed
    ``ovflist_next`` in the 6.12 kernel used by the lab (probed, not versioned).
    """
    t = prog.type("struct epitem")
    return "ovflist_next" if t.has_member("ovflist_next") else "next"


def ep_for_each_epitem(ep: drgn.Object) -> Iterator[drgn.Object]:
    """
    Iterate over the epitems of an epoll instance, in tree (file, fd) order.

    :param ep: ``struct eventpoll *``
    :return: Iterator of ``struct epitem *`` objects.
    """
    return rbtree_inorder_for_each_entry("struct epitem", ep.rbr.rb_root.address_of_(), "rbn")


def ep_for_each_ready(ep: drgn.Object) -> Iterator[drgn.Object]:
    """
    Iterate over the ready list of an epoll instance, in the order epoll_wait reports it.

    :param ep: ``struct eventpoll *``
    :return: Iterator of ``struct epitem *`` objects.
    """
    return list_for_each_entry("struct epitem", ep.rdllist.address_of_(), "rdllink")


def epitem_for_each_pwq(epi: drgn.Object) -> Iterator[drgn.Object]:
    """
    Iterate over the wait queue hooks of an epitem.

    :param epi: ``struct epitem *``
    :return: Iterator of ``struct eppoll_entry *`` objects.
    """
    try:
        pwq = epi.pwqlist.read_()
    except AttributeError:
        # Before Linux v5.11 the hooks were a list_head (pwqlist/llink).
        yield from list_for_each_entry("struct eppoll_entry", epi.pwqlist.address_of_(), "llink")
        return
    n = 0
    while pwq:
        yield pwq
        pwq = pwq.next.read_()
        n += 1
        if n > 1024:
            raise ValueError("eppoll_entry chain too long (cycle?)")


class EpBatch(NamedTuple):
    """Eventpolls and their epitems, read in bulk."""

    eps: np.ndarray  # struct eventpoll addresses (as given)
    ep: Dict[str, np.ndarray]  # eventpoll fields per row
    ep_ok: np.ndarray
    forest: RbForest  # rbtree nodes of all eps (node row = epitem row)
    epi: np.ndarray  # epitem addresses, one per forest node
    epi_ep_row: np.ndarray  # row in eps
    f: Dict[str, np.ndarray]  # epitem fields
    epi_ok: np.ndarray
    ready: List[List[int]]  # per ep: epitem addresses in rdllist order
    ovflist: List[List[int]]
    ready_bad: List[bool]  # per ep: the ready list could not be followed to its end
    pwq_offsets: np.ndarray  # CSR over epitems
    pwq: np.ndarray  # eppoll_entry addresses in chain order
    pwq_whead: np.ndarray
    pwq_base: np.ndarray
    violations: List[Tuple[int, str]]  # (ep row, message) from the rbtree check


EP_FIELDS = (
    "rbr.rb_root.rb_node",
    "rbr.rb_leftmost",
    "rdllist.next",
    "rdllist.prev",
    "ovflist",
    "file",
    "mtx.owner.counter",
    "ws",
    "user",
)


def eventpolls_gather(kv: KernelView, eps: np.ndarray) -> EpBatch:
    """Read ``eps`` (``struct eventpoll *``) with every epitem, ready list, overflow list and hook."""
    mem = kv.mem
    le = kv.layouts["struct eventpoll"]
    li = kv.layouts["struct epitem"]
    eps = np.asarray(eps, np.uint64)
    fields = [p for p in EP_FIELDS if le.has(p)]
    for opt in ("gen", "loop_check_depth", "refcount.refs.counter", "napi_id"):
        if le.has(opt):
            fields.append(opt)
    epf, ep_ok = mem.fields(le, eps, fields)
    lock, _ = mem.gather(eps, le.off("lock"), "u32")
    epf["lock"] = lock
    roots = np.where(ep_ok, epf["rbr.rb_root.rb_node"], 0)
    rbn = li.off("rbn")
    forest = rbforest_by_address(rbtrees_gather(kv, roots, kv.limits["max_rbtree"]))
    epi = forest.node - np.uint64(rbn)
    ovf_m = li.first("ovflist_next", "next")
    epi_fields = [
        "rdllink.next",
        "rdllink.prev",
        ovf_m,
        "ffd.file",
        "ffd.fd",
        "pwqlist",
        "ep",
        "ws",
        "event.events",
        "event.data",
    ]
    for opt in ("dying",):
        if li.has(opt):
            epi_fields.append(opt)
    f, epi_ok = mem.fields(li, epi, epi_fields)
    f["ovflist_next"] = f.pop(ovf_m)
    epi_ok &= forest.ok
    violations: List[Tuple[int, str]] = []
    for msg in rbtree_check(forest, (f["ffd.file"], f["ffd.fd"].astype(np.int64))):
        violations.append((-1, msg))

    # Ready lists: follow rdllink.next through the epitems already read (an
    # index array, so the Python loop touches only ready items); an item not
    # in the tree (mid-update memory) is read on its own.
    o_rdl = li.off("rdllink")
    order = np.argsort(epi)
    sorted_epi = epi[order]

    def rows_of(nodes: np.ndarray) -> np.ndarray:
        i = index_of(sorted_epi, nodes - np.uint64(o_rdl))
        return np.where(i >= 0, order[np.maximum(i, 0)], -1)

    nexts_arr = f["rdllink.next"]
    next_row = rows_of(nexts_arr).tolist()
    nexts = nexts_arr.tolist()
    epi_l = epi.tolist()
    cap = kv.limits["max_list"]
    ready: List[List[int]] = []
    ready_bad: List[bool] = []
    anchors = (eps + np.uint64(le.off("rdllist"))).tolist()
    firsts_arr = epf["rdllist.next"]
    first_row = rows_of(firsts_arr).tolist()
    firsts = firsts_arr.tolist()
    for e in range(len(eps)):
        out: List[int] = []
        bad = not bool(ep_ok[e])
        node, r = firsts[e], first_row[e]
        anchor = anchors[e]
        while not bad and node != anchor:
            if len(out) >= cap or not node:
                bad = True
                break
            if r >= 0:
                out.append(epi_l[r])
                node, r = nexts[r], next_row[r]
                continue
            out.append(node - o_rdl)
            try:
                node = kv.mem.scalar(node, "u64")
            except drgn.FaultError:
                bad = True
            r = int(rows_of(np.array([node], np.uint64))[0])
        ready.append(out)
        ready_bad.append(bad)

    # Overflow lists: ep->ovflist, then each epitem's ovflist_next, to NULL.
    ovflist: List[List[int]] = [[] for _ in range(len(eps))]
    heads = epf["ovflist"]
    active = np.nonzero(ep_ok & (heads != 0) & (heads != np.uint64(EP_UNACTIVE_PTR)))[0]
    if len(active):
        ovn = f["ovflist_next"]
        ovf_row_of = dict(zip(epi_l, range(len(epi_l))))
        for e in active.tolist():
            out = ovflist[e]
            p = int(heads[e])
            while p and p != EP_UNACTIVE_PTR and len(out) < cap:
                out.append(p)
                r = ovf_row_of.get(p)
                if r is not None:
                    p = int(ovn[r])
                else:
                    try:
                        p = mem.scalar(p + li.off(ovf_m), "u64")
                    except drgn.FaultError:
                        break

    # eppoll_entry chains (next), level by level across all epitems.
    lp = kv.layouts["struct eppoll_entry"]
    o_next = lp.off(lp.first("next"))
    rows = np.nonzero(epi_ok & (f["pwqlist"] != 0))[0]
    cur = f["pwqlist"][rows]
    rec_r, rec_p, rec_s = [], [], []
    step = 0
    while len(rows) and step < 64:
        rec_r.append(rows)
        rec_p.append(cur)
        rec_s.append(np.full(len(rows), step, np.int64))
        nxt, ok = mem.gather(cur, o_next, "u64")
        keep = ok & (nxt != 0)
        rows, cur = rows[keep], nxt[keep]
        step += 1
    if rec_r:
        rr = np.concatenate(rec_r)
        pp = np.concatenate(rec_p)
        ss = np.concatenate(rec_s)
        o = np.lexsort((ss, rr))
        rr, pp = rr[o], pp[o]
    else:
        rr, pp = np.zeros(0, np.int64), np.zeros(0, np.uint64)
    counts = np.bincount(rr, minlength=len(epi)) if len(epi) else np.zeros(0, np.int64)
    pwq_offsets = np.zeros(len(epi) + 1, np.int64)
    np.cumsum(counts, out=pwq_offsets[1:])
    pf, _ = mem.fields(lp, pp, ("whead", "base"))
    whead, base = pf["whead"], pf["base"]
    return EpBatch(
        eps,
        epf,
        ep_ok,
        forest,
        epi,
        forest.tree,
        f,
        epi_ok,
        ready,
        ovflist,
        ready_bad,
        pwq_offsets,
        pp,
        whead,
        base,
        violations,
    )
