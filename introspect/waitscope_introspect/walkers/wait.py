# SPDX-License-Identifier: MIT
"""
Wait queues
-----------

``wait_queue_head_t`` is a spinlock and a ``list_head`` of ``struct
wait_queue_entry`` (``flags``, ``private``, ``func``, ``entry``).
:func:`waitqueue_for_each_entry` is the drgn-helper-style walk of one queue;
:func:`wait_heads_gather` walks many queues at once and
:func:`wait_entries_decode` names each entry's wake function and its owner:

* ``ep_poll_callback``: the entry is ``eppoll_entry.wait``; the owner is the
  epitem (``eppoll_entry.base``), whose ``ep`` is the watching epoll.
* ``pollwake``: the entry is ``poll_table_entry.wait`` and ``private`` the
  ``struct poll_wqueues`` of a poll()/select() caller; the owner is its
  ``polling_task``.
* ``default_wake_function``, ``autoremove_wake_function``,
  ``ep_autoremove_wake_function``, ``woken_wake_function``,
  ``wake_bit_function``, ``receiver_wake_function``, ...: ``private`` is the
  sleeping task (checked against the task list; an unknown function whose
  ``private`` is not a known task gets no owner, and its symbol is kept).
"""

from typing import Iterator, List, NamedTuple, Optional, Tuple

import drgn
import numpy as np
from drgn.helpers.linux.list import list_for_each_entry

from ..kernel import KernelView

__all__ = (
    "HeadSet",
    "WaitBatch",
    "wait_entries_decode",
    "wait_flag_names",
    "wait_heads_gather",
    "waitqueue_for_each_entry",
)

# Wake functions whose entry's private is the sleeping task.
TASK_FUNCS = {
    "default_wake_function",
    "autoremove_wake_function",
    "ep_autoremove_wake_function",
    "woken_wake_function",
    "wake_bit_function",
    "var_wake_function",
    "receiver_wake_function",
    "child_wait_callback",
    "io_wake_function",
    "wake_page_function",
}


def waitqueue_for_each_entry(wq_head: drgn.Object) -> Iterator[drgn.Object]:
    """
    Iterate over the entries of a wait queue.

    :param wq_head: ``wait_queue_head_t *``
    :return: Iterator of ``struct wait_queue_entry *`` objects.
    """
    return list_for_each_entry("struct wait_queue_entry", wq_head.head.address_of_(), "entry")


def wait_flag_names(kv: KernelView, flags: int) -> List[str]:
    """
    Names of ``WQ_FLAG_*`` bits. They are macros (not in DWARF), and Linux v6.7
    renumbered them when it removed wait-queue bookmarks (series "Remove use of
    wait bookmarks", Matthew Wilcox, 2023): probe for the bookmark API.
    """
    if kv.func_addr("__wake_up_locked_key_bookmark") is not None:
        names = ["EXCLUSIVE", "WOKEN", "BOOKMARK", "CUSTOM", "DONE", "PRIORITY"]
    else:
        names = ["EXCLUSIVE", "WOKEN", "CUSTOM", "DONE", "PRIORITY"]
    out = [n for i, n in enumerate(names) if flags & (1 << i)]
    rest = flags & ~((1 << len(names)) - 1)
    if rest:
        out.append(f"0x{rest:x}")
    return out


class WaitBatch(NamedTuple):
    """Entries of many wait queue heads, in list order per head."""

    heads: np.ndarray  # wait_queue_head addresses (uint64), as given
    offsets: np.ndarray  # CSR: entries of heads[i] are entries[offsets[i]:offsets[i+1]]
    entries: np.ndarray  # struct wait_queue_entry addresses
    head_row: np.ndarray  # row in heads of each entry
    flags: np.ndarray
    private: np.ndarray
    func: np.ndarray
    ok: np.ndarray  # entry readable
    head_ok: np.ndarray
    locked: np.ndarray  # per head: spinlock held
    truncated: np.ndarray  # per head: the walk stopped (cap, unreadable link)


