# SPDX-License-Identifier: MIT
"""
Bulk kernel memory access
-------------------------

The snapshot walkers read thousands of objects of a few C types. Reading them
member by member through :class:`drgn.Object` costs microseconds per member;
here they are read in bulk instead:

* :class:`Layout` takes member offsets and sizes from DWARF once per type, so
  no offset is ever hard-coded and a renamed member is one probe
  (:meth:`Layout.first`).
* :class:`KernelMemory` gathers one member of many objects at once
  (:meth:`KernelMemory.gather`). Addresses in the kernel's direct map (slab
  objects: epitems, files, eventfd contexts, ...) are translated to physical
  addresses and served from a cache of 16 KiB chunks, each read with one
  :meth:`drgn.Program.read`; other addresses (module data, vmalloc'd stacks,
  the kernel image) fall back to one drgn read per object. Unreadable memory
  never raises here: every gather returns an ``ok`` mask beside the values.
"""

import struct
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import drgn
import numpy as np

try:  # bulk gathers in C++ (native/gather.hpp), when the build put them here
    from . import _wsnative as _native  # type: ignore
except ImportError:  # pragma: no cover - depends on the build
    _native = None

__all__ = (
    "AddrIndex",
    "KernelMemory",
    "Layout",
    "LayoutCache",
    "concat",
    "cstrings",
    "index_of",
)

_DTYPES = {
    "u8": np.dtype("<u1"),
    "u16": np.dtype("<u2"),
    "u32": np.dtype("<u4"),
    "u64": np.dtype("<u8"),
    "s8": np.dtype("<i1"),
    "s16": np.dtype("<i2"),
    "s32": np.dtype("<i4"),
    "s64": np.dtype("<i8"),
}
_STRUCT = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q", "s8": "<b", "s16": "<h", "s32": "<i"}
_STRUCT["s64"] = "<q"


class Layout:
    """
    Member offsets, sizes and integer kinds of one C type, from DWARF.

    :param prog: the program.
    :param type_name: e.g. ``"struct epitem"``.
    """

    def __init__(self, prog: drgn.Program, type_name: str) -> None:
        self.name = type_name
        self.type = prog.type(type_name)
        self.size = drgn.sizeof(self.type)
        self._zero = drgn.Object(prog, self.type, address=0)
        self._cache: Dict[str, Tuple[int, int, str]] = {}

    def _resolve(self, path: str) -> Tuple[int, int, str]:
        hit = self._cache.get(path)
        if hit is not None:
            return hit
        obj = self._zero
        for part in path.replace("]", "").split("."):
            name, _, index = part.partition("[")
            obj = obj.member_(name)
            if index:
                obj = obj[int(index)]
        t = obj.type_
        size = drgn.sizeof(t)
        u = t.unqualified()
        while u.kind == drgn.TypeKind.TYPEDEF:
            u = u.type.unqualified()
        if u.kind in (drgn.TypeKind.INT, drgn.TypeKind.BOOL, drgn.TypeKind.ENUM):
            signed = u.kind == drgn.TypeKind.INT and u.is_signed
            if u.kind == drgn.TypeKind.ENUM:
                signed = bool(u.type.is_signed) if u.type is not None else False
            kind = ("s" if signed else "u") + str(8 * size)
        elif u.kind == drgn.TypeKind.POINTER:
            kind = "u64"
        else:
            kind = "bytes"
        hit = (obj.address_, size, kind)
        self._cache[path] = hit
        return hit

    def has(self, path: str) -> bool:
        """Whether ``path`` (``"a.b"`` or ``"a[2].b"``) names a member."""
        try:
            self._resolve(path)
            return True
        except (LookupError, TypeError, ValueError):
            return False

    def off(self, path: str) -> int:
        """Byte offset of a member; raises :class:`LookupError` if absent."""
        try:
            return self._resolve(path)[0]
        except (TypeError, ValueError) as e:
            raise LookupError(f"{self.name} has no member {path}") from e

    def msize(self, path: str) -> int:
        """Size in bytes of a member."""
        return self._resolve(path)[1]

    def kind(self, path: str) -> str:
        """``"u32"``, ``"s64"``, ... for integers and pointers, ``"bytes"`` otherwise."""
        return self._resolve(path)[2]

    def first(self, *paths: str) -> str:
        """The first of ``paths`` that exists (member renames are probed this way)."""
        for p in paths:
            if self.has(p):
                return p
        raise LookupError(f"{self.name} has none of {', '.join(paths)}")


