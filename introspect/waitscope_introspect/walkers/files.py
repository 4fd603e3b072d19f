# SPDX-License-Identifier: MIT
"""
Files
-----

:func:`fdtable_gather` reads a process's fd table (``files_struct.fdt``) in
one read; :func:`files_gather` reads many ``struct file`` at once and
classifies them by ``f_op`` (``eventpoll_fops``, ``pipefifo_fops``,
``eventfd_fops``, ``socket_file_ops``, ``timerfd_fops``, ``vpoll_fops``,
``simrupt_fops``, ...) and by inode (regular files, anonymous inodes);
:func:`file_watchers_gather` follows ``file.f_ep`` to the epitems watching
each file. The objects behind files (``pipe_inode_info``, ``eventfd_ctx``,
``socket``, ``timerfd_ctx``, ``vpoll_data``) are read by
:func:`privates_gather`, each with the wait queue head(s) it embeds.
"""

from typing import Dict, List, NamedTuple, Optional, Tuple

import drgn
import numpy as np
from drgn.helpers.linux.fs import d_path

from ..kernel import KernelView

__all__ = (
    "FileBatch",
    "fdtable_gather",
    "file_watchers_gather",
    "files_gather",
    "privates_gather",
)

# f_op symbol -> file kind (module fops resolve through the module's symbols).
FOPS_KINDS = {
    "eventpoll_fops": "eventpoll",
    "pipefifo_fops": "pipe",
    "eventfd_fops": "eventfd",
    "socket_file_ops": "socket",
    "timerfd_fops": "timerfd",
    "signalfd_fops": "signalfd",
    "vpoll_fops": "vpoll",
    "vpoll_events_fops": "vpoll_events",
    "simrupt_fops": "simrupt",
    "tty_fops": "tty",
    "hung_up_tty_fops": "tty",
    "ptmx_fops": "tty",
    "console_fops": "tty",
}
PIPEFS_MAGIC = 0x50495045
ANON_INODE_FS_MAGIC = 0x09041934
S_IFMT, S_IFREG, S_IFDIR, S_IFCHR = 0o170000, 0o100000, 0o040000, 0o020000


def fdtable_gather(
    kv: KernelView, files_struct: int
) -> Tuple[np.ndarray, np.ndarray, Optional[str]]:
    """
    The open fds of a ``struct files_struct``.

    :return: ``(fds, file addresses, problem)``; problem is None when complete.
    """
    lf = kv.layouts["struct files_struct"]
    lt = kv.layouts["struct fdtable"]
    try:
        fdt = kv.mem.scalar(files_struct + lf.off("fdt"), "u64")
        max_fds = kv.mem.scalar(fdt + lt.off("max_fds"), "u32")
        arr = kv.mem.scalar(fdt + lt.off("fd"), "u64")
    except drgn.FaultError as e:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64), f"fd table unreadable: {e}"
    problem = None
    if max_fds > kv.limits["max_fds"]:
        problem = f"fd table of {max_fds} slots capped at {kv.limits['max_fds']}"
        max_fds = kv.limits["max_fds"]
    try:
        raw = kv.prog.read(arr, 8 * max_fds)
    except drgn.FaultError as e:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64), f"fd array unreadable: {e}"
    ptrs = np.frombuffer(raw, np.uint64)
    fds = np.nonzero(ptrs)[0].astype(np.int64)
    return fds, ptrs[fds].copy(), problem


KINDS = [
    "eventpoll",
    "pipe",
    "fifo",
    "eventfd",
    "socket",
    "timerfd",
    "signalfd",
    "vpoll",
    "vpoll_events",
    "simrupt",
    "tty",
    "regular",
    "anon",
    "other",
]
K = {k: i for i, k in enumerate(KINDS)}


class FileBatch(NamedTuple):
    files: np.ndarray
    ok: np.ndarray
    f: Dict[str, np.ndarray]
    kind: np.ndarray  # index into KINDS
    fop_names: List[str]  # categories
    fop_code: np.ndarray
    names: List[Optional[str]]  # categories
    name_code: np.ndarray
    ino: np.ndarray

    def kind_name(self, i: int) -> str:
        return KINDS[int(self.kind[i])]


