# SPDX-License-Identifier: MIT
"""
The crash report as text: the snapshot's ``crash`` section
(walkers/crash.py) in the order a reader wants it — reason and message, the
crashing task and its stack, the locks held, tasks in D state, the last vpoll
events, the dmesg tail. ``waitscope report`` prints it alone; ``waitscope dump
--format text`` prints it first.
"""

from typing import Any, Dict, List

__all__ = ("render_crash_text",)

MAX_STACK = 24


def _stack(t: Dict[str, Any], indent: str) -> List[str]:
    out: List[str] = []
    status = t.get("stack_status", "missing")
    if status != "ok":
        out.append(f"{indent}(stack {status}: {t.get('stack_note', 'not available')})")
    for f in t.get("stack", [])[:MAX_STACK]:
        out.append(f"{indent}{f['symbol']}" + (f" [{f['module']}]" if "module" in f else ""))
    if len(t.get("stack", [])) > MAX_STACK:
        out.append(f"{indent}... {len(t['stack']) - MAX_STACK} more")
    return out


def _task(t: Dict[str, Any]) -> str:
    cpu = f" on CPU {t['cpu']}" if "cpu" in t else ""
    return f"{t.get('label', t.get('id'))}{cpu} state {t.get('state', '?')}  ({t.get('id')})"


def render_crash_text(crash: Dict[str, Any], release: str = "") -> str:
    """The report (ends with a newline)."""
    out: List[str] = []
    if not crash or not crash.get("panic"):
        note = (crash or {}).get("note", "no crash section (snapshot from an older waitscope)")
        out.append(f"CRASH    none: {note}")
        return "\n".join(out) + "\n"
    out.append(
        f"CRASH    {crash.get('reason')}: {crash.get('reason_text', '')}"
        + (f"  [{release}]" if release else "")
    )
    out.append(f"  message     Kernel panic - not syncing: {crash.get('message', '(not found)')}")
    out.append(f"  panic CPU   {crash.get('panic_cpu')}")
    if crash.get("culprit_cpus"):
        out.append(f"  blamed CPUs {', '.join(str(c) for c in crash['culprit_cpus'])}")
    for c in crash.get("cpus", []):
        out.append(f"  CPU {c['cpu']:<3}     {c.get('label')}  ({c.get('task')})")
    t = crash.get("task")
    if t:
        out.append("")
        out.append(f"CRASHING TASK  {_task(t)}")
        out.append(f"  why: {t.get('why', '')}")
        out += _stack(t, "    ")
    p = crash.get("panic_task")
    if p and (not t or p.get("id") != t.get("id")):
        out.append("")
        out.append(f"PANICKING TASK  {_task(p)}  (called panic())")
        out += _stack(p, "    ")
    out.append("")
    locks = crash.get("locks", [])
    out.append(f"LOCKS HELD  {len(locks)}")
    for lk in locks:
        what = lk.get("label") or f"{lk.get('container') or lk.get('object')} {lk.get('field')}"
        val = f" value 0x{lk['value']:x}" if "value" in lk else ""
        out.append(f"  {lk.get('kind')} {what}  ({lk.get('object')}){val}")
        if lk.get("holder"):
            how = "inferred holder" if lk.get("holder_inferred") else "owner"
            out.append(f"    {how}: {lk.get('holder_label', lk['holder'])} ({lk['holder']})")
        for c in lk.get("candidates", []):
            out.append(f"    candidate: {c}")
        out.append(f"    {lk.get('evidence', '')}")
    d = crash.get("d_state", [])
    out.append("")
    out.append(f"TASKS IN D STATE  {len(d)}")
    for t in d:
        out.append(f"  {_task(t)}")
        out += _stack(t, "      ")
    evs = crash.get("last_events", [])
    out.append("")
    out.append(
        f"LAST VPOLL EVENTS  {len(evs)}" + (f"  ({crash['ring']})" if "ring" in crash else "")
    )
    if evs:
        out.append(
            f"  {'seq':>6} {'time s':>12} {'cpu':>3} {'task':<20} {'kind':<8} {'inst':>4} "
            f"{'events':>8} {'waiters':>7}"
        )
    for e in evs:
        who = f"{e.get('comm', '')}[{e.get('pid', '')}]"
        out.append(
            f"  {e.get('seq', 0):>6} {e.get('ts_ns', 0) / 1e9:>12.6f} {e.get('cpu', 0):>3} "
            f"{who:<20} {e.get('kind', ''):<8} {e.get('instance', 0):>4} "
            f"0x{e.get('events', 0):<6x} {e.get('waiters', 0):>7}"
        )
    dm = crash.get("dmesg", [])
    out.append("")
    out.append(f"DMESG  last {len(dm)} of {crash.get('dmesg_total', len(dm))} lines")
    for r in dm:
        out.append(f"  [{r.get('ts_ns', 0) / 1e9:>12.6f}] {r.get('text', '')}")
    for n in crash.get("notes", []):
        out.append(f"note: {n}")
    return "\n".join(out) + "\n"
