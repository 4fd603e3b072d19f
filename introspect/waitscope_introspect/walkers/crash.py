# SPDX-License-Identifier: MIT
"""
Post-mortem: what made the kernel panic
---------------------------------------

:func:`crash_read` reads, during a capture, what a crash report needs:
``panic_cpu`` (kernel/panic.c; ``PANIC_CPU_INVALID`` = -1 when the kernel
did not panic, and then nothing else is read), the printk ring (drgn's
``get_printk_records``, the lockless ``prb`` on both lab kernels), the task
current on each CPU (``runqueues.curr``), the thread drgn names as crashed
(``prog.crashed_thread()``), kernel stacks of those tasks and of tasks in D
state, and the raw values of the locked wait queue spinlocks.

:func:`crash_section` then turns that, with the snapshot's tables, into the
snapshot's ``crash`` section (docs/snapshot-schema.md), reading the printk
text with :mod:`.crash_dmesg`: the panic reason classified from the panic message (``panic("RCU Stall\\n")`` in
kernel/rcu/tree_stall.h, ``"softlockup: hung tasks"`` in kernel/watchdog.c,
``"hung_task: blocked tasks"`` in kernel/hung_task.c, ``"Hard LOCKUP"``,
``"Fatal exception"`` after an oops or BUG, ...), the crashing task (for a
stall or lockup: the task current on the CPU the detector named; else the
task that called panic()), and the wait/epoll locks held. A spinlock has no
owner field: its likely holder is *inferred* from the tasks on a CPU whose
stack is inside a function that takes that lock and whose process has the
lock's object open, and the section says so.

Stacks: drgn 0.0.22 unwinds 6.1 (ORC), but not 6.12 ("unknown ORC entry type
3"); there the stack is a scan of the task's kernel stack for kernel text
addresses (``"stack_status": "scan"``: return addresses, possibly stale ones).
"""

import re
import struct
from typing import Any, Dict, List, Optional, Sequence, Tuple

import drgn
import numpy as np

from ..elf import parse_notes
from ..kernel import KernelView
from .crash_dmesg import MAX_FRAMES, classify, culprit_cpus, story_start, with_dmesg_trace

__all__ = ("crash_read", "crash_section", "elf_prstatus")

PANIC_CPU_INVALID = -1  # include/linux/panic.h (kernel.h before v6.2)
MAX_D_TASKS = 32
MAX_EVENTS = 32
#: vpoll record flag: an ADD/DEL that woke the waiters (ring ABI 2, uapi/vpoll.h).
REC_WOKE = 0x2
MAX_TASKS = 100000
THREAD_SIZE = 16384  # x86_64 without KASAN (arch/x86/include/asm/page_64_types.h)

# Functions that hold a wait queue head's lock while they run (kernel/sched/wait.c,
# fs/eventpoll.c, our kmod/vpoll/vpoll_main.c), by the container of the head.
HOLDS_ANY = (
    "__wake_up_common_lock",
    "__wake_up",
    "__wake_up_sync_key",
    "__wake_up_locked_key",
    "add_wait_queue",
    "add_wait_queue_exclusive",
    "remove_wait_queue",
    "prepare_to_wait",
    "prepare_to_wait_exclusive",
    "prepare_to_wait_event",
    "finish_wait",
    "ep_poll_callback",
)
HOLDS_BY_CONTAINER = {
    "vpoll": ("vpoll_ioctl", "vpoll_poll"),
    "eventpoll": ("ep_poll", "ep_insert", "ep_remove", "ep_start_scan", "ep_done_scan"),
    "eventfd": ("eventfd_write", "eventfd_read", "eventfd_signal"),
    "pipe": ("pipe_write", "pipe_read"),
}


def _frames_of(
    kv: KernelView, trace: Any, bounds: Optional[Tuple[int, int]]
) -> List[Dict[str, str]]:
    """Symbolised kernel frames of a drgn trace; [] unless a frame's sp is in ``bounds``."""
    out: List[Dict[str, str]] = []
    inside = bounds is None
    for frame in trace:
        if len(out) >= MAX_FRAMES:
            break
        pc = frame.pc
        if pc < 0xFFFF800000000000 or pc == 0xFFFFFFFFFFFFFFFF:
            break  # user space, or no frame at all
        try:
            sp = frame.sp
            if bounds is not None and bounds[0] <= sp < bounds[1]:
                inside = True
        except (LookupError, ValueError):
            pass
        if out and out[-1]["pc"] == f"0x{pc:x}":
            continue  # an inlined frame: same pc
        out.append({"pc": f"0x{pc:x}", "symbol": kv.syms.name(pc) or f"0x{pc:x}"})
    return out if inside else []