def files_gather(kv: KernelView, files: np.ndarray) -> FileBatch:
    """Read and classify ``struct file`` objects."""
    lf = kv.layouts["struct file"]
    mem = kv.mem
    files = np.asarray(files, np.uint64)
    paths = ["f_op", "private_data", "f_flags", "f_mode", "f_inode", "f_path.dentry"]
    count = lf.first("f_count.counter", "f_ref.refcnt.counter")
    paths.append(count)
    if lf.has("f_ep"):
        paths.append("f_ep")
    f, ok = mem.fields(lf, files, paths)
    f["refs"] = f.pop(count)
    li = kv.layouts["struct inode"]
    ic, _ = mem.fields(li, f["f_inode"], ("i_mode", "i_ino", "i_sb"))
    mode = ic["i_mode"]
    ino = ic["i_ino"]
    magic, _ = mem.gather(ic["i_sb"], kv.layouts["struct super_block"].off("s_magic"), "u64")
    f["i_mode"] = mode
    ufops, fop_code = np.unique(f["f_op"], return_inverse=True)
    fop_names = []
    ukind = np.full(len(ufops), -1, np.int64)
    for j, fop in enumerate(ufops.tolist()):
        name = kv.syms.name(fop) or (f"0x{fop:x}" if fop else "")
        fop_names.append(name)
        k = FOPS_KINDS.get(name)
        if k is not None:
            ukind[j] = K[k]
    kind = ukind[fop_code]
    kind[(kind == K["pipe"]) & (magic != PIPEFS_MAGIC)] = K["fifo"]
    unknown = kind < 0
    fmt = mode & S_IFMT
    kind[unknown & (fmt == S_IFREG)] = K["regular"]
    kind[unknown & (fmt != S_IFREG) & (magic == ANON_INODE_FS_MAGIC)] = K["anon"]
    kind[kind < 0] = K["other"]
    names, name_code = _file_names(kv, files, f["f_path.dentry"], kind, ino, ok)
    return FileBatch(
        files, ok, f, kind, fop_names, fop_code.astype(np.int64), names, name_code, ino
    )


NAMED_BY_INODE = (K["pipe"], K["socket"])
NAMED_BY_PATH = (
    K["regular"],
    K["fifo"],
    K["other"],
    K["tty"],
    K["vpoll"],
    K["vpoll_events"],
    K["simrupt"],
)


def _unique_rows(rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """
    Distinct rows of a byte matrix and each row's index among them, by a
    64-bit hash of the row (a sort of integers, not of strings), verified
    exactly: a collision falls back to sorting the rows themselves.
    """
    n, k = rows.shape
    pad = (-k) % 8
    w = np.concatenate([rows, np.zeros((n, pad), np.uint8)], axis=1) if pad else rows
    w = np.ascontiguousarray(w).view("<u8")
    h = np.zeros(n, np.uint64)
    for j in range(w.shape[1]):
        h = (h ^ w[:, j]) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    _, first, inv = np.unique(h, return_index=True, return_inverse=True)
    if np.array_equal(w, w[first][inv]):
        return rows[first], inv.reshape(-1)
    sv = np.ascontiguousarray(rows).view(f"S{k}").reshape(-1)
    u, inv = np.unique(sv, return_inverse=True)
    return np.frombuffer(u.tobytes(), np.uint8).reshape(len(u), k), inv.reshape(-1)


def _file_names(kv, files, dentries, kind, ino, ok) -> Tuple[List[Optional[str]], np.ndarray]:
    """
    d_name for pseudo files ("[eventfd]"), "pipe:[ino]"/"socket:[ino]" as
    /proc shows them, the path for the rest; as categories and codes.
    """
    ld = kv.layouts["struct dentry"]
    n = len(files)
    name_off = ld.off("d_name.name")
    inline_off = ld.off("d_iname")
    inline_len = ld.msize("d_iname")
    by_inode = np.isin(kind, NAMED_BY_INODE)
    by_path = np.isin(kind, NAMED_BY_PATH)
    # Files that share a dentry (all anonymous-inode files of a kind:
    # "[eventfd]", "[eventpoll]", ...) share its name: each dentry is read and
    # decoded once.
    want = np.nonzero(ok & ~by_inode & ~by_path)[0]
    dents, dinv = np.unique(dentries[want], return_inverse=True)
    dinv = dinv.reshape(-1)
    nd = len(dents)
    if kv.mem.bulk_rows and 0 <= inline_off - name_off <= 64:
        # The name pointer and the inline name in one copy per dentry.
        block, ok1 = kv.mem.gather_bytes(dents, name_off, inline_off + inline_len - name_off)
        name_ptr = block[:, :8].copy().view(np.uint64).reshape(-1)
        raw = block[:, inline_off - name_off :]
        ok2 = ok1
    else:
        name_ptr, ok1 = kv.mem.gather(dents, name_off, "u64")
        if inline_len % 8 == 0 and inline_off % 8 == 0:
            # Eight bytes at a time: much cheaper than a byte gather.
            words, ok2 = [], ok1.copy()
            for w in range(inline_len // 8):
                v, o = kv.mem.gather(dents, inline_off + 8 * w, "u64")
                words.append(v)
                ok2 &= o
            raw = np.stack(words, axis=1).view(np.uint8) if words else np.zeros((nd, 0), np.uint8)
        else:
            raw, ok2 = kv.mem.gather_bytes(dents, inline_off, inline_len)
    inline = ok1 & ok2 & (name_ptr == dents + np.uint64(inline_off))  # per dentry
    use_inline = np.zeros(n, bool)
    use_inline[want] = inline[dinv]
    cats: List[Optional[str]] = [None]
    codes = np.zeros(n, np.int64)
    drows = np.nonzero(inline)[0]
    if len(drows):
        uniq, inv = _unique_rows(np.ascontiguousarray(raw[drows]))
        base = len(cats)
        cats += [bytes(u).split(b"\0", 1)[0].decode("utf-8", "backslashreplace") for u in uniq]
        dcode = np.zeros(nd, np.int64)
        dcode[drows] = base + inv
        sel = inline[dinv]
        codes[want[sel]] = dcode[dinv[sel]]
    slow = np.nonzero(ok & ~use_inline & ~by_inode)[0]
    for i in np.nonzero(ok & by_inode)[0].tolist():
        cats.append(f"{KINDS[int(kind[i])]}:[{int(ino[i])}]")
        codes[i] = len(cats) - 1
    if len(slow):
        ftype = kv.prog.type("struct file *")
        for i in slow[:4096].tolist():
            try:
                fobj = drgn.Object(kv.prog, ftype, int(files[i]))
                cats.append(d_path(fobj.f_path.address_of_()).decode("utf-8", "backslashreplace"))
                codes[i] = len(cats) - 1
            except (drgn.FaultError, ValueError, LookupError):
                pass
    return cats, codes


def file_watchers_gather(kv: KernelView, fb: FileBatch) -> Tuple[np.ndarray, np.ndarray]:
    """
    The epitems on each file's ``f_ep`` list (``struct epitems_head``, chained
    through ``epitem.fllink``).

    :return: CSR ``(offsets, epitem addresses)`` over ``fb.files``.
    """
    n = len(fb.files)
    if "f_ep" not in fb.f:
        return np.zeros(n + 1, np.int64), np.zeros(0, np.uint64)
    li = kv.layouts["struct epitem"]
    o_fl = li.off("fllink")
    heads = fb.f["f_ep"]
    rows = np.nonzero(fb.ok & (heads != 0))[0]
    # f_ep points at an epitems_head whose first member is the hlist_head.
    first, ok = kv.mem.gather(heads[rows], 0, "u64")
    keep = ok & (first != 0)
    rows, cur = rows[keep], first[keep]
    rec_r, rec_n, rec_s = [], [], []
    step = 0
    while len(rows) and step < kv.limits["max_list"]:
        rec_r.append(rows)
        rec_n.append(cur)
        rec_s.append(np.full(len(rows), step, np.int64))
        nxt, ok = kv.mem.gather(cur, 0, "u64")
        keep = ok & (nxt != 0)
        rows, cur = rows[keep], nxt[keep]
        step += 1
    if not rec_r:
        return np.zeros(n + 1, np.int64), np.zeros(0, np.uint64)
    rr = np.concatenate(rec_r)
    nn = np.concatenate(rec_n)
    ss = np.concatenate(rec_s)
    o = np.lexsort((ss, rr))
    rr, nn = rr[o], nn[o]
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rr, minlength=n), out=offsets[1:])
    return offsets, nn - np.uint64(o_fl)


