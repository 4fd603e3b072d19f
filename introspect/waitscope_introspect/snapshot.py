# SPDX-License-Identifier: MIT
"""
Snapshot model
--------------

The snapshot (docs/snapshot-schema.md, ``waitscope.snapshot/1``) is built as
one :class:`Table` per object type: an array of kernel addresses and one
column per key. Big walks (100k epitems) fill whole columns from numpy arrays
at once; small walkers add dict rows (:meth:`SnapshotBuilder.add`). Columns
are typed so that encoding is a loop over arrays, in Python
(:mod:`.formats.json_out`) or in C++ (the ``_wsnative`` module).

Column kinds:

=====  =========================================================
``u``  unsigned integer (numpy array)
``i``  signed integer (numpy array)
``b``  bool (numpy array)
``x``  hex string ``"0x.."`` (numpy uint64 array)
``r``  id of another object (``"type:0x.."``; 0 is ``null``)
``s``  string (list of str)
``j``  any JSON value (list of Python values)
``rv`` id whose type varies per row: ``ref`` is the list of type names,
       ``offsets`` the per-row index into it
``raw`` pre-encoded JSON text (list of str), written verbatim
``sc`` string from a small set: ``ref`` is the list of strings, ``data``
       the per-row index into it (file kinds, function names, colours)
``rl`` list of ids: CSR ``offsets`` (n+1) and ``values``
``o``  nested object: a dict of sub-columns
``ol`` list of nested objects: CSR ``offsets`` and a dict of sub-columns
=====  =========================================================

Every column may carry a ``present`` mask; a key whose value is absent is not
written (the schema's "a value that could not be read is absent").
"""

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

__all__ = (
    "Col",
    "SCHEMA",
    "SnapshotBuilder",
    "Table",
    "obj_id",
)

SCHEMA = "waitscope.snapshot/1"


def obj_id(type_: str, addr: int) -> str:
    """The stable id of an object: ``"<type>:0x<addr>"``."""
    return f"{type_}:0x{addr:x}"


