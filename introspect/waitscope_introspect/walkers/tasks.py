# SPDX-License-Identifier: MIT
"""
Tasks
-----

:func:`tasks_for_each` selects threads (all, or the thread groups of given
pids) and :func:`task_fields` reads what the snapshot shows of one
``struct task_struct``: ids, comm, state letter (the kernel's
``task_state_to_char()``), CPU, flags, its ``files_struct`` and, for sleeping
tasks, a symbolised stack.
"""

from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_cpu, task_state_to_char

from ..kernel import KernelView

__all__ = ("task_fields", "task_stack", "tasks_for_each")

PF_KTHREAD = 0x00200000  # include/linux/sched.h, unchanged since v2.6


def tasks_for_each(
    prog: drgn.Program, pids: Iterable[int] = (), cap: int = 100000
) -> Iterator[drgn.Object]:
    """
    Iterate over threads: every thread of the thread groups ``pids``, or all
    threads when ``pids`` is empty.

    :return: Iterator of ``struct task_struct *`` objects.
    """
    want = set(pids)
    for n, task in enumerate(for_each_task(prog)):
        if n >= cap:
            raise OverflowError(f"more than {cap} tasks")
        if not want or task.tgid.value_() in want:
            yield task


def task_fields(kv: KernelView, task: drgn.Object) -> Dict[str, Any]:
    """
    The snapshot fields of a task.

    :param task: ``struct task_struct *``
    """
    out: Dict[str, Any] = {}
    try:
        state_raw = int(task.member_("__state"))
    except LookupError:
        # Linux commit 2f064a59a11f ("sched: Change task_struct::state", v5.14).
        state_raw = int(task.member_("state"))
    out["pid"] = int(task.pid)
    out["tgid"] = int(task.tgid)
    out["comm"] = task.comm.string_().decode("utf-8", "backslashreplace")
    out["state"] = task_state_to_char(task)
    out["state_raw"] = state_raw
    flags = int(task.flags)
    out["flags"] = flags
    out["kthread"] = bool(flags & PF_KTHREAD)
    try:
        out["cpu"] = int(task_cpu(task))
    except (LookupError, drgn.FaultError):
        pass
    try:
        out["on_cpu"] = bool(int(task.on_cpu))
    except LookupError:
        pass
    out["_leader"] = task.group_leader.value_()
    out["_files"] = task.files.value_()
    return out


def task_stack(
    kv: KernelView, task: drgn.Object, max_frames: int = 32
) -> Tuple[Optional[List[Dict[str, str]]], str]:
    """
    The task's kernel stack, innermost first, or ``(None, why)`` when drgn
    cannot unwind it (drgn 0.0.22 does not know the ORC entry types of 6.12
    kernels: "unknown ORC entry type 3").
    """
    try:
        trace = kv.prog.stack_trace(task)
        out = []
        for i, frame in enumerate(trace):
            if i >= max_frames:
                break
            pc = frame.pc
            if pc < 0xFFFF800000000000:
                break  # the kernel stack ends where user space begins
            if out and out[-1]["pc"] == f"0x{pc:x}":
                continue  # an inlined frame: same pc, same symbol
            out.append({"pc": f"0x{pc:x}", "symbol": kv.syms.name(pc) or f"0x{pc:x}"})
    except Exception as e:  # noqa: B902 - drgn raises plain Exception for ORC errors
        return None, str(e)
    # A sleeping task was switched out in __schedule(): a trace that does not
    # start there was unwound from the wrong registers; do not show it.
    if out and not any(f["symbol"].split("+", 1)[0] in SWITCH_FUNCS for f in out[:4]):
        return None, f"unwind did not start in the scheduler (got {out[0]['symbol']})"
    return (out or None), ""


SWITCH_FUNCS = {"__schedule", "context_switch", "__switch_to", "__switch_to_asm", "schedule"}
