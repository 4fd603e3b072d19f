# SPDX-License-Identifier: MIT
"""
The snapshot's object graph for Graphviz: one node per object of the
wait/epoll graph (tasks, files, eventpolls, epitems, wait queue heads and
entries, objects behind files), one edge per link. Deferred-work objects are
left out (they are a separate graph) unless nothing else is there.
"""

from typing import Any, Dict, List, Sequence, Tuple

from ..snapshot import Table

__all__ = ("render_dot",)

GRAPH_TYPES = {
    "task": ("box", "lightblue"),
    "file": ("note", "lightyellow"),
    "eventpoll": ("box3d", "orange"),
    "epitem": ("ellipse", "wheat"),
    "wait_queue_head": ("hexagon", "palegreen"),
    "wait_entry": ("ellipse", "honeydew"),
    "pipe": ("component", "lightgrey"),
    "eventfd": ("component", "lightgrey"),
    "socket": ("component", "lightgrey"),
    "timerfd": ("component", "lightgrey"),
    "vpoll": ("component", "plum"),
    "simrupt": ("component", "plum"),
}
# (type, key, label): the links drawn
EDGES = [
    ("eventpoll", "ready", "ready"),
    ("eventpoll", "wq_head", "wq"),
    ("eventpoll", "poll_wait_head", "poll_wait"),
    ("eventpoll", "nested", "nested"),
    ("epitem", "ep", "ep"),
    ("epitem", "file", "target"),
    ("file", "private", ""),
    ("wait_queue_head", "entries", ""),
    ("wait_entry", "owner", "owner"),
    ("task", "waiting_on", "waits"),
    ("files", "fds", ""),
]


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(o: Dict[str, Any]) -> str:
    t = o["type"]
    if t == "task":
        return f"{o.get('comm')}[{o.get('pid')}] {o.get('state', '')}"
    if t == "file":
        return f"{o.get('kind')}\\n{o.get('name', '')}"
    if t == "epitem":
        col = o.get("color", "")
        return f"tfd {o.get('tfd')} ({col})\\nev 0x{o.get('events', 0):x}"
    if t == "wait_entry":
        return f"{o.get('func')}"
    if t == "eventpoll":
        return o.get("label", "eventpoll")
    if t == "wait_queue_head":
        c = o.get("container") or {}
        return f"wq {c.get('field', '')}"
    return f"{t}\\n{o['addr']}"


def render_dot(doc: Dict[str, Any], tables: Sequence[Table]) -> bytes:
    rows: Dict[str, List[Dict[str, Any]]] = {
        t.type: t.rows() for t in tables if t.type in GRAPH_TYPES or t.type == "files"
    }
    ids = {o["id"] for rs in rows.values() for o in rs}
    out = [
        "digraph waitscope {",
        f"  label={_q('waitscope ' + str(doc['kernel'].get('release')) + ' ' + doc['capture'].get('source', ''))};",
        "  rankdir=LR; node [style=filled, fontsize=10]; edge [fontsize=8];",
    ]
    for t, rs in rows.items():
        if t == "files":
            continue
        shape, color = GRAPH_TYPES[t]
        for o in rs:
            extra = ""
            if t == "epitem" and o.get("color") == "red":
                extra = ", color=red"
            if "partial" in o:
                extra += ", style=dashed"
            out.append(
                f"  {_q(o['id'])} [label={_q(_label(o))}, shape={shape}, fillcolor={color}{extra}];"
            )
    edges: List[Tuple[str, str, str]] = []
    for t, key, lab in EDGES:
        for o in rows.get(t, []):
            v = o.get(key)
            targets = v if isinstance(v, list) else [v]
            for x in targets:
                if isinstance(x, dict):  # files.fds
                    if o["users"]:
                        for u in o["users"]:
                            if x.get("file") in ids and u in ids:
                                edges.append((u, x["file"], f"fd {x.get('fd')}"))
                    continue
                if x and x in ids and o["id"] in ids:
                    edges.append((o["id"], x, lab))
    for a, b, lab in edges:
        out.append(f"  {_q(a)} -> {_q(b)}" + (f" [label={_q(lab)}]" if lab else "") + ";")
    for o in rows.get("epitem", []):
        for p in o.get("pwqs", []):
            if p.get("head") in ids:
                out.append(f"  {_q(o['id'])} -> {_q(p['head'])} [style=dotted, label=\"hooks\"];")
    out.append("}")
    return ("\n".join(out) + "\n").encode()
