# SPDX-License-Identifier: MIT
"""
A readable, crash-style report of a snapshot: per process, its epoll
instances with ready list, waiters and tree; every wait queue with its
entries and owners; workqueues, buffers and the flight recorder.
"""

from typing import Any, Dict, List, Optional, Sequence

from ..snapshot import Table
from .crash_text import render_crash_text

__all__ = ("render_text",)

MAX_ITEMS = 64  # epitems listed per epoll instance (the rest is counted)


def _short(i: Optional[str]) -> str:
    return i.split(":", 1)[1] if i else "-"


class _Index:
    def __init__(self, tables: Sequence[Table]) -> None:
        self.by_type: Dict[str, List[Dict[str, Any]]] = {}
        self.by_id: Dict[str, Dict[str, Any]] = {}
        for t in tables:
            rows = t.rows()
            self.by_type[t.type] = rows
            for r in rows:
                self.by_id[r["id"]] = r

    def get(self, i: Optional[str]) -> Dict[str, Any]:
        return self.by_id.get(i or "", {})

    def task_name(self, i: Optional[str]) -> str:
        t = self.get(i)
        return t.get("label") or _short(i)

    def epitem_desc(self, i: str) -> str:
        e = self.get(i)
        if not e:
            return f"epitem {_short(i)}"
        ep = self.get(e.get("ep"))
        owner = ep.get("label", f"eventpoll {_short(e.get('ep'))}")
        return f"epitem tfd {e.get('tfd')} of {owner}"

    def owner_desc(self, w: Dict[str, Any]) -> str:
        o = w.get("owner")
        kind = w.get("owner_kind")
        if not o:
            return "no owner"
        if kind == "epitem":
            return "-> " + self.epitem_desc(o)
        if kind == "poll":
            return f"-> poll()/select() by {self.task_name(o)}"
        t = self.get(o)
        state = f" state {t['state']}" if "state" in t else ""
        return f"-> task {self.task_name(o)}{state}"

    def file_desc(self, i: str) -> str:
        f = self.get(i)
        if not f:
            return f"file {_short(i)}"
        return f"{f.get('kind', '?')} '{f.get('name', '')}'"