def elf_prstatus(path: str) -> List[Tuple[int, bytes]]:
    """
    ``(pr_pid, pr_reg)`` of every NT_PRSTATUS note of an ELF core, in file
    order (x86_64 ``struct elf_prstatus``: pid at 32, 27 registers at 112).
    QEMU's dump-guest-memory writes one per vCPU with pid = vCPU index + 1;
    the kernel's kdump writes the pid of the task on that CPU.
    """
    out: List[Tuple[int, bytes]] = []
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return out
            phoff = struct.unpack_from("<Q", head, 0x20)[0]
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
            f.seek(phoff)
            ph = f.read(phnum * phentsize)
            for i in range(phnum):
                p_type, _fl, off, _va, _pa, filesz = struct.unpack_from(
                    "<IIQQQQ", ph, i * phentsize
                )
                if p_type != 4 or filesz > 1 << 24:  # PT_NOTE
                    continue
                f.seek(off)
                for name, typ, desc in parse_notes(f.read(filesz)):
                    if name == b"CORE" and typ == 1 and len(desc) >= 112 + 27 * 8:
                        out.append(
                            (struct.unpack_from("<i", desc, 32)[0], desc[112 : 112 + 27 * 8])
                        )
    except (OSError, struct.error):
        return []
    return out


def _regs_for_cpu(kv: KernelView, cpu: int, pid: int) -> Optional[bytes]:
    notes = kv.prstatus
    pids = [p for p, _ in notes]
    if pids == list(range(1, len(notes) + 1)) and cpu < len(notes):
        return notes[cpu][1]  # QEMU: vCPU index + 1
    hit = [r for p, r in notes if p == pid and pid]
    return hit[0] if len(hit) == 1 else None


def _stack(kv: KernelView, task: drgn.Object, cpu: Optional[int] = None) -> Dict[str, Any]:
    """
    Frames of ``task`` (innermost first). A task current on a CPU (``cpu``)
    is unwound from that CPU's registers in the core's PRSTATUS note (its
    saved registers are stale), and the trace is kept only when it reaches
    the task's own stack; a sleeping task from its saved registers. When drgn
    cannot unwind, the task's stack is scanned for kernel text addresses.
    """
    prog = kv.prog
    try:
        base = int(task.stack.value_())
        bounds: Optional[Tuple[int, int]] = (base, base + THREAD_SIZE)
    except (LookupError, drgn.FaultError):
        bounds = None
    why = "no kernel frames"
    source: Any = task
    if cpu is not None:
        regs = _regs_for_cpu(kv, cpu, int(task.pid))
        if regs is None:
            source = None
            why = "no register note for this CPU in the dump"
        else:
            size = prog.type("struct pt_regs").size
            source = drgn.Object.from_bytes_(prog, "struct pt_regs", regs[:size])
    if source is not None:
        try:
            out = _frames_of(kv, prog.stack_trace(source), bounds if cpu is not None else None)
            if out:
                return {"stack": out, "stack_status": "ok"}
            if cpu is not None:
                why = "the CPU's registers do not unwind into the task's stack"
        except Exception as e:  # noqa: B902 - drgn raises plain Exception for ORC errors
            why = str(e)
    sp = None
    if cpu is None:
        try:
            sp = int(task.thread.sp)
        except (LookupError, drgn.FaultError):
            pass
    scan = _stack_scan(kv, task, sp)
    if scan:
        return {
            "stack": scan,
            "stack_status": "scan",
            "stack_note": f"drgn could not unwind ({why}); kernel text addresses found on the "
            "task's stack"
            + (" from its saved stack pointer" if sp is not None else "")
            + ", innermost first (return addresses; older ones may be stale)",
        }
    return {"stack_status": "missing", "stack_note": why}