class Col:
    """One column of a :class:`Table` (see the module docstring for kinds)."""

    __slots__ = ("kind", "data", "present", "ref", "offsets", "sub", "closed")

    def __init__(
        self,
        kind: str,
        data: Any = None,
        present: Optional[np.ndarray] = None,
        ref: Optional[str] = None,
        offsets: Optional[np.ndarray] = None,
        sub: Optional[Dict[str, "Col"]] = None,
    ) -> None:
        self.kind = kind
        self.data = data
        self.present = present
        self.ref = ref
        self.offsets = offsets
        self.sub = sub
        # True when every id in it names an object the same walk produced
        # (rbtree links, a queue's entries): no dangling-reference check needed.
        self.closed = False

    def close(self) -> "Col":
        """Mark the column's ids as always naming walked objects (see ``closed``)."""
        self.closed = True
        return self

    def __len__(self) -> int:
        if self.kind in ("rl", "ol"):
            return len(self.offsets) - 1
        if self.kind == "rv":
            return len(self.data)
        if self.kind == "o":
            return len(next(iter(self.sub.values())))
        return len(self.data)

    # -- constructors -----------------------------------------------------

    @staticmethod
    def u(data, present=None) -> "Col":
        return Col("u", np.asarray(data, np.uint64), present)

    @staticmethod
    def i(data, present=None) -> "Col":
        return Col("i", np.asarray(data, np.int64), present)

    @staticmethod
    def b(data, present=None) -> "Col":
        return Col("b", np.asarray(data, bool), present)

    @staticmethod
    def x(data, present=None) -> "Col":
        return Col("x", np.asarray(data, np.uint64), present)

    @staticmethod
    def r(type_: str, data, present=None) -> "Col":
        return Col("r", np.asarray(data, np.uint64), present, ref=type_)

    @staticmethod
    def s(data: Sequence[Optional[str]], present=None) -> "Col":
        data = list(data)
        if present is None and any(v is None for v in data):
            present = np.array([v is not None for v in data], bool)
        return Col("s", data, present)

    @staticmethod
    def rv(types: Sequence[str], type_index, data, present=None) -> "Col":
        return Col(
            "rv",
            np.asarray(data, np.uint64),
            present,
            ref=list(types),
            offsets=np.asarray(type_index, np.int64),
        )

    @staticmethod
    def sc(categories: Sequence[str], codes, present=None) -> "Col":
        return Col("sc", np.asarray(codes, np.int64), present, ref=list(categories))

    @staticmethod
    def rc(categories: Sequence[str], codes, present=None) -> "Col":
        """Pre-encoded JSON texts from a small set, by code."""
        return Col("rc", np.asarray(codes, np.int64), present, ref=list(categories))

    @staticmethod
    def raw(data: Sequence[Optional[str]], present=None) -> "Col":
        data = list(data)
        if present is None and any(v is None for v in data):
            present = np.array([v is not None for v in data], bool)
        return Col("raw", data, present)

    @staticmethod
    def j(data: Sequence[Any], present=None) -> "Col":
        return Col("j", list(data), present)

    @staticmethod
    def rl(type_: str, offsets, values, present=None) -> "Col":
        return Col(
            "rl",
            np.asarray(values, np.uint64),
            present,
            ref=type_,
            offsets=np.asarray(offsets, np.int64),
        )

    @staticmethod
    def rl_from_lists(type_: str, lists: Sequence[Sequence[int]], present=None) -> "Col":
        lens = np.fromiter((len(x) for x in lists), np.int64, len(lists))
        offsets = np.zeros(len(lists) + 1, np.int64)
        np.cumsum(lens, out=offsets[1:])
        flat = [v for x in lists for v in x]
        return Col.rl(type_, offsets, np.array(flat, np.uint64), present)

    @staticmethod
    def o(sub: Dict[str, "Col"], present=None) -> "Col":
        return Col("o", None, present, sub=sub)

    @staticmethod
    def ol(offsets, sub: Dict[str, "Col"], present=None) -> "Col":
        return Col("ol", None, present, offsets=np.asarray(offsets, np.int64), sub=sub)

    # -- reordering -------------------------------------------------------

    def take(self, idx: np.ndarray) -> "Col":
        """The rows ``idx``, in that order."""
        present = None if self.present is None else self.present[idx]
        if self.kind in ("u", "i", "b", "x", "r", "sc", "rc"):
            c = Col(self.kind, self.data[idx], present, self.ref)
            c.closed = self.closed
            return c
        if self.kind in ("s", "j", "raw"):
            d = self.data
            return Col(self.kind, [d[i] for i in idx.tolist()], present)
        if self.kind == "rv":
            return Col("rv", self.data[idx], present, self.ref, self.offsets[idx])
        if self.kind == "o":
            return Col("o", None, present, sub={k: c.take(idx) for k, c in self.sub.items()})
        # CSR kinds: gather each row's slice.
        starts = self.offsets[:-1][idx]
        lens = self.offsets[1:][idx] - starts
        offsets = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(lens, out=offsets[1:])
        flat = _csr_index(starts, lens)
        if self.kind == "rl":
            return Col("rl", self.data[flat], present, self.ref, offsets)
        return Col(
            "ol", None, present, offsets=offsets, sub={k: c.take(flat) for k, c in self.sub.items()}
        )