def render_text(doc: Dict[str, Any], tables: Sequence[Table]) -> bytes:
    ix = _Index(tables)
    out: List[str] = []
    k = doc["kernel"]
    crash = doc.get("crash") or {}
    if crash.get("panic"):
        # A post-mortem: the crash report comes first (docs/introspect.md).
        out.append(render_crash_text(crash, k.get("release", "")))
    c = doc["capture"]
    out.append(
        f"KERNEL   {k.get('release')}  build-id {k.get('build_id')}  KASLR {k.get('kaslr_offset', '?')}"
    )
    out.append(
        f"         {k.get('pgtable_levels', '?')}-level paging, HZ {k.get('hz', '?')}, jiffies {k.get('jiffies', '?')}"
    )
    out.append(
        f"CAPTURE  {c.get('source')} ({c.get('format')}) {c.get('path', '')}"
        + (f"  mark {c['mark']}" if "mark" in c else "")
    )
    t = ", ".join(
        f"{n} {c[n]:.1f} ms" for n in ("load_ms", "read_ms", "pause_ms", "walk_ms") if n in c
    )
    out.append(f"         {t}")
    caps = ", ".join(f"{n} {v['status']}" for n, v in doc.get("capabilities", {}).items())
    out.append(f"CAPS     {caps}")
    for n, v in doc.get("capabilities", {}).items():
        if v["status"] != "ok" and v.get("reason"):
            out.append(f"         {n}: {v['reason']}")
    for m in doc.get("modules", []):
        out.append(
            f"MODULE   {m['name']} at {m.get('addr', '?')} debuginfo {m.get('debuginfo')} {m.get('note', '')}"
        )
    for w in doc.get("warnings", []):
        out.append(f"WARNING  {w['message']}" + (f" ({w['id']})" if w.get("id") else ""))
    out.append("")

    # processes (thread-group leaders with an fd table)
    tasks = ix.by_type.get("task", [])
    leaders = [
        x
        for x in tasks
        if x.get("pid") == x.get("tgid") and x.get("files") and not x.get("kthread")
    ]
    kthreads = [x for x in tasks if x.get("kthread")]
    if kthreads:
        out.append(
            f"{len(kthreads)} kernel threads (see WAIT QUEUES and WORKQUEUES for the ones that wait on something)"
        )
        out.append("")
    for ld in sorted(leaders, key=lambda x: x["pid"]):
        threads = [x for x in tasks if x.get("tgid") == ld["pid"]]
        th = ", ".join(
            f"{x.get('comm')}/{x.get('pid')} {x.get('state')}"
            for x in sorted(threads, key=lambda x: x["pid"])
        )
        out.append(f"PID {ld['pid']:<6} {ld.get('comm')}   threads: {th}")
        for x in sorted(threads, key=lambda x: x["pid"]):
            for wid in x.get("waiting_on", []):
                w = ix.get(wid)
                head = ix.get(w.get("head"))
                cont = head.get("container") or {}
                where = (
                    f"{cont.get('id', '?')}.{cont.get('field', '?')}"
                    if cont
                    else _short(w.get("head"))
                )
                out.append(f"   {x.get('comm')}/{x.get('pid')} sleeps on {where} ({w.get('func')})")
            if x.get("stack"):
                out.append(
                    f"   stack of {x.get('pid')}: "
                    + " <- ".join(s["symbol"] for s in x["stack"][:8])
                )
        files = ix.get(ld.get("files"))
        for fd in files.get("fds", []):
            f = ix.get(fd["file"])
            out.append(f"  fd {fd['fd']:<5} {f.get('kind', '?'):<10} {f.get('name', '')}")
            if f.get("kind") == "eventpoll":
                _epoll(ix, ix.get(f.get("private")), out)
        out.append("")

    out.append("WAIT QUEUES")
    for h in ix.by_type.get("wait_queue_head", []):
        entries = h.get("entries", [])
        if not entries:
            continue
        cont = h.get("container") or {}
        where = f"{cont.get('id')}.{cont.get('field')}" if cont else "?"
        out.append(
            f"  {h['addr']} {where}: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        )
        for wid in entries[:MAX_ITEMS]:
            w = ix.get(wid)
            flags = "|".join(w.get("flag_names", [])) or "-"
            out.append(f"     {w.get('func', '?'):<28} {flags:<10} {ix.owner_desc(w)}")
        if len(entries) > MAX_ITEMS:
            out.append(f"     ... {len(entries) - MAX_ITEMS} more")
    out.append("")
    _deferred(ix, out)
    return ("\n".join(out) + "\n").encode()


def _epoll(ix: _Index, ep: Dict[str, Any], out: List[str]) -> None:
    if not ep:
        return
    rb = ep.get("rbtree", {})
    out.append(
        f"        eventpoll {ep['addr']}: {rb.get('count', 0)} items, {len(ep.get('ready', []))} ready, "
        f"{len(ep.get('wq', []))} in epoll_wait, {len(ep.get('poll_wait', []))} polling it"
        + (", ovflist ACTIVE" if ep.get("ovflist_active") else "")
        + (f"  PARTIAL: {ep['partial']}" if "partial" in ep else "")
    )
    for wid in ep.get("wq", []):
        w = ix.get(wid)
        out.append(f"          wq: {w.get('func')} {ix.owner_desc(w)}")
    for wid in ep.get("poll_wait", []):
        w = ix.get(wid)
        out.append(f"          poll_wait: {w.get('func')} {ix.owner_desc(w)}")
    if ep.get("ready"):
        r = [str(ix.get(i).get("tfd", "?")) for i in ep["ready"][:MAX_ITEMS]]
        out.append(
            f"          ready (rdllist order): tfd {', '.join(r)}"
            + (" ..." if len(ep["ready"]) > MAX_ITEMS else "")
        )
    for i in rb.get("inorder", [])[:MAX_ITEMS]:
        e = ix.get(i)
        state = "READY" if e.get("on_ready") else ""
        if e.get("on_ovflist"):
            state += " OVF"
        nested = f" nested {e['nested_ep']}" if e.get("nested_ep") else ""
        out.append(
            f"          tfd {e.get('tfd', '?'):<5} events 0x{e.get('events', 0):08x} data 0x{e.get('data', 0):x} "
            f"{e.get('color', '?'):<5} {state:<9} {ix.file_desc(e.get('file'))}{nested}"
        )
    more = rb.get("count", 0) - MAX_ITEMS
    if more > 0:
        out.append(f"          ... {more} more items")


def _deferred(ix: _Index, out: List[str]) -> None:
    wqs = ix.by_type.get("workqueue", [])
    if wqs:
        out.append("WORKQUEUES")
        for wq in wqs:
            pwqs = [ix.get(p) for p in wq.get("pwqs", [])]
            active = sum(p.get("nr_active", 0) for p in pwqs)
            inactive = sum(len(p.get("inactive", [])) for p in pwqs)
            if active or inactive or wq.get("name") in ("simruptd", "vpoll_wq"):
                out.append(
                    f"  {wq.get('name'):<20} flags 0x{wq.get('flags', 0):x} max_active {wq.get('max_active')} active {active} inactive {inactive}"
                )
        for p in ix.by_type.get("worker_pool", []):
            out.append(
                f"  pool {p.get('pool_id'):<3} cpu {p.get('cpu'):<3} workers {p.get('nr_workers')} idle {p.get('nr_idle')} "
                f"running {p.get('nr_running')} pending {len(p.get('worklist', []))}"
            )
            for wid in p.get("busy", []):
                w = ix.get(wid)
                out.append(
                    f"       busy {w.get('desc') or ix.task_name(w.get('task'))}: {w.get('current_func', '?')}"
                )
        out.append("")
    for kind in ("kfifo", "circ_buf"):
        for f in ix.by_type.get(kind, []):
            idx = (
                f"in {f.get('in')} out {f.get('out')}"
                if kind == "kfifo"
                else f"head {f.get('head')} tail {f.get('tail')}"
            )
            n = f.get("len", f.get("cnt"))
            out.append(
                f"{kind.upper():<9}{f.get('name')}: {idx} size {f.get('size')} esize {f.get('esize')} holds {n}: {f.get('elements', [])[:16]}"
            )
    for r in ix.by_type.get("vpoll_ring", []):
        out.append(
            f"VPOLL RING {r['addr']} ({r.get('found_by')}): head {r.get('head')} tail {r.get('tail')} dropped {r.get('dropped')} capacity {r.get('capacity')}"
        )
        for rec in r.get("records", [])[-8:]:
            out.append(
                f"     #{rec['seq']} {rec['kind']:<8} vpoll {rec['instance']} by {rec['comm']}/{rec['pid']} events 0x{rec['events']:x} waiters {rec['waiters']}"
            )
