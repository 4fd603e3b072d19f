#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
Checks of the crash report of crash_deadlock's panic (tests/lab/crash_test.sh):

    crash_check.py OUTDIR PID VPOLL_FD KERNEL

OUTDIR has report.json (`waitscope report --format json`), report.txt,
panic-dump.json and panic-dump.txt (`waitscope dump --pid PID`), and the
snapshots `lab run` read from guest RAM at the marks: armed.json (before the
crash: no panic) and panic.json (at the panic). Every problem is
listed; the exit status is 1 if there is any.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "introspect"))
import snapcheck  # noqa: E402

WAKE = {"__wake_up", "__wake_up_common_lock", "_raw_spin_lock_irqsave"}


def frames(t):
    return [f["symbol"].split("+", 1)[0] for f in t.get("stack", [])]


def vpoll_behind(doc, pid, fd):
    """The vpoll object behind fd ``fd`` of process ``pid``, found from the objects."""
    ix = {o["id"]: o for o in doc["objects"]}
    leader = next((o for o in doc["objects"] if o["type"] == "task" and o.get("pid") == pid), None)
    if leader is None:
        return None, f"no task with pid {pid} in the dump"
    files = ix.get(leader.get("files"), {})
    f = next((x["file"] for x in files.get("fds", []) if x["fd"] == fd), None)
    if f is None:
        return None, f"pid {pid} has no fd {fd} in the dump"
    priv = ix.get(f, {}).get("private")
    vp = ix.get(priv)
    if not vp or vp["type"] != "vpoll":
        return None, f"fd {fd} of pid {pid} is not a vpoll file ({f} -> {priv})"
    return vp, ""


def main() -> int:
    out, pid, vfd, kernel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    problems = []
    rep = json.load(open(os.path.join(out, "report.json")))
    dump = json.load(open(os.path.join(out, "panic-dump.json")))
    c = rep.get("crash", {})
    problems += snapcheck.validate_schema(dump)
    if not c.get("panic"):
        problems.append(f"report says no panic: {c}")
    if c.get("reason") != "rcu_stall" or c.get("message") != "RCU Stall":
        problems.append(f"reason {c.get('reason')!r} message {c.get('message')!r}, want rcu_stall")
    if dump.get("crash", {}).get("reason") != c.get("reason"):
        problems.append("dump and report disagree on the reason")

    t = c.get("task", {})
    if t.get("pid") != pid or t.get("comm") != "crash_deadlock":
        problems.append(
            f"crashing task {t.get('label')} (pid {t.get('pid')}), want crash_deadlock[{pid}]"
        )
    task_ids = {o["id"] for o in dump["objects"] if o["type"] == "task" and o.get("pid") == pid}
    if t.get("id") not in task_ids:
        problems.append(f"crashing task id {t.get('id')} is not pid {pid}'s task in the dump")
    if t.get("cpu") not in c.get("culprit_cpus", []):
        problems.append(f"crashing task on CPU {t.get('cpu')}, blamed {c.get('culprit_cpus')}")
    fr = frames(t)
    status = t.get("stack_status")
    if "vpoll_ioctl" not in fr:
        problems.append(f"vpoll_ioctl not on the crashing task's stack ({status}): {fr}")
    if not WAKE & set(fr):
        problems.append(f"no wake-up/spin-lock frame on the crashing task's stack: {fr}")
    if status == "ok" and fr.index("vpoll_ioctl") < max(
        (fr.index(w) for w in WAKE if w in fr), default=-1
    ):
        problems.append(f"unwound stack has vpoll_ioctl inside the wake-up: {fr}")

    vp, why = vpoll_behind(dump, pid, vfd)
    if vp is None:
        problems.append(why)
    else:
        spins = [lk for lk in c.get("locks", []) if lk.get("kind") == "spinlock"]
        held = [lk for lk in spins if lk.get("object") == vp["wqh"]]
        if len(held) != 1:
            problems.append(f"held locks {spins}: none is {vp['id']}'s wqh {vp['wqh']}")
        else:
            lk = held[0]
            if lk.get("container") != vp["id"] or lk.get("field") != "wqh.lock":
                problems.append(f"lock container {lk.get('container')} {lk.get('field')}")
            if lk.get("holder") != t.get("id") or lk.get("holder_inferred") is not True:
                problems.append(
                    f"lock holder {lk.get('holder')} (inferred {lk.get('holder_inferred')})"
                )
            if not (lk.get("value", 0) & 0xFF):
                problems.append(f"lock word {lk.get('value')} has no locked byte")
        kinds = [e.get("kind") for e in c.get("last_events", [])]
        if (
            not kinds
            or kinds[-1] != "wake"
            or any(e.get("vpoll") != vp["id"] for e in c["last_events"] if e.get("pid") == pid)
        ):
            problems.append(f"last vpoll events {kinds} do not end in the wake of {vp['id']}")

    # The snapshots `lab run` read from guest RAM: before the crash (no panic) and at it.
    armed = json.load(open(os.path.join(out, "armed.json"))).get("crash", {})
    if armed.get("panic") is not False or armed.get("reason") != "none":
        problems.append(f"armed.json (before the crash) has crash {armed}")
    live = json.load(open(os.path.join(out, "panic.json"))).get("crash", {})
    if live.get("reason") != "rcu_stall" or live.get("task", {}).get("id") != t.get("id"):
        problems.append(
            f"panic.json (guest RAM at the panic): {live.get('reason')} {live.get('task', {}).get('id')}"
        )
    if [lk.get("holder") for lk in live.get("locks", [])] != [t.get("id")]:
        problems.append(f"panic.json locks {live.get('locks')}")

    txt = open(os.path.join(out, "report.txt")).read()
    first = open(os.path.join(out, "panic-dump.txt")).readline()
    if not txt.startswith("CRASH    rcu_stall") or f"crash_deadlock[{pid}]" not in txt:
        problems.append(f"text report: {txt[:200]!r}")
    if not first.startswith("CRASH    rcu_stall"):
        problems.append(f"dump --format text does not start with the report: {first!r}")

    for p in problems:
        print(f"crash-check ({kernel}): {p}")
    if not problems:
        print(
            f"crash-check ({kernel}): ok: rcu_stall, crash_deadlock[{pid}] on CPU {t.get('cpu')} "
            f"stack {status} ({' <- '.join(f for f in fr if f in WAKE | {'vpoll_ioctl'})}), "
            f"holds {vp['wqh']} of {vp['id']}"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