def _csr_index(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    total = int(lens.sum())
    if not total:
        return np.zeros(0, np.int64)
    rep = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    return rep + np.arange(total)


def _concat_cols(parts: List[Optional[Col]], lens: List[int]) -> Col:
    """Concatenate columns of consecutive parts; a missing part is absent."""
    proto = next(c for c in parts if c is not None)
    kind = proto.kind
    if any(
        c is not None
        and (c.kind != kind or (c.ref != proto.ref and kind not in ("rv", "sc", "rc")))
        for c in parts
    ):
        # Parts disagree (an id as a string in a dict row, an array elsewhere):
        # fall back to plain JSON values.
        from .formats.json_out import column_values

        vals: List[Any] = []
        pres: List[bool] = []
        for c, n in zip(parts, lens):
            if c is None:
                vals += [None] * n
                pres += [False] * n
                continue
            for v in column_values(c, n):
                absent = v is _ABSENT
                vals.append(None if absent else v)
                pres.append(not absent)
        return Col.j(vals, np.array(pres, bool))
    presents = []
    any_absent = False
    for c, n in zip(parts, lens):
        if c is None:
            presents.append(np.zeros(n, bool))
            any_absent = True
        elif c.present is None:
            presents.append(np.ones(n, bool))
        else:
            presents.append(c.present)
            any_absent = True
    present = np.concatenate(presents) if any_absent else None
    filled = [c if c is not None else _empty_like(proto, n) for c, n in zip(parts, lens)]
    if kind in ("u", "i", "b", "x", "r"):
        return Col(kind, np.concatenate([c.data for c in filled]), present, proto.ref)
    if kind in ("s", "j", "raw"):
        return Col(kind, [v for c in filled for v in c.data], present)
    if kind in ("sc", "rc"):
        cats = sorted({t for c in filled for t in c.ref}, key=lambda t: (t is None, t or ""))
        idx = [
            np.array([cats.index(t) for t in c.ref], np.int64)[c.data] if len(c.data) else c.data
            for c in filled
        ]
        return Col(kind, np.concatenate(idx).astype(np.int64), present, cats)
    if kind == "rv":
        types = sorted({t for c in filled for t in c.ref})
        idx = [np.array([types.index(t) for t in c.ref], np.int64)[c.offsets] for c in filled]
        return Col(
            "rv", np.concatenate([c.data for c in filled]), present, types, np.concatenate(idx)
        )
    if kind == "o":
        keys = sorted({k for c in filled for k in c.sub})
        sub = {}
        for k in keys:
            sub[k] = _concat_cols([c.sub.get(k) for c in filled], lens)
        return Col("o", None, present, sub=sub)
    offs = [np.zeros(1, np.int64)]
    base = 0
    for c in filled:
        offs.append(c.offsets[1:] + base)
        base += int(c.offsets[-1])
    offsets = np.concatenate(offs)
    if kind == "rl":
        return Col("rl", np.concatenate([c.data for c in filled]), present, proto.ref, offsets)
    inner = [int(c.offsets[-1]) for c in filled]
    keys = sorted({k for c in filled for k in c.sub})
    sub = {k: _concat_cols([c.sub.get(k) for c in filled], inner) for k in keys}
    return Col("ol", None, present, offsets=offsets, sub=sub)


def _empty_like(proto: Col, n: int) -> Col:
    if proto.kind in ("u", "i", "b", "x", "r"):
        return Col(proto.kind, np.zeros(n, proto.data.dtype), None, proto.ref)
    if proto.kind in ("s", "j", "raw"):
        return Col(proto.kind, [None] * n)
    if proto.kind == "rv":
        return Col("rv", np.zeros(n, np.uint64), None, list(proto.ref), np.zeros(n, np.int64))
    if proto.kind in ("sc", "rc"):
        return Col(proto.kind, np.zeros(n, np.int64), None, list(proto.ref))
    if proto.kind == "o":
        return Col("o", None, None, sub={k: _empty_like(c, n) for k, c in proto.sub.items()})
    offsets = np.zeros(n + 1, np.int64)
    if proto.kind == "rl":
        return Col("rl", np.zeros(0, np.uint64), None, proto.ref, offsets)
    return Col(
        "ol", None, None, offsets=offsets, sub={k: _empty_like(c, 0) for k, c in proto.sub.items()}
    )


def _col_from_values(values: List[Any]) -> Col:
    """A column for dict-row values (ints, bools, strings or any JSON)."""
    present = np.array([v is not None for v in values], bool)
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return Col.b([bool(v) for v in values], present)
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        if all(0 <= v < 1 << 64 for v in vals):
            return Col.u([v or 0 for v in values], present)
        if all(-(1 << 63) <= v < 1 << 63 for v in vals):
            return Col.i([v or 0 for v in values], present)
    if vals and all(isinstance(v, str) for v in vals):
        return Col.s(values, present)
    return Col.j(values, present)


class Table:
    """All objects of one type: ``addrs`` and columns, one row per object."""

    def __init__(
        self, type_: str, addrs: np.ndarray, cols: Dict[str, Col], perm: Optional[np.ndarray] = None
    ) -> None:
        self.type = type_
        self.addrs = np.asarray(addrs, np.uint64)
        self.cols = cols
        # Row order, when not the storage order: encoders follow it, so a big
        # table is never copied just to be sorted.
        self.perm = perm
        self._mat: Optional["Table"] = None
        for k, c in cols.items():
            if len(c) != len(self.addrs):
                raise ValueError(f"{type_}.{k}: {len(c)} rows for {len(self.addrs)} objects")

    def __len__(self) -> int:
        return len(self.addrs) if self.perm is None else len(self.perm)

    def sorted_addrs(self) -> np.ndarray:
        """The addresses in row order (sorted)."""
        return self.addrs if self.perm is None else self.addrs[self.perm]

    def materialized(self) -> "Table":
        """The same table with its columns stored in row order."""
        if self.perm is None:
            return self
        if self._mat is None:
            self._mat = self.take(self.perm)
        return self._mat

    def take(self, idx: np.ndarray) -> "Table":
        return Table(self.type, self.addrs[idx], {k: c.take(idx) for k, c in self.cols.items()})

    def rows(self) -> List[Dict[str, Any]]:
        """The objects as dicts (slow; for the text and dot formats and tests)."""
        from .formats.json_out import column_values

        if self.perm is not None:
            return self.materialized().rows()

        n = len(self.addrs)
        out = [
            {"id": obj_id(self.type, a), "type": self.type, "addr": f"0x{a:x}"}
            for a in self.addrs.tolist()
        ]
        for k, c in self.cols.items():
            vals = column_values(c, n)
            for row, v in zip(out, vals):
                if v is not _ABSENT:
                    row[k] = v
        return out


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()


class SnapshotBuilder:
    """
    Collects objects from the walkers and produces sorted, deduplicated tables.

    An object added twice (same type and address) keeps the first version.
    """

    def __init__(self) -> None:
        self._parts: Dict[str, List[Table]] = {}
        self._rows: Dict[str, Dict[int, Dict[str, Any]]] = {}
        self.warnings: List[Dict[str, Any]] = []
        self._warned: set = set()

    def add_table(self, type_: str, addrs: np.ndarray, cols: Dict[str, Col]) -> None:
        """Add many objects of one type at once (column arrays, one row each)."""
        if len(addrs):
            self._parts.setdefault(type_, []).append(Table(type_, addrs, cols))
            self.touch(type_)

    def add(self, type_: str, addr: int, **fields: Any) -> Dict[str, Any]:
        """Add one object as a dict; returns the dict (later fields may be set on it)."""
        rows = self._rows.setdefault(type_, {})
        self.touch(type_)
        row = rows.get(addr)
        if row is None:
            row = rows[addr] = {}
        for k, v in fields.items():
            row.setdefault(k, v)
        return row

    def has(self, type_: str, addr: int) -> bool:
        return addr in self._rows.get(type_, {})

    def row(self, type_: str, addr: int) -> Optional[Dict[str, Any]]:
        return self._rows.get(type_, {}).get(addr)

    def warn(self, message: str, obj: Optional[str] = None) -> None:
        """Record a warning (once per distinct object and message)."""
        key = (obj, message)
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append({"id": obj, "message": message})

    def tables(self) -> List[Table]:
        """The tables, sorted by type name, each sorted by address and deduplicated."""
        if not hasattr(self, "_done"):
            self._done: Dict[str, Table] = {}
            self._dirty: set = set()
        self._dirty |= (set(self._parts) | set(self._rows)) - set(self._done)
        for type_ in self._dirty:
            self._done[type_] = self._build(type_)
        self._dirty = set()
        return [self._done[t] for t in sorted(self._done, key=lambda t: t + ":")]

    def _build(self, type_: str) -> Table:
        parts = list(self._parts.get(type_, []))
        rows = self._rows.get(type_)
        if rows:
            addrs = np.fromiter(rows.keys(), np.uint64, len(rows))
            keys = sorted({k for r in rows.values() for k in r})
            dicts = list(rows.values())
            cols = {k: _col_from_values([d.get(k) for d in dicts]) for k in keys}
            parts.append(Table(type_, addrs, cols))
        if len(parts) == 1:
            t = parts[0]
        else:
            lens = [len(p) for p in parts]
            keys = sorted({k for p in parts for k in p.cols})
            cols = {k: _concat_cols([p.cols.get(k) for p in parts], lens) for k in keys}
            t = Table(type_, np.concatenate([p.addrs for p in parts]), cols)
        a = t.addrs
        if np.all(a[1:] > a[:-1]) and (not len(a) or a[0] >= 1 << 60):
            return t
        if len(a) and a.min() >= 1 << 60:
            order = np.argsort(a, kind="stable")
        else:
            keys = [format(v, "x") for v in a.tolist()]
            order = np.array(sorted(range(len(keys)), key=keys.__getitem__), np.int64)
        sa = a[order]
        # First occurrence wins: stable sort keeps equal addresses in add order.
        keep = np.ones(len(sa), bool)
        keep[1:] = sa[1:] != sa[:-1]
        # Columns are copied into row order here: the encoder then reads each
        # column sequentially (following a permutation instead costs more in
        # cache misses than the copy: 20 ms vs 170 ms for 500k objects).
        return t.take(order[keep])

    def touch(self, type_: str) -> None:
        """Rows were added to ``type_`` after :meth:`tables`: rebuild it next time."""
        if hasattr(self, "_done"):
            self._dirty.add(type_)