class LayoutCache:
    """:class:`Layout` per type name, built on first use."""

    def __init__(self, prog: drgn.Program) -> None:
        self._prog = prog
        self._layouts: Dict[str, Optional[Layout]] = {}

    def __getitem__(self, type_name: str) -> Layout:
        lay = self.get(type_name)
        if lay is None:
            raise LookupError(f"no type {type_name} in the debug info")
        return lay

    def get(self, type_name: str) -> Optional[Layout]:
        """The layout, or None when the debug info has no such type."""
        if type_name not in self._layouts:
            try:
                self._layouts[type_name] = Layout(self._prog, type_name)
            except LookupError:
                self._layouts[type_name] = None
        return self._layouts[type_name]


class PhysMap:
    """
    Physical memory as byte ranges of one array: a lab VM's RAM (one range
    at 0) or the PT_LOADs of an ELF vmcore (file memory-mapped; paging:true
    dumps list the direct map's segments with their physical addresses).

    :param array: uint8 array (a memory map).
    :param ranges: ``(phys_start, size, array_offset)`` triples.
    """

    def __init__(self, array: np.ndarray, ranges: Iterable[Tuple[int, int, int]]) -> None:
        self.array = array
        r = sorted({(s, n, o) for s, n, o in ranges if n > 0 and o + n <= len(array)})
        # Overlapping aliases: keep the first range at each start.
        kept: List[Tuple[int, int, int]] = []
        for s, n, o in r:
            if kept and s < kept[-1][0] + kept[-1][1]:
                continue
            kept.append((s, n, o))
        self.starts = np.array([k[0] for k in kept], np.int64)
        self.ends = np.array([k[0] + k[1] for k in kept], np.int64)
        self.offs = np.array([k[2] for k in kept], np.int64)

    def translate(self, phys: np.ndarray, span: int) -> Tuple[np.ndarray, np.ndarray]:
        """``(array offset, inside)``: inside when ``[phys, phys + span)`` is in one range."""
        if len(self.starts) == 1:
            inside = (phys >= self.starts[0]) & (phys + span <= self.ends[0])
            return phys - self.starts[0] + self.offs[0], inside
        i = np.searchsorted(self.starts, phys, side="right") - 1
        j = np.maximum(i, 0)
        inside = (i >= 0) & (phys + span <= self.ends[j])
        return phys - self.starts[j] + self.offs[j], inside