def _stack_scan(kv: KernelView, task: drgn.Object, sp: Optional[int]) -> List[Dict[str, str]]:
    """Kernel text addresses on the task's stack from ``sp`` (when it is inside the
    stack: a sleeping task's saved sp) up, else from the stack's base up."""
    try:
        base = int(task.stack.value_())
        raw = kv.prog.read(base, THREAD_SIZE)
    except (drgn.FaultError, LookupError, ValueError):
        return []
    start = (sp - base) // 8 if sp is not None and base <= sp < base + THREAD_SIZE else 0
    words = np.frombuffer(raw, np.uint64)[start:]
    cand = words[(words >= np.uint64(0xFFFFFFFF80000000)) & (words < np.uint64(0xFFFFFFFFFF000000))]
    try:  # vmlinux text, or module space above it (not its data: cpu_bit_bitmap, ...)
        stext = kv.prog.symbol("_stext").address
        etext = kv.prog.symbol("_etext").address
        end = kv.prog.symbol("_end").address
    except LookupError:
        stext, etext, end = 0, 1 << 64, 0
    out: List[Dict[str, str]] = []
    for pc in cand.tolist():
        if len(out) >= MAX_FRAMES:
            break
        if not (stext <= pc < etext or pc >= max(end, 0xFFFFFFFFA0000000)):
            continue
        name = kv.syms.name(pc)
        if not name or "+" not in name:
            continue  # an object or a function's start: not a return address
        if out and out[-1]["pc"] == f"0x{pc:x}":
            continue
        out.append({"pc": f"0x{pc:x}", "symbol": name})
    return out


def _task_brief(
    kv: KernelView, task: drgn.Object, stack: bool = True, cpu: Optional[int] = None
) -> Dict[str, Any]:
    from drgn.helpers.linux.sched import task_state_to_char

    t: Dict[str, Any] = {"addr": task.value_()}
    try:
        t["pid"] = int(task.pid)
        t["tgid"] = int(task.tgid)
        t["comm"] = task.comm.string_().decode("utf-8", "backslashreplace")
        t["state"] = task_state_to_char(task)
        t["kthread"] = bool(int(task.flags) & 0x00200000)
    except drgn.FaultError as e:
        t["partial"] = f"unreadable: {e}"
        return t
    if stack:
        t.update(_stack(kv, task, cpu))
    return t


