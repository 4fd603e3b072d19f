#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
The stepping test's checks, on a `waitscope lab run pingpong --break
ep_poll_callback --break-count N` output directory:

1. N breakpoint stops in run.json, each with hit-<n>.json;
2. each snapshot's capture.stop decodes ep_poll_callback's arguments: the
   wait entry (rdi) is in the snapshot as an ep_poll_callback entry whose
   owner (the walker's reading) is the epitem the decoder found through
   container_of(eppoll_entry).base; that epitem's eventpoll and file, the
   file's vpoll instance and its wait queue head agree with the decode; the
   key (rcx) equals the vpoll's events (ADD/DEL set them, then wake with
   them); the current task is a pingpong thread on the stopped CPU;
3. `waitscope diff --format json` between consecutive snapshots reports the
   eventpoll's ready list and the epitem's on_ready as changed exactly when
   they differ, and the ready list does change over the steps (the child
   makes the epitem ready, the parent consumes it).

    step_check.py WAITSCOPE COUNT DIR
"""

import json
import os
import subprocess
import sys


def main() -> int:
    ws, count, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    errors = []

    def fail(msg):
        errors.append(msg)

    run = json.load(open(os.path.join(d, "run.json")))
    hits = [m for m in run["marks"] if m.get("kind") == "breakpoint"]
    if len(hits) != count:
        fail(f"{len(hits)} breakpoint stops in run.json, want {count}")
    if run.get("breakpoints", {}).get("hits") != count:
        fail(f"run.json breakpoints: {run.get('breakpoints')}")
    snaps = []
    for m in hits:
        name = m["name"]
        path = os.path.join(d, name + ".json")
        if not os.path.exists(path):
            fail(f"{name}: no snapshot ({m.get('snapshot')})")
            continue
        s = json.load(open(path))
        snaps.append((name, path, s))
        objs = {o["id"]: o for o in s["objects"]}
        stop = s["capture"].get("stop")
        if not stop:
            fail(f"{name}: no capture.stop")
            continue
        if stop.get("errors"):
            fail(f"{name}: decode errors {stop['errors']}")
        if stop.get("function") != "ep_poll_callback":
            fail(f"{name}: function {stop.get('function')}")
        if stop.get("cpu") != m["cpu"] or stop.get("regs", {}).get("rdi") != m["regs"]["rdi"]:
            fail(f"{name}: stop cpu/regs differ from run.json")
        o = stop.get("objects") or {}
        need = ("wait_entry", "epitem", "eventpoll", "file", "vpoll", "wait_queue_head")
        if any(k not in o for k in need):
            fail(f"{name}: arguments not decoded: {sorted(o)}")
            continue
        if stop["args"][0].get("id") != f"wait_entry:{m['regs']['rdi']}":
            fail(f"{name}: arg 0 is not the wait entry in rdi")
        we = objs.get(o["wait_entry"])
        if we is None or we.get("func") != "ep_poll_callback":
            fail(f"{name}: wait entry {o['wait_entry']} not in the snapshot as ep_poll_callback")
            continue
        if we.get("owner") != o["epitem"]:
            fail(f"{name}: walker says owner {we.get('owner')}, decode says {o['epitem']}")
        if we.get("head") != o["wait_queue_head"]:
            fail(f"{name}: wait entry head {we.get('head')} != {o['wait_queue_head']}")
        epi = objs.get(o["epitem"], {})
        if epi.get("ep") != o["eventpoll"] or epi.get("file") != o["file"]:
            fail(f"{name}: epitem {o['epitem']} ep/file disagree with the decode")
        f = objs.get(o["file"], {})
        if f.get("kind") != "vpoll" or f.get("private") != o["vpoll"]:
            fail(f"{name}: file {o['file']} is not the vpoll {o['vpoll']}")
        vp = objs.get(o["vpoll"], {})
        if vp.get("wqh") != o["wait_queue_head"]:
            fail(f"{name}: vpoll wqh {vp.get('wqh')} != {o['wait_queue_head']}")
        key = int(stop["args"][3]["value"], 16)
        if vp.get("events") != key:
            fail(f"{name}: key {key:#x} != vpoll events {vp.get('events')}")
        task = objs.get(stop.get("task"), {})
        if task.get("comm") != "pingpong" or task.get("pid") != stop.get("task_pid"):
            fail(f"{name}: current task {stop.get('task')} is not a pingpong thread")
        if task.get("cpu") != stop["cpu"] or not task.get("on_cpu"):
            fail(f"{name}: current task not on cpu {stop['cpu']}")
        for k in ("epitem", "vpoll", "eventpoll"):
            if o[k] not in stop.get("highlight", []):
                fail(f"{name}: {k} not highlighted")

    ready_changes = 0
    for (na, pa, a), (nb, pb, b) in zip(snaps, snaps[1:]):
        sa, sb = a["capture"].get("stop", {}), b["capture"].get("stop", {})
        ep_id = sa.get("objects", {}).get("eventpoll")
        epi_id = sa.get("objects", {}).get("epitem")
        if not ep_id:
            continue
        oa = {o["id"]: o for o in a["objects"]}
        ob = {o["id"]: o for o in b["objects"]}
        diff = json.loads(
            subprocess.run(
                [ws, "diff", "--format", "json", pa, pb], check=True, capture_output=True
            ).stdout
        )
        changed = {c["id"]: set(c["fields"]) for c in diff["changed"]}
        moved = oa[ep_id]["ready"] != ob[ep_id]["ready"]
        ready_changes += moved
        if moved != ("ready" in changed.get(ep_id, set())):
            fail(f"{na}->{nb}: ready {oa[ep_id]['ready']} -> {ob[ep_id]['ready']}, diff {changed}")
        flip = oa[epi_id]["on_ready"] != ob[epi_id]["on_ready"]
        if flip != ("on_ready" in changed.get(epi_id, set())):
            fail(f"{na}->{nb}: on_ready flip {flip}, diff {changed.get(epi_id)}")
        print(
            f"{na}->{nb}: key {sb['args'][3]['value']} by pid {sb.get('task_pid')}, "
            f"ready {len(oa[ep_id]['ready'])} -> {len(ob[ep_id]['ready'])}, "
            f"{len(diff['changed'])} changed"
        )
    if ready_changes == 0:
        fail("the ready list never changed between stops")
    for e in errors:
        print("FAIL:", e)
    print(
        f"step_check: {len(snaps)} stops, {ready_changes} ready-list changes, {len(errors)} errors"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