def wait_heads_gather(kv: KernelView, heads: np.ndarray) -> WaitBatch:
    """Walk the entry lists of all ``heads`` (``wait_queue_head_t *``), bounded."""
    lh = kv.layouts["struct wait_queue_head"]
    le = kv.layouts["struct wait_queue_entry"]
    o_list = lh.off("head")
    o_entry = le.off("entry")
    mem = kv.mem
    cap = kv.limits["max_list"]
    heads = np.asarray(heads, np.uint64)
    n = len(heads)
    lock, head_ok = mem.gather(heads, lh.off("lock"), "u32")
    locked = (lock & 0xFF) != 0
    anchor = heads + np.uint64(o_list)
    first, ok = mem.gather(heads, o_list, "u64")
    head_ok &= ok
    truncated = ~head_ok
    rows = np.nonzero(head_ok & (first != anchor))[0]
    cur = first[rows]
    rec_row: List[np.ndarray] = []
    rec_node: List[np.ndarray] = []
    rec_step: List[np.ndarray] = []
    step = 0
    while len(rows):
        if step >= cap:
            truncated[rows] = True
            break
        rec_row.append(rows)
        rec_node.append(cur)
        rec_step.append(np.full(len(rows), step, np.int64))
        nxt, ok = mem.gather(cur, 0, "u64")
        truncated[rows[~ok]] = True
        keep = ok & (nxt != anchor[rows])
        rows, cur = rows[keep], nxt[keep]
        step += 1
        if 0 < len(rows) <= 2 and step > 32:
            # A few long lists: a scalar walk beats one gather per element.
            for r, c in zip(rows.tolist(), cur.tolist()):
                a = int(anchor[r])
                nodes: List[int] = []
                s = step
                while c != a:
                    if s >= cap:
                        truncated[r] = True
                        break
                    nodes.append(c)
                    try:
                        c = mem.scalar(c, "u64")
                    except drgn.FaultError:
                        truncated[r] = True
                        break
                    s += 1
                rec_row.append(np.full(len(nodes), r, np.int64))
                rec_node.append(np.array(nodes, np.uint64))
                rec_step.append(np.arange(step, step + len(nodes), dtype=np.int64))
            break
    if rec_row:
        row = np.concatenate(rec_row)
        node = np.concatenate(rec_node)
        stp = np.concatenate(rec_step)
        order = np.lexsort((stp, row))
        row, node = row[order], node[order]
    else:
        row = np.zeros(0, np.int64)
        node = np.zeros(0, np.uint64)
    counts = np.bincount(row, minlength=n) if n else np.zeros(0, np.int64)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    entries = node - np.uint64(o_entry)
    cols, eok = mem.fields(le, entries, ("flags", "private", "func"))
    return WaitBatch(
        heads,
        offsets,
        entries,
        row,
        cols["flags"],
        cols["private"],
        cols["func"],
        eok,
        head_ok,
        locked,
        truncated,
    )


OWNER_TYPES = ["task", "epitem"]  # owner_type codes 0 and 1; -1 = no owner
OWNER_KINDS = ["task", "epitem", "poll", "unknown"]


class WaitOwners(NamedTuple):
    func_names: List[str]  # categories
    func_code: np.ndarray  # per entry
    owner: np.ndarray  # owner address (0 = none)
    owner_type: np.ndarray  # index into OWNER_TYPES, -1 = none
    owner_kind: np.ndarray  # index into OWNER_KINDS
    eppoll_entry: np.ndarray  # for ep_poll_callback, else 0
    poll_file: np.ndarray  # for pollwake: the file polled


