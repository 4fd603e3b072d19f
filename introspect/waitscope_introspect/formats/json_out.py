# SPDX-License-Identifier: MIT
"""
JSON writer for snapshot tables
-------------------------------

Deterministic: top-level keys in a fixed order (``schema`` first, ``objects``
last), every nested object's keys sorted, one object per line, no spaces.
:func:`encode_objects` renders column by column in Python;
``_wsnative.encode_objects`` (C++, built with the project) renders the same
bytes much faster and is used when importable. Tests compare the two.
"""

import json
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..snapshot import Col, Table, _ABSENT

__all__ = ("column_values", "encode_objects", "native", "render_json", "table_spec")

TOP_ORDER = (
    "schema",
    "kernel",
    "capture",
    "capabilities",
    "modules",
    "limits",
    "warnings",
    "crash",
)

try:  # the C++ encoder, when the build put it next to this package
    from .. import _wsnative as native  # type: ignore
except ImportError:  # pragma: no cover - depends on the build
    native = None


def _dumps(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _render(col: Col, n: int) -> List[Optional[str]]:
    """JSON text per row (None when absent)."""
    k = col.kind
    if k == "u" or k == "i":
        out = [str(v) for v in col.data.tolist()]
    elif k == "b":
        out = ["true" if v else "false" for v in col.data.tolist()]
    elif k == "x":
        out = [f'"0x{v:x}"' for v in col.data.tolist()]
    elif k == "r":
        t = col.ref
        out = [f'"{t}:0x{v:x}"' if v else "null" for v in col.data.tolist()]
    elif k == "rv":
        types = col.ref
        out = [
            f'"{types[i]}:0x{v:x}"' if v else "null"
            for v, i in zip(col.data.tolist(), col.offsets.tolist())
        ]
    elif k == "s":
        cache: Dict[str, str] = {}
        out = []
        for v in col.data:
            if v is None:
                out.append(None)
                continue
            s = cache.get(v)
            if s is None:
                s = cache[v] = json.dumps(v, ensure_ascii=False)
            out.append(s)
    elif k == "raw":
        out = list(col.data)
    elif k == "rc":
        cats = list(col.ref)
        out = [cats[i] for i in col.data.tolist()]
    elif k == "sc":
        cats = [None if c is None else json.dumps(c, ensure_ascii=False) for c in col.ref]
        out = [cats[i] for i in col.data.tolist()]
    elif k == "j":
        out = [None if v is None else _dumps(v) for v in col.data]
    elif k == "rl":
        t = col.ref
        ids = [f'"{t}:0x{v:x}"' if v else "null" for v in col.data.tolist()]
        o = col.offsets.tolist()
        out = ["[" + ",".join(ids[o[i] : o[i + 1]]) + "]" for i in range(n)]
    elif k == "o":
        out = _render_objects(col.sub, n)
    elif k == "ol":
        o = col.offsets.tolist()
        inner = _render_objects(col.sub, o[-1] if o else 0)
        out = ["[" + ",".join(inner[o[i] : o[i + 1]]) + "]" for i in range(n)]
    else:
        raise ValueError(f"unknown column kind {k}")
    if col.present is not None:
        out = [v if p else None for v, p in zip(out, col.present.tolist())]
    return out


def _render_objects(
    cols: Dict[str, Col], n: int, extra: Optional[Dict[str, List[str]]] = None
) -> List[str]:
    rendered = {k: _render(c, n) for k, c in cols.items()}
    if extra:
        rendered.update(extra)
    keys = sorted(rendered)
    prefixes = [f'"{k}":' for k in keys]
    columns = [rendered[k] for k in keys]
    out = []
    for row in zip(*columns) if columns else [()] * n:
        out.append("{" + ",".join(p + v for p, v in zip(prefixes, row) if v is not None) + "}")
    return out


def encode_objects(tables: Sequence[Table]) -> str:
    """The ``objects`` array body: one JSON object per line, in table order."""
    lines: List[str] = []
    for t in tables:
        t = t.materialized()
        n = len(t)
        if not n:
            continue
        addrs = t.addrs.tolist()
        extra = {
            "addr": [f'"0x{a:x}"' for a in addrs],
            "id": [f'"{t.type}:0x{a:x}"' for a in addrs],
            "type": [f'"{t.type}"'] * n,
        }
        lines.extend(_render_objects(t.cols, n, extra))
    return ",\n".join(lines)


def table_spec(t: Table) -> tuple:
    """A table as plain tuples and arrays for the C++ encoder."""

    def col(c: Col) -> tuple:
        sub = None
        if c.sub is not None:
            sub = [(k, col(s)) for k, s in sorted(c.sub.items())]
        data = c.data
        if c.kind == "j":
            data = [None if v is None else _dumps(v) for v in data]
        elif c.kind == "s":
            data = [None if v is None else json.dumps(v, ensure_ascii=False) for v in data]
        elif c.kind == "rc":
            data = np.ascontiguousarray(data, np.int64)
            ref = list(c.ref)
        elif c.kind == "sc":
            data = np.ascontiguousarray(data, np.int64)
            ref = [None if v is None else json.dumps(v, ensure_ascii=False) for v in c.ref]
        elif c.kind in ("u", "x", "r", "rv", "rl"):
            data = np.ascontiguousarray(data, np.uint64)
        elif c.kind == "i":
            data = np.ascontiguousarray(data, np.int64)
        elif c.kind == "b":
            data = np.ascontiguousarray(data, np.bool_)
        present = None if c.present is None else np.ascontiguousarray(c.present, np.bool_)
        offsets = None if c.offsets is None else np.ascontiguousarray(c.offsets, np.int64)
        if c.kind not in ("sc", "rc"):
            ref = c.ref if isinstance(c.ref, list) else ([c.ref] if c.ref else [])
        return (c.kind, data, present, ref, offsets, sub)

    perm = None if t.perm is None else np.ascontiguousarray(t.perm, np.int64)
    cols = [(k, col(c)) for k, c in sorted(t.cols.items())]
    return (t.type, np.ascontiguousarray(t.addrs, np.uint64), cols, perm)


def render_json(doc: Dict[str, Any], tables: Sequence[Table], use_native: bool = True) -> bytes:
    """The whole snapshot document as UTF-8 JSON bytes."""
    head = "{" + ",".join(f'"{k}":{_dumps(doc[k])}' for k in TOP_ORDER if k in doc)
    head += ',"objects":[\n'
    if use_native and native is not None:
        specs = [table_spec(t) for t in tables if len(t)]
        return native.encode_objects(specs, head, "\n]}\n")
    return (head + encode_objects(tables) + "\n]}\n").encode()


def column_values(col: Col, n: int) -> List[Any]:
    """Python values per row (``_ABSENT`` when absent), for text/dot output and tests."""
    texts = _render(col, n)
    return [_ABSENT if t is None else json.loads(t) for t in texts]