# Per private-object type: C type, wait queue head members, integer fields.
PRIVATES = {
    "pipe": (
        "struct pipe_inode_info",
        ("rd_wait", "wr_wait"),
        ("head", "tail", "ring_size", "readers", "writers"),
    ),
    "fifo": (
        "struct pipe_inode_info",
        ("rd_wait", "wr_wait"),
        ("head", "tail", "ring_size", "readers", "writers"),
    ),
    "eventfd": ("struct eventfd_ctx", ("wqh",), ("count", "flags")),
    "socket": ("struct socket", ("wq.wait",), ("state", "type", "sk")),
    "timerfd": ("struct timerfd_ctx", ("wqh",), ("ticks", "clockid", "t.tmr.node.expires")),
    "vpoll": ("struct vpoll_data", ("wqh",), ("events", "id")),
}
PRIVATE_TYPES = {
    "pipe": "pipe",
    "fifo": "pipe",
    "eventfd": "eventfd",
    "socket": "socket",
    "timerfd": "timerfd",
}
PRIVATE_TYPES.update({"vpoll": "vpoll", "eventpoll": "eventpoll"})


class PrivateBatch(NamedTuple):
    type: str
    addrs: np.ndarray
    ok: np.ndarray
    f: Dict[str, np.ndarray]
    heads: Dict[str, np.ndarray]  # member -> wait_queue_head addresses


def privates_gather(kv: KernelView, kind: str, addrs: np.ndarray) -> Optional[PrivateBatch]:
    """Read the objects behind files of one kind (None when the type is unknown here)."""
    spec = PRIVATES.get(kind)
    if spec is None:
        return None
    ctype, heads, fields = spec
    lay = kv.layouts.get(ctype)
    if lay is None:
        return None
    addrs = np.unique(np.asarray(addrs, np.uint64))
    addrs = addrs[addrs != 0]
    present = [p for p in fields if lay.has(p) and lay.kind(p) != "bytes"]
    f, ok = kv.mem.fields(lay, addrs, present)
    if kind == "socket" and "sk" in f:
        ls = kv.layouts["struct sock"]
        fam, _ = kv.mem.gather(f["sk"], ls.off("__sk_common.skc_family"), "u16")
        f["family"] = fam
    hd = {h: addrs + np.uint64(lay.off(h)) for h in heads if lay.has(h)}
    return PrivateBatch(PRIVATE_TYPES[kind], addrs, ok, f, hd)