def crash_read(kv: KernelView, heads: np.ndarray, locked: np.ndarray) -> Dict[str, Any]:
    """
    Every kernel read of the crash report (call inside the capture).

    :param heads: wait_queue_head addresses the capture walked
    :param locked: per head, whether its spinlock was held
    """
    prog = kv.prog
    raw: Dict[str, Any] = {"notes": []}
    try:
        panic_cpu = int(prog["panic_cpu"].counter)
    except (KeyError, LookupError, drgn.FaultError) as e:
        return {"panic": False, "note": f"panic_cpu unreadable: {e}"}
    raw["panic_cpu"] = panic_cpu
    if panic_cpu == PANIC_CPU_INVALID:
        return {"panic": False, "panic_cpu": panic_cpu}
    raw["panic"] = True
    try:
        raw["crashing_cpu"] = int(prog["crashing_cpu"])  # x86: set by kdump's shutdown only
    except (KeyError, drgn.FaultError):
        pass

    # -- the printk ring ----------------------------------------------------------
    try:
        from drgn.helpers.linux.printk import get_printk_records

        recs = get_printk_records(prog)
        raw["dmesg_total"] = len(recs)
        raw["panic_line"] = next(
            (
                r.text.decode("utf-8", "replace")
                for r in reversed(recs)
                if r.text.startswith(b"Kernel panic - not syncing: ")
            ),
            None,
        )
        raw["dmesg"] = [
            {
                "ts_ns": r.timestamp,
                "level": r.level,
                "text": r.text.decode("utf-8", "backslashreplace"),
            }
            for r in recs
        ]
    except Exception as e:  # noqa: B902 - any drgn/printk layout problem: report it
        raw["dmesg"] = []
        raw["notes"].append(f"printk ring unreadable: {e}")

    # -- CPUs, the crashed thread ---------------------------------------------------
    from drgn.helpers.linux.cpumask import for_each_possible_cpu
    from drgn.helpers.linux.percpu import per_cpu

    cpus: Dict[int, Dict[str, Any]] = {}
    try:
        # Possible, not online: panic's NMI shutdown takes the other CPUs offline.
        for cpu in for_each_possible_cpu(prog):
            if len(cpus) >= 64:
                break
            try:
                curr = per_cpu(prog["runqueues"], cpu).curr
                cpus[cpu] = _task_brief(kv, curr, cpu=cpu)
            except drgn.FaultError as e:
                raw["notes"].append(f"CPU {cpu}: runqueue unreadable: {e}")
    except (KeyError, drgn.FaultError) as e:
        raw["notes"].append(f"CPUs unreadable: {e}")
    raw["cpus"] = cpus
    try:
        th = prog.crashed_thread()
        raw["crashed_thread"] = {"tid": th.tid, "addr": th.object.value_()}
    except Exception as e:  # noqa: B902 - ValueError on live targets, LookupError, ...
        raw["notes"].append(f"drgn has no crashed thread: {e}")

    # -- tasks in D state, and the task a hung-task panic named ------------------------
    from drgn.helpers.linux.pid import for_each_task
    from drgn.helpers.linux.sched import task_state_to_char

    d_tasks: List[Dict[str, Any]] = []
    by_pid: Dict[int, int] = {}
    try:
        for n, t in enumerate(for_each_task(prog)):
            if n >= MAX_TASKS:
                raw["notes"].append(f"more than {MAX_TASKS} tasks: the rest not checked")
                break
            by_pid[int(t.pid)] = t.value_()
            if task_state_to_char(t) == "D":
                if len(d_tasks) >= MAX_D_TASKS:
                    raw["notes"].append(f"more than {MAX_D_TASKS} tasks in D state")
                    break
                d_tasks.append(_task_brief(kv, t))
    except drgn.FaultError as e:
        raw["notes"].append(f"task list unreadable: {e}")
    raw["d_state"] = d_tasks
    m = re.search(r"INFO: task (.+):(\d+) blocked for more than", _text(raw))
    if m and int(m.group(2)) in by_pid:
        t = drgn.Object(prog, "struct task_struct *", by_pid[int(m.group(2))])
        raw["hung_task"] = _task_brief(kv, t)

    # -- raw values of the held wait queue locks -----------------------------------
    held = np.asarray(heads, np.uint64)[np.asarray(locked, bool)]
    vals: Dict[int, int] = {}
    if len(held):
        lh = kv.layouts["struct wait_queue_head"]
        v, ok = kv.mem.gather(held, lh.off("lock"), "u32")
        vals = {int(h): int(x) for h, x, k in zip(held.tolist(), v.tolist(), ok.tolist()) if k}
    raw["lock_values"] = vals
    return raw


def _text(raw: Dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in raw.get("dmesg", []))


SOURCES = {
    "ok": "its stack, unwound",
    "scan": "a scan of its stack",
    "dmesg": "the kernel's backtrace of it in dmesg",
}


def _frames(t: Dict[str, Any]) -> List[str]:
    return [f["symbol"].split("+", 1)[0] for f in t.get("stack", [])]


