# SPDX-License-Identifier: MIT
"""
What a breakpoint stop means: the current task and the function's arguments
---------------------------------------------------------------------------

When the lab VM stops at a kernel function (``waitscope lab run --break``),
:func:`decode_stop` turns the vCPU's registers into snapshot ids: the task
running on that CPU (the per-cpu ``current_task``, or ``pcpu_hot.current_task``
on kernels ≥6.2) and, for the functions it knows, the objects the arguments
point at. ``ep_poll_callback(wait_queue_entry_t *wait, unsigned mode, int
sync, void *key)`` (identical on 6.1 and 6.12): ``wait`` is embedded in a
``struct eppoll_entry`` whose ``base`` is the epitem being made ready; the
epitem's ``ep`` is its eventpoll and ``ffd.file`` the watched file, whose
``private_data`` is a ``vpoll`` instance when ``f_op`` is ``vpoll_fops``;
``key`` carries the poll events. Everything is read through drgn from the
stopped guest, independently of the snapshot walk (so the two cross-check).

The result goes into the snapshot's ``capture.stop`` (docs/snapshot-schema.md).
"""

from typing import Any, Dict, List, Optional

import drgn
from drgn.helpers.linux.percpu import per_cpu

__all__ = ("decode_stop", "EPOLL_BITS")

ARG_REGS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")

EPOLL_BITS = (
    (0x1, "EPOLLIN"),
    (0x2, "EPOLLPRI"),
    (0x4, "EPOLLOUT"),
    (0x8, "EPOLLERR"),
    (0x10, "EPOLLHUP"),
    (0x20, "EPOLLNVAL"),
    (0x40, "EPOLLRDNORM"),
    (0x80, "EPOLLRDBAND"),
    (0x100, "EPOLLWRNORM"),
    (0x200, "EPOLLWRBAND"),
    (0x400, "EPOLLMSG"),
    (0x2000, "EPOLLRDHUP"),
)


def _hex(v: int) -> str:
    return f"0x{v & 0xFFFFFFFFFFFFFFFF:x}"


def _id(kind: str, addr: int) -> str:
    return f"{kind}:{_hex(addr)}"


def _event_names(v: int) -> List[str]:
    return [name for bit, name in EPOLL_BITS if v & bit]


def current_task(prog: drgn.Program, cpu: int) -> drgn.Object:
    """The task running on ``cpu`` (probes both per-cpu layouts)."""
    try:
        return per_cpu(prog["current_task"], cpu)
    except KeyError:
        return per_cpu(prog["pcpu_hot"], cpu).current_task


def _file_objects(prog, symbolizer, file: drgn.Object, out: Dict[str, Any]) -> None:
    addr = file.value_()
    out["file"] = _id("file", addr)
    fop = symbolizer.name(file.f_op.value_()) if file.f_op else None
    private = file.private_data.value_()
    if fop == "vpoll_fops" and private:
        out["vpoll"] = _id("vpoll", private)
    elif fop == "eventpoll_fops" and private:
        out["target_eventpoll"] = _id("eventpoll", private)


def _ep_poll_callback(prog, symbolizer, args: List[int]) -> Dict[str, Any]:
    wait = drgn.Object(prog, "struct wait_queue_entry *", args[0])
    pwq = drgn.container_of(wait, "struct eppoll_entry", "wait")
    epi = pwq.base
    out: Dict[str, Any] = {
        "wait_entry": _id("wait_entry", args[0]),
        "eppoll_entry": _hex(pwq.value_()),
        "epitem": _id("epitem", epi.value_()),
        "eventpoll": _id("eventpoll", epi.ep.value_()),
        "wait_queue_head": _id("wait_queue_head", pwq.whead.value_()),
        "epitem_tfd": int(epi.ffd.fd),
        "epitem_events": int(epi.event.events),
    }
    _file_objects(prog, symbolizer, epi.ffd.file, out)
    return out


def _wake_up_common(prog, symbolizer, args: List[int]) -> Dict[str, Any]:
    return {"wait_queue_head": _id("wait_queue_head", args[0])}


def _try_to_wake_up(prog, symbolizer, args: List[int]) -> Dict[str, Any]:
    task = drgn.Object(prog, "struct task_struct *", args[0])
    return {
        "wakee": _id("task", args[0]),
        "wakee_pid": int(task.pid),
        "wakee_comm": task.comm.string_().decode(errors="replace"),
    }


# function -> (argument names and kinds, decoder of the pointed-at objects)
FUNCTIONS: Dict[str, tuple] = {
    "ep_poll_callback": (
        (("wait", "wait_entry"), ("mode", None), ("sync", None), ("key", "events")),
        _ep_poll_callback,
    ),
    "__wake_up_common": (
        (("wq_head", "wait_queue_head"), ("mode", None), ("nr_exclusive", None)),
        _wake_up_common,
    ),
    "try_to_wake_up": ((("p", "task"), ("state", None), ("wake_flags", None)), _try_to_wake_up),
}


def decode_stop(prog: drgn.Program, symbolizer, stop: Dict[str, Any]) -> Dict[str, Any]:
    """
    ``stop``: ``{"function", "cpu", "regs": {"rdi": "0x...", ...}}``. Returns
    ``{"function", "cpu", "pc", "task", "task_pid", "task_comm", "args",
    "objects", "highlight", "errors"}``; a part that cannot be read is left
    out and named in ``errors``.
    """
    func = stop.get("function", "")
    cpu = int(stop.get("cpu", 0))
    regs = stop.get("regs", {})
    raw = [int(regs.get(r, "0x0"), 16) for r in ARG_REGS]
    out: Dict[str, Any] = {"function": func, "cpu": cpu, "errors": []}
    if "rip" in regs:
        out["pc"] = regs["rip"]
    try:
        task = current_task(prog, cpu)
        out["task"] = _id("task", task.value_())
        out["task_pid"] = int(task.pid)
        out["task_tgid"] = int(task.tgid)
        out["task_comm"] = task.comm.string_().decode(errors="replace")
    except (drgn.FaultError, LookupError, ValueError) as e:
        out["errors"].append(f"current task of cpu {cpu}: {e}")
    spec = FUNCTIONS.get(func)
    args: List[Dict[str, Any]] = []
    names = spec[0] if spec else tuple((f"arg{i}", None) for i in range(len(ARG_REGS)))
    for i, (name, kind) in enumerate(names):
        a: Dict[str, Any] = {"name": name, "reg": ARG_REGS[i], "value": _hex(raw[i])}
        if kind == "events":
            a["events"] = _event_names(raw[i])
        elif kind and raw[i]:
            a["id"] = _id(kind, raw[i])
        args.append(a)
    out["args"] = args
    objects: Optional[Dict[str, Any]] = None
    if spec:
        try:
            objects = spec[1](prog, symbolizer, raw)
        except (drgn.FaultError, LookupError, ValueError) as e:
            out["errors"].append(f"arguments of {func}: {e}")
    if objects is not None:
        out["objects"] = objects
    highlight = [a["id"] for a in args if "id" in a]
    for v in (objects or {}).values():
        if isinstance(v, str) and ":" in v and v not in highlight:
            highlight.append(v)
    if "task" in out:
        highlight.append(out["task"])
    out["highlight"] = highlight
    if not out["errors"]:
        del out["errors"]
    return out