def wait_entries_decode(kv: KernelView, batch: WaitBatch, tasks: np.ndarray) -> WaitOwners:
    """
    Name each entry's function and find its owner (see the module docstring).

    :param tasks: sorted addresses of every task, to recognise ``private`` task pointers.
    """
    n = len(batch.entries)
    ufunc, code = np.unique(batch.func, return_inverse=True)
    names = [kv.syms.func(f) for f in ufunc.tolist()]
    owner = np.zeros(n, np.uint64)
    otype = np.full(n, -1, np.int64)
    okind = np.full(n, 3, np.int64)
    epe = np.zeros(n, np.uint64)
    pfile = np.zeros(n, np.uint64)
    if not n:
        return WaitOwners(names, code.astype(np.int64), owner, otype, okind, epe, pfile)
    ucode = np.array(names, dtype=object)
    is_ep = (ucode == "ep_poll_callback")[code]
    is_poll = (ucode == "pollwake")[code]
    is_taskf = np.isin(ucode, list(TASK_FUNCS))[code]
    if is_ep.any():
        lpe = kv.layouts["struct eppoll_entry"]
        idx = np.nonzero(is_ep)[0]
        pe = batch.entries[idx] - np.uint64(lpe.off("wait"))
        base, ok = kv.mem.gather(pe, lpe.off("base"), "u64")
        epe[idx] = pe
        owner[idx] = np.where(ok, base, 0)
        otype[idx] = 1
        okind[idx] = 1
    if is_poll.any():
        lpw = kv.layouts["struct poll_wqueues"]
        lpt = kv.layouts["struct poll_table_entry"]
        idx = np.nonzero(is_poll)[0]
        task, ok = kv.mem.gather(batch.private[idx], lpw.off("polling_task"), "u64")
        owner[idx] = np.where(ok, task, 0)
        pte = batch.entries[idx] - np.uint64(lpt.off("wait"))
        filp, _ = kv.mem.gather(pte, lpt.off("filp"), "u64")
        pfile[idx] = filp
        otype[idx] = 0
        okind[idx] = 2
    rest = ~is_ep & ~is_poll
    priv = batch.private
    known = np.isin(priv, tasks) if len(tasks) else np.zeros(n, bool)
    sel = rest & (priv != 0) & (is_taskf | known)
    owner[sel] = priv[sel]
    otype[sel] = 0
    okind[sel] = 0
    return WaitOwners(names, code.astype(np.int64), owner, otype, okind, epe, pfile)


CONTAINER_TYPES = ["eventpoll", "pipe", "eventfd", "socket", "timerfd", "vpoll", "simrupt"]
FIELDS = ["wq", "poll_wait", "rd_wait", "wr_wait", "wqh", "rx_wait"]


class HeadSet:
    """Wait queue heads to walk, with the object and member each is embedded in."""

    def __init__(self) -> None:
        self._parts: List[Tuple[np.ndarray, int, np.ndarray, int]] = []
        self._cache = None

    def add(
        self,
        addrs: np.ndarray,
        ctype: str = "",
        caddrs: Optional[np.ndarray] = None,
        field: str = "",
    ) -> None:
        addrs = np.asarray(addrs, np.uint64)
        if not len(addrs):
            return
        ct = CONTAINER_TYPES.index(ctype) if ctype else -1
        fi = FIELDS.index(field) if field else -1
        ca = np.zeros(len(addrs), np.uint64) if caddrs is None else np.asarray(caddrs, np.uint64)
        self._parts.append((addrs, ct, ca, fi))
        self._cache = None

    def arrays(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(heads, container type, container address, field)``, sorted by head;
        a head known with a container keeps that one."""
        if self._cache is None:
            if not self._parts:
                z = np.zeros(0, np.uint64)
                self._cache = (z, np.zeros(0, np.int64), z, np.zeros(0, np.int64))
            else:
                h = np.concatenate([p[0] for p in self._parts])
                ct = np.concatenate([np.full(len(p[0]), p[1], np.int64) for p in self._parts])
                ca = np.concatenate([p[2] for p in self._parts])
                fi = np.concatenate([np.full(len(p[0]), p[3], np.int64) for p in self._parts])
                # Known containers first, then by address; keep the first of each head.
                order = np.lexsort((ct < 0, h))
                h, ct, ca, fi = h[order], ct[order], ca[order], fi[order]
                first = np.ones(len(h), bool)
                first[1:] = h[1:] != h[:-1]
                self._cache = (h[first], ct[first], ca[first], fi[first])
        return self._cache