def crash_section(raw: Dict[str, Any], tables: Sequence[Any]) -> Dict[str, Any]:
    """The snapshot's ``crash`` section from :func:`crash_read`'s result and the tables."""
    if not raw.get("panic"):
        out = {"panic": False, "reason": "none"}
        if "panic_cpu" in raw:
            out["panic_cpu"] = raw["panic_cpu"]
        out["note"] = raw.get("note", "the kernel did not panic (panic_cpu is -1)")
        return out
    rows: Dict[str, List[Dict[str, Any]]] = {}
    for t in tables:
        if t.type in ("wait_queue_head", "eventpoll", "vpoll", "vpoll_ring", "file", "files"):
            rows[t.type] = t.rows()
        elif t.type == "task":
            rows["task"] = t.rows()
    by_id = {r["id"]: r for rs in rows.values() for r in rs}
    notes: List[str] = list(raw.get("notes", []))
    out: Dict[str, Any] = {"panic": True}
    line = raw.get("panic_line")
    message = line.split(": ", 1)[1].strip() if line else None
    reason, desc = classify(message)
    out["reason"] = reason
    out["reason_text"] = desc
    if message is not None:
        out["message"] = message
    out["panic_cpu"] = raw["panic_cpu"]
    if raw.get("crashing_cpu", -1) != -1:
        out["crashing_cpu"] = raw["crashing_cpu"]
    text = _text(raw)

    def task_entry(t: Dict[str, Any], cpu: Optional[int] = None) -> Dict[str, Any]:
        e = {k: v for k, v in t.items() if k != "addr"}
        e["id"] = f"task:0x{t['addr']:x}"
        if cpu is not None:
            e["cpu"] = cpu
        if "comm" in e:
            e["label"] = f"{e['comm']}[{e['pid']}]"
        return e

    cpus: Dict[int, Dict[str, Any]] = raw.get("cpus", {})
    out["cpus"] = [
        {"cpu": c, "task": f"task:0x{t['addr']:x}", "label": task_entry(t)["label"]}
        for c, t in sorted(cpus.items())
        if "comm" in t
    ]
    panic_t = cpus.get(raw["panic_cpu"])
    if panic_t is not None:
        out["panic_task"] = task_entry(panic_t, raw["panic_cpu"])
    ct = raw.get("crashed_thread")
    if ct and panic_t is not None and ct["addr"] != panic_t["addr"]:
        notes.append(
            f"drgn's crashed_thread() is tid {ct['tid']}, not the panicking CPU's task: it takes "
            "the first PRSTATUS note, whose pid QEMU sets to vCPU index + 1; panic_cpu is used"
        )

    # The crashing task: on the CPU a stall/lockup detector blamed, the hung task,
    # else the one that panicked.
    blamed, how = culprit_cpus(reason, text, raw["panic_cpu"])
    if blamed:
        out["culprit_cpus"] = blamed
    crash_t = None
    for c in blamed:
        if c in cpus and "comm" in cpus[c]:
            crash_t = task_entry(cpus[c], c)
            crash_t["why"] = f"current task of CPU {c}: {how}"
            break
    if crash_t is None and "hung_task" in raw:
        crash_t = task_entry(raw["hung_task"])
        crash_t["why"] = "the hung task detector named it"
    if crash_t is None and panic_t is not None:
        crash_t = dict(out["panic_task"])
        crash_t["why"] = "it called panic()"
    if crash_t is not None:
        out["task"] = crash_t

    dmesg = raw.get("dmesg", [])
    for t in (crash_t, out.get("panic_task")):
        if t is not None:
            with_dmesg_trace(t, dmesg)
    out["dmesg_total"] = raw.get("dmesg_total", len(dmesg))
    out["dmesg"] = dmesg[story_start(dmesg) :]
    out["d_state"] = [task_entry(t) for t in raw.get("d_state", [])]

    # -- locks ----------------------------------------------------------------------
    running = [task_entry(t, c) for c, t in sorted(cpus.items()) if "comm" in t]
    for t in running:
        with_dmesg_trace(t, dmesg)
    files_of: Dict[str, set] = {}
    fd_of: Dict[Tuple[str, str], int] = {}
    private_of = {r["id"]: r.get("private") for r in rows.get("file", [])}
    for fs in rows.get("files", []):
        objs = set()
        for fd in fs.get("fds", []):
            p = private_of.get(fd.get("file"))
            if p:
                objs.add(p)
                for u in fs.get("users", []):
                    fd_of.setdefault((u, p), fd["fd"])
        for u in fs.get("users", []):
            files_of[u] = objs
    leader_of = {r["id"]: r.get("leader", r["id"]) for r in rows.get("task", [])}

    def opened(task_id: str, obj: str) -> Optional[int]:
        for tid in (task_id, leader_of.get(task_id)):
            if tid and (tid, obj) in fd_of:
                return fd_of[(tid, obj)]
        return None

    locks: List[Dict[str, Any]] = []
    lock_values: Dict[int, int] = raw.get("lock_values", {})
    for h in rows.get("wait_queue_head", []):
        if not h.get("locked"):
            continue
        cont = h.get("container") or {}
        cid = cont.get("id")
        ctype = cid.split(":", 1)[0] if cid else ""
        lk: Dict[str, Any] = {
            "kind": "spinlock",
            "object": h["id"],
            "container": cid,
            "field": f"{cont.get('field', '?')}.lock",
            "locked": True,
        }
        if cid and by_id.get(cid, {}).get("label"):
            lk["label"] = f"{by_id[cid]['label']}: {lk['field']}"
        addr = int(h["addr"], 16)
        if addr in lock_values:
            v = lock_values[addr]
            lk["value"] = v
            # qspinlock: locked byte, pending byte, tail (cpu + 1) << 18
            lk["decoded"] = {"locked": v & 0xFF, "pending": (v >> 8) & 0xFF, "tail": v >> 16}
        funcs = set(HOLDS_ANY) | set(HOLDS_BY_CONTAINER.get(ctype, ()))
        cands = []
        for t in running:
            hit = [f for f in _frames(t) if f in funcs]
            fd = opened(t["id"], cid) if cid else None
            if hit and (fd is not None or not cid):
                cands.append((t, hit, fd))
        if len(cands) == 1:
            t, hit, fd = cands[0]
            lk["holder"] = t["id"]
            lk["holder_label"] = t.get("label", t["id"])
            lk["holder_inferred"] = True
            lk["evidence"] = (
                f"inferred: spinlocks record no owner; {t.get('label')} on CPU {t.get('cpu')} is in "
                f"{', '.join(dict.fromkeys(hit))} ({SOURCES.get(t.get('stack_status'), 'its stack')})"
                + (f" and has {ctype} {cid} open as fd {fd}" if fd is not None else "")
            )
        elif cands:
            lk["candidates"] = [t["id"] for t, _, _ in cands]
            lk[
                "evidence"
            ] = "several tasks on a CPU could hold it (stacks in lock-taking functions)"
        else:
            lk["evidence"] = "no task on a CPU is in a function that takes it (holder unknown)"
        locks.append(lk)
    for ep in rows.get("eventpoll", []):
        mtx = ep.get("mtx") or {}
        if mtx.get("owner"):
            locks.append(
                {
                    "kind": "mutex",
                    "object": ep["id"],
                    "container": ep["id"],
                    "field": "mtx",
                    "label": f"{ep.get('label', ep['id'])}: mtx",
                    "locked": True,
                    "holder": mtx["owner"],
                    "holder_label": by_id.get(mtx["owner"], {}).get("label", mtx["owner"]),
                    "holder_inferred": False,
                    "evidence": "mutex.owner (flag bits masked)",
                }
            )
        if (ep.get("lock") or {}).get("locked"):
            locks.append(
                {
                    "kind": "rwlock",
                    "object": ep["id"],
                    "container": ep["id"],
                    "field": "lock",
                    "label": f"{ep.get('label', ep['id'])}: lock",
                    "locked": True,
                    "evidence": "rwlock held; no owner recorded (holder unknown)",
                }
            )
    out["locks"] = locks

    # -- last vpoll events --------------------------------------------------------------
    rings = rows.get("vpoll_ring", [])
    if rings:
        ring = rings[0]
        inst = {v.get("instance"): v["id"] for v in rows.get("vpoll", [])}
        pids = {r.get("pid"): r["id"] for r in rows.get("task", []) if "pid" in r}
        evs = []
        for rec in ring.get("records", [])[-MAX_EVENTS:]:
            e = dict(rec)
            if rec.get("instance") in inst:
                e["vpoll"] = inst[rec["instance"]]
            if rec.get("pid") in pids:
                e["task"] = pids[rec["pid"]]
            evs.append(e)
            # Ring ABI 2: an ADD/DEL that woke carries its wake (flag 0x2); list the wake
            # as ABI 1 recorded it, after it, so the report ends with the wake in flight.
            if rec.get("kind") in ("add", "del") and rec.get("flags", 0) & REC_WOKE:
                evs.append(dict(e, kind="wake", arg=0, flags=0, folded=True))
        out["ring"] = ring["id"]
        out["last_events"] = evs
    else:
        out["last_events"] = []
        notes.append("no vpoll flight recorder in this snapshot")
    out["notes"] = notes
    return out
