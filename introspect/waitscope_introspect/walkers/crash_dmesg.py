# SPDX-License-Identifier: MIT
"""
Post-mortem: reading the kernel's own words
-------------------------------------------

What the crash report takes from the printk ring (walkers/crash.py reads it):
the panic reason from the message given to ``panic()``, the CPUs a stall or
lockup detector blamed, where the story starts, and the kernel's own
backtraces (a stall's NMI backtrace, panic()'s ``dump_stack()``) for tasks
drgn cannot unwind. The formats are those of kernel/panic.c,
kernel/rcu/tree_stall.h, kernel/watchdog.c, kernel/hung_task.c and
lib/dump_stack.c on 6.1 and 6.12.
"""

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = (
    "MAX_FRAMES",
    "REASONS",
    "classify",
    "culprit_cpus",
    "dmesg_backtrace",
    "story_start",
    "with_dmesg_trace",
)

MAX_DMESG = 80  # dmesg lines kept (the tail) ...
MAX_DMESG_STORY = 240  # ... or from the detector's first line, at most this many
MAX_FRAMES = 48

# Panic message (as given to panic()) -> reason. Order matters: first match wins.
REASONS: Sequence[Tuple[str, str, str]] = (
    ("rcu_stall", r"^RCU Stall", "RCU stall (panic_on_rcu_stall)"),
    ("soft_lockup", r"^softlockup", "soft lockup (softlockup_panic)"),
    ("hard_lockup", r"Hard LOCKUP", "hard lockup (NMI watchdog)"),
    ("hung_task", r"^hung_task", "hung task (hung_task_panic)"),
    ("sysrq", r"^sysrq triggered crash", "SysRq crash (echo c > /proc/sysrq-trigger)"),
    ("warn", r"panic_on_warn", "WARN with panic_on_warn"),
    ("init_killed", r"Attempted to kill init", "init exited"),
    ("oops", r"^Fatal exception", "oops (panic_on_oops or in interrupt)"),
)


def classify(message: Optional[str]) -> Tuple[str, str]:
    """``(reason, description)`` for a panic message (``"other"`` when unknown)."""
    if message is None:
        return "unknown", "panic message not found in the printk ring"
    for reason, pattern, desc in REASONS:
        if re.search(pattern, message):
            return reason, desc
    return "other", "panic() called with this message"


def culprit_cpus(reason: str, text: str, panic_cpu: int) -> Tuple[List[int], str]:
    """The CPUs the detector blamed, and how we know."""
    if reason == "rcu_stall":
        cpus: List[int] = []
        # print_cpu_stall_info(): "\t%d-%c%c%c%c: (...)" after "detected stalls on CPUs/tasks:"
        for block in re.split(r"detected stalls on CPUs/tasks:", text)[1:]:
            for line in block.splitlines()[1:]:
                mm = re.match(r"^(?:rcu: )?\s*(\d+)-\S*: \(", line)
                if not mm:
                    if cpus:
                        break
                    continue
                cpus.append(int(mm.group(1)))
        if cpus:
            return sorted(set(cpus)), "the RCU stall report names the CPU(s)"
        if "self-detected stall on CPU" in text:
            return [panic_cpu], "the panicking CPU detected its own stall"
        return [], "the RCU stall report names no CPU"
    if reason == "soft_lockup":
        found = re.findall(r"BUG: soft lockup - CPU#(\d+) stuck", text)
        if found:
            return [int(found[-1])], "the soft lockup report names the CPU"
    if reason == "hard_lockup":
        found = re.findall(r"hard LOCKUP on cpu (\d+)", text)
        if found:
            return [int(found[-1])], "the hard lockup report names the CPU"
    return [], ""


# The first line of a detector's report (kernel/rcu/tree_stall.h, kernel/watchdog.c,
# kernel/hung_task.c, arch/x86/kernel/dumpstack.c, lib/bug.c, kernel/panic.c).
STORY = re.compile(
    r"detected stalls on CPUs|self-detected stall|BUG: soft lockup|hard LOCKUP|"
    r"INFO: task .* blocked for more than|^Oops|kernel BUG at|^BUG: |^WARNING: |"
    r"sysrq: Trigger a crash|Kernel panic - not syncing"
)


def story_start(dmesg: List[Dict[str, Any]]) -> int:
    """Where the dmesg tail starts: the first detector line among the last
    MAX_DMESG_STORY lines, else the last MAX_DMESG lines."""
    n = len(dmesg)
    lo = max(0, n - MAX_DMESG_STORY)
    for i in range(lo, n):
        if STORY.search(dmesg[i]["text"]):
            return max(0, min(i - 2, n - MAX_DMESG))
    return max(0, n - MAX_DMESG)


HEADER = re.compile(r"^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: ")
TRACE_END = re.compile(r"^\s*</TASK>|^NMI backtrace for cpu|^CPU: \d+ |^---\[ end")


def dmesg_backtrace(dmesg: List[Dict[str, Any]], cpu: int, pid: int) -> List[Dict[str, str]]:
    """
    The kernel's own backtrace of ``cpu``/``pid`` in the printk ring (the last
    one: the NMI backtrace at a stall, panic()'s dump_stack()): the ``RIP:``
    line, then the ``Call Trace:`` lines without the unreliable ``?`` ones.
    """
    start = None
    for i, r in enumerate(dmesg):
        m = HEADER.match(r["text"])
        if m and int(m.group(1)) == cpu and int(m.group(2)) == pid:
            start = i
    if start is None:
        return []
    out: List[Dict[str, str]] = []
    in_trace = False
    for r in dmesg[start + 1 : start + 200]:
        text = r["text"]
        if TRACE_END.match(text) and in_trace:
            break
        m = re.match(r"^RIP: \d+:(\S+)", text)
        if m and not in_trace and not out:
            out.append({"symbol": m.group(1)})
            continue
        if text.startswith("Call Trace:"):
            in_trace = True
            continue
        line = text.strip()
        if not in_trace or not line or line.startswith("?") or line.startswith("<"):
            continue
        m = re.match(r"^(\S+\+0x[0-9a-f]+/0x[0-9a-f]+)(?: \[(\S+)\])?", line)
        if m:
            f = {"symbol": m.group(1)}
            if m.group(2):
                f["module"] = m.group(2)
            out.append(f)
        if len(out) >= MAX_FRAMES:
            break
    return out


def with_dmesg_trace(t: Dict[str, Any], dmesg: List[Dict[str, Any]]) -> None:
    """Replace a scanned stack of a task on a CPU by the kernel's own backtrace."""
    if t.get("stack_status") == "ok" or "cpu" not in t or "pid" not in t:
        return
    frames = dmesg_backtrace(dmesg, t["cpu"], t["pid"])
    if frames:
        why = t.get("stack_note", "").split(";", 1)[0]
        t["stack"] = frames
        t["stack_status"] = "dmesg"
        t["stack_note"] = (
            f"{why}; the kernel's own backtrace of CPU {t['cpu']} from the printk ring "
            "(without its '?' guesses)"
        )