class KernelMemory:
    """
    Cached, vectorised reads of kernel virtual memory.

    :param prog: the program to read.
    :param direct_base: start of the direct map (``page_offset_base``), or 0
        when unknown (every read then goes through drgn).
    :param direct_size: bytes of physical memory the direct map covers.
    :param chunk_shift: log2 of the cache's read size.
    """

    def __init__(
        self,
        prog: drgn.Program,
        direct_base: int,
        direct_size: int,
        chunk_shift: int = 14,
        phys_read: Optional[Callable[[int, int], bytes]] = None,
        phys_array: Optional[np.ndarray] = None,
        phys_map: Optional["PhysMap"] = None,
    ) -> None:
        self.prog = prog
        self._phys_read = phys_read
        self.base = direct_base
        self.size = direct_size if direct_base else 0
        while self.size and (self.size >> chunk_shift) > (1 << 24):
            chunk_shift += 1
        self.shift = chunk_shift
        self.chunk = 1 << chunk_shift
        nchunks = (self.size + self.chunk - 1) >> chunk_shift if self.size else 0
        self._slot = np.full(nchunks, -1, np.int64)
        self._bad_pages: set = set()
        self._cap = 0
        self._n = 0
        self._arena = np.zeros(0, np.uint8)
        self._views: Dict[str, np.ndarray] = {k: self._arena.view(dt) for k, dt in _DTYPES.items()}
        # A target whose physical memory is one mapped array (a lab VM's RAM
        # file): it is the arena itself, with no chunk copies; values
        # gathered from it are copies, so a walk read while the VM is paused
        # stays consistent after it resumes.
        self._map: Optional[PhysMap] = None
        if phys_array is not None and phys_map is None:
            phys_map = PhysMap(phys_array, [(0, len(phys_array), 0)])
        if phys_map is not None and self.size:
            self._map = phys_map
            whole = phys_map.array[: len(phys_map.array) & ~7]
            self._arena = whole
            self._views = {k: whole.view(dt) for k, dt in _DTYPES.items()}
        self.chunk_reads = 0
        self.object_reads = 0
        self.cancel_check: Optional[Callable[[], None]] = None

    # -- chunk cache ------------------------------------------------------

    def _grow(self, need: int) -> None:
        # Reserve address space for the whole direct map up to 256 MiB at once:
        # untouched pages of an np.empty array cost nothing, and a regrowth
        # copies everything read so far.
        total = (self.size + self.chunk - 1) >> self.shift
        cap = max(need, 2 * self._cap, min(total, (256 << 20) >> self.shift))
        arena = np.empty(cap * self.chunk, np.uint8)
        arena[: self._n * self.chunk] = self._arena[: self._n * self.chunk]
        self._arena = arena
        self._cap = cap
        self._views = {k: arena.view(dt) for k, dt in _DTYPES.items()}

    def _load(self, chunks: np.ndarray) -> None:
        if not len(chunks):
            return
        missing = np.unique(chunks[self._slot[chunks] == -1])
        if not len(missing):
            return
        if self._n + len(missing) > self._cap:
            self._grow(self._n + len(missing))
        read = self.prog.read
        arena = self._arena
        ch = self.chunk
        slots = self._slot
        n = self._n
        pread = self._phys_read
        for c in missing.tolist():
            start = n * ch
            try:
                if pread is not None:
                    arena[start : start + ch] = np.frombuffer(pread(c << self.shift, ch), np.uint8)
                else:
                    arena[start : start + ch] = np.frombuffer(
                        read(self.base + (c << self.shift), ch), np.uint8
                    )
            except (drgn.FaultError, ValueError):
                # Read what can be read, page by page; remember the holes.
                for p in range(0, ch, 4096):
                    addr = self.base + (c << self.shift) + p
                    try:
                        arena[start + p : start + p + 4096] = np.frombuffer(
                            read(addr, 4096), np.uint8
                        )
                    except drgn.FaultError:
                        self._bad_pages.add(((c << self.shift) + p) >> 12)
            slots[c] = n
            n += 1
        self.chunk_reads += len(missing)
        self._n = n
        if self.cancel_check is not None:
            self.cancel_check()

    def _bad(self, phys: np.ndarray) -> np.ndarray:
        if not self._bad_pages:
            return np.zeros(len(phys), bool)
        bad = np.fromiter(self._bad_pages, np.int64)
        return np.isin(phys >> 12, bad)

    # -- scalar reads -----------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr``; raises :class:`drgn.FaultError`."""
        phys = addr - self.base
        if self._map is not None and 0 <= phys and phys + size <= self.size:
            pos, inside = self._map.translate(np.array([phys], np.int64), size)
            if inside[0]:
                p = int(pos[0])
                return self._arena[p : p + size].tobytes()
        if self.size and 0 <= phys and phys + size <= self.size:
            c = phys >> self.shift
            if (phys + size - 1) >> self.shift == c:
                self._load(np.array([c], np.int64))
                if any(((phys + i) >> 12) in self._bad_pages for i in (0, size - 1)):
                    raise drgn.FaultError("could not read memory", addr)
                start = int(self._slot[c]) * self.chunk + (phys & (self.chunk - 1))
                return self._arena[start : start + size].tobytes()
        self.object_reads += 1
        return self.prog.read(addr, size)

    def scalar(self, addr: int, kind: str) -> int:
        """One integer of ``kind`` (``"u64"``, ``"s32"``, ...) at ``addr``."""
        fmt = _STRUCT[kind]
        return struct.unpack(fmt, self.read(addr, struct.calcsize(fmt)))[0]

    # -- vector reads -----------------------------------------------------

    def locate(self, addrs: np.ndarray, span: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Load the chunks holding ``[addr, addr + span)`` for every address.

        :return: ``(pos, inside, ok)``: ``pos`` is the arena offset of each
            address where ``inside`` (the whole span lies in one cached chunk
            of the direct map and is readable); ``ok`` is ``addr != 0``.
        """
        addrs = np.asarray(addrs, np.uint64)
        ok = addrs != 0
        n = len(addrs)
        if not self.size or not n:
            return np.zeros(n, np.int64), np.zeros(n, bool), ok
        phys = (addrs - np.uint64(self.base)).view(np.int64)
        if self._map is not None:
            pos, inside = self._map.translate(phys, span)
            inside &= (
                ok & (phys >= 0) & (phys <= self.size - span) & (pos + span <= len(self._arena))
            )
            return np.where(inside, pos, 0), inside, ok
        inside = (
            ok
            & (phys >= 0)
            & (phys <= self.size - span)
            & ((phys & (self.chunk - 1)) <= self.chunk - span)
        )
        if inside.all():
            chunks = phys >> self.shift
            self._load(chunks)
            pos = self._slot[chunks] * self.chunk + (phys & (self.chunk - 1))
        else:
            chunks = np.where(inside, phys >> self.shift, 0)
            self._load(chunks[inside])
            pos = np.where(inside, self._slot[chunks] * self.chunk + (phys & (self.chunk - 1)), 0)
        if self._bad_pages:
            inside &= ~(self._bad(phys) | self._bad(phys + span - 1))
        return pos, inside, ok

    @property
    def _native_map(self) -> bool:
        return self._map is not None and _native is not None

    @property
    def bulk_rows(self) -> bool:
        """Whether :meth:`gather_bytes` is one C++ copy per object (a mapped image):
        then a block of neighbouring members costs what one member costs."""
        return self._native_map

    def _image(self) -> tuple:
        """The mapped image as the C++ calls take it: bytes, segment starts, ends and
        offsets, and the direct map's base and size."""
        m = self._map
        assert m is not None and _native is not None
        return (m.array, m.starts, m.ends, m.offs, self.base, self.size)

    def _rows(self, addrs: np.ndarray, off: int, span: int) -> Tuple[np.ndarray, np.ndarray]:
        """``(rows, inside)``: the ``span`` bytes at each ``addrs + off`` (one C++ call)."""
        return _native.gather_rows(*self._image(), addrs, off, span)

    def walk_rbtrees(
        self,
        roots: np.ndarray,
        cap: int,
        max_depth: int,
        off_pc: int,
        off_left: int,
        off_right: int,
    ) -> Optional[tuple]:
        """
        The C++ walk of red-black trees (native/gather.hpp: walk_rbtrees), or
        None when this memory is no mapped image or a node lies outside it.
        """
        if not self._native_map:
            return None
        out = _native.walk_rbtrees(
            *self._image(),
            np.asarray(roots, np.uint64),
            cap,
            max_depth,
            off_pc,
            off_left,
            off_right,
        )
        return out[:-1] if out[-1] else None

    def _shifted(self, kind: str, r: int) -> np.ndarray:
        """A view of the arena as ``kind`` starting at byte ``r`` (aligned gathers
        at positions that are all ``r`` modulo the size: an ELF vmcore's
        segments need not start 8-aligned in the file)."""
        if r == 0:
            return self._views[kind]
        key = f"{kind}+{r}"
        v = self._views.get(key)
        if v is None:
            size = _DTYPES[kind].itemsize
            n = (len(self._arena) - r) // size
            v = self._views[key] = self._arena[r : r + n * size].view(_DTYPES[kind])
        return v

    def _take(self, pos: np.ndarray, kind: str) -> np.ndarray:
        dt = _DTYPES[kind]
        size = dt.itemsize
        if size == 1 or not len(pos):
            return self._views[kind][pos]
        rem = pos & (size - 1)
        r = int(rem[0])
        if not np.any(rem != r):
            return self._shifted(kind, r)[(pos - r) // size]
        return self._arena[pos[:, None] + np.arange(size)[None, :]].view(dt).reshape(-1)

    def _slow(
        self,
        addrs: np.ndarray,
        rows: np.ndarray,
        off: int,
        kind: str,
        out: np.ndarray,
        ok: np.ndarray,
    ) -> None:
        """One drgn read per element (outside the direct map, or straddling chunks)."""
        fmt = _STRUCT[kind]
        size = _DTYPES[kind].itemsize
        read = self.prog.read
        for i in rows.tolist():
            try:
                out[i] = struct.unpack(fmt, read((int(addrs[i]) + off) & 0xFFFFFFFFFFFFFFFF, size))[
                    0
                ]
            except drgn.FaultError:
                ok[i] = False
        self.object_reads += len(rows)

    def gather(self, addrs: np.ndarray, off: int, kind: str) -> Tuple[np.ndarray, np.ndarray]:
        """
        Read one integer of ``kind`` at ``addrs + off`` for every address.

        :return: ``(values, ok)``; ``ok[i]`` is False when ``addrs[i]`` is 0 or
            the memory could not be read (the value is then 0).
        """
        addrs = np.asarray(addrs, np.uint64)
        size = _DTYPES[kind].itemsize
        if self._native_map:
            rows, inside = self._rows(addrs, off, size)
            out = rows.view(_DTYPES[kind]).reshape(-1)
            ok = addrs != 0
            if not inside.all():
                ok = ok.copy()
                self._slow(addrs, np.nonzero(ok & ~inside)[0], off, kind, out, ok)
            return out, ok
        pos, inside, ok = self.locate(addrs + np.uint64(off & 0xFFFFFFFFFFFFFFFF), size)
        ok = addrs != 0
        if inside.all():
            return self._take(pos, kind), ok
        out = np.zeros(len(addrs), _DTYPES[kind])
        ok = ok.copy()
        idx = np.nonzero(inside)[0]
        if len(idx):
            out[idx] = self._take(pos[idx], kind)
        self._slow(addrs, np.nonzero(ok & ~inside)[0], off, kind, out, ok)
        return out, ok

    def gather_bytes(self, addrs: np.ndarray, off: int, size: int) -> Tuple[np.ndarray, np.ndarray]:
        """``size`` bytes at ``addrs + off`` for every address: an ``(n, size)`` array."""
        addrs = np.asarray(addrs, np.uint64)
        n = len(addrs)
        ok = addrs != 0
        if self._native_map:
            out, inside = self._rows(addrs, off, size)
        else:
            pos, inside, _ = self.locate(addrs + np.uint64(off), size)
            out = np.zeros((n, size), np.uint8)
            idx = np.nonzero(inside)[0]
            if len(idx):
                out[idx] = self._arena[pos[idx][:, None] + np.arange(size)[None, :]]
        rest = np.nonzero(ok & ~inside)[0]
        for i in rest.tolist():
            try:
                out[i] = np.frombuffer(self.prog.read(int(addrs[i]) + off, size), np.uint8)
            except drgn.FaultError:
                ok[i] = False
        self.object_reads += len(rest)
        return out, ok

    def fields(
        self, lay: Layout, addrs: np.ndarray, paths: Iterable[str]
    ) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
        """
        Gather several integer members of ``lay``'s type for every address,
        locating each object once.

        :return: ``({path: values}, ok)``, ``ok`` being True where every member
            was read.
        """
        addrs = np.asarray(addrs, np.uint64)
        paths = list(paths)
        if not paths or not len(addrs):
            return {p: np.zeros(len(addrs), _DTYPES[lay.kind(p)]) for p in paths}, addrs != 0
        spec = [(p, lay.off(p), lay.kind(p)) for p in paths]
        lo = min(o for _, o, _ in spec)
        hi = max(o + _DTYPES[k].itemsize for _, o, k in spec)
        lo &= ~7
        hi = (hi + 7) & ~7
        cols: Dict[str, np.ndarray] = {}
        if self._native_map:
            # One C++ pass over the objects writes every member's column.
            raw, inside = _native.gather_cols(
                *self._image(),
                addrs,
                lo,
                hi - lo,
                [(o - lo, _DTYPES[k].itemsize) for _, o, k in spec],
            )
            ok = addrs != 0
            for (p, _, k), col in zip(spec, raw):
                cols[p] = col.view(_DTYPES[k])
            if inside.all():
                return cols, ok
            ok = ok.copy()
            rest = np.nonzero(ok & ~inside)[0]
            for p, o, k in spec:
                v, o2 = self.gather(addrs[rest], o, k)
                cols[p][rest] = v
                ok[rest] &= o2
            return cols, ok
        pos, inside, ok = self.locate(addrs + np.uint64(lo), hi - lo)
        ok = addrs != 0
        r = int(pos[0] & 7) if len(pos) else 0
        if inside.all() and not np.any((pos & 7) != r):
            # One gather of each object's words, then every field is a column.
            nw = (hi - lo) // 8
            words = self._shifted("u64", r)[((pos - r) >> 3)[:, None] + np.arange(nw)[None, :]]
            for p, o, k in spec:
                dt = _DTYPES[k]
                rel = o - lo
                if rel % dt.itemsize == 0:
                    cols[p] = words.view(dt)[:, rel // dt.itemsize].copy()
                else:
                    cols[p] = (
                        words.view(np.uint8)[:, rel : rel + dt.itemsize].copy().view(dt).reshape(-1)
                    )
            return cols, ok
        if inside.all():
            for p, o, k in spec:
                cols[p] = self._take(pos + (o - lo), k)
            return cols, ok
        ok = ok.copy()
        idx = np.nonzero(inside)[0]
        rest = np.nonzero(ok & ~inside)[0]
        for p, o, k in spec:
            out = np.zeros(len(addrs), _DTYPES[k])
            if len(idx):
                out[idx] = self._take(pos[idx] + (o - lo), k)
            if len(rest):
                # Objects straddling two chunks (or outside the direct map):
                # field by field, each field inside one chunk or read by drgn.
                v, o2 = self.gather(addrs[rest], o, k)
                out[rest] = v
                ok[rest] &= o2
            cols[p] = out
        return cols, ok


def cstrings(rows: np.ndarray) -> List[str]:
    """Decode an ``(n, k)`` byte array of NUL-terminated strings (decoding each distinct one once)."""
    if not len(rows):
        return []
    k = rows.shape[1]
    raw = np.ascontiguousarray(rows).view(f"S{k}").reshape(-1).tolist()
    cache: Dict[bytes, str] = {}
    out = []
    for r in raw:
        s = cache.get(r)
        if s is None:
            s = cache[r] = r.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")
        out.append(s)
    return out


def index_of(sorted_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of each value in ``sorted_keys``, or -1 when absent."""
    if (
        _native is not None
        and sorted_keys.dtype == np.uint64
        and getattr(values, "dtype", None) == np.uint64
    ):
        return _native.index_of(sorted_keys, values)
    if not len(sorted_keys):
        return np.full(len(values), -1, np.int64)
    pos = np.searchsorted(sorted_keys, values)
    pos[pos >= len(sorted_keys)] = 0
    return np.where(sorted_keys[pos] == values, pos, -1)


class AddrIndex:
    """:func:`index_of` against one set of sorted keys, asked many times (the
    C++ hash table of the keys is built once)."""

    def __init__(self, sorted_keys: np.ndarray) -> None:
        self.keys = sorted_keys
        self._native = None
        if _native is not None and sorted_keys.dtype == np.uint64:
            self._native = _native.AddrIndex(sorted_keys)

    def find(self, values: np.ndarray) -> np.ndarray:
        """Index of each value in the keys, or -1 when absent."""
        values = np.asarray(values, np.uint64)
        if self._native is not None:
            return self._native.find(values)
        return index_of(self.keys, values)


def concat(parts: Sequence[np.ndarray], dtype=np.uint64) -> np.ndarray:
    """Concatenate arrays (an empty array of ``dtype`` when there are none)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype)
