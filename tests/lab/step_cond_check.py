#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
Breakpoint conditions: `pingpong --break ep_poll_callback --break-count 3 --if arg3=0
--if comm=pingpong` stops only at the parent's DELEVENTS wakes (key 0); the child's
ADDEVENTS wakes (key EPOLLIN) are skipped without snapshots and do not count.

    step_cond_check.py DIR
"""
import json
import os
import sys

d = sys.argv[1]
run = json.load(open(os.path.join(d, "run.json")))
errors = []
bp = run.get("breakpoints", {})
hits = [m for m in run["marks"] if m.get("kind") == "breakpoint"]
if bp.get("hits") != 3 or len(hits) != 3:
    errors.append(f"want 3 counted stops: {bp}, {len(hits)} marks")
if not bp.get("skipped"):
    errors.append(f"no stop was skipped (the child's ADD wakes should be): {bp}")
pids = set()
for m in hits:
    s = json.load(open(os.path.join(d, m["name"] + ".json")))
    stop = s["capture"]["stop"]
    objs = {o["id"]: o for o in s["objects"]}
    if stop["args"][3]["value"] != "0x0" or m["args"][3] != "0x0":
        errors.append(f"{m['name']}: key {stop['args'][3]['value']}, the condition wants 0")
    if stop.get("task_comm") != "pingpong":
        errors.append(f"{m['name']}: current task {stop.get('task_comm')}")
    pids.add(stop.get("task_pid"))
    vp = objs.get(stop.get("objects", {}).get("vpoll"), {})
    if vp.get("events") != 0:
        errors.append(f"{m['name']}: vpoll events {vp.get('events')} at a DEL wake, want 0")
if len(pids) != 1:
    errors.append(f"DEL wakes come from the parent alone, got pids {pids}")
n = len([f for f in os.listdir(d) if f.startswith("hit-") and f.endswith(".json")])
if n != 3:
    errors.append(f"{n} hit snapshots on disk, want 3 (skipped stops write none)")
for e in errors:
    print("FAIL:", e)
print(f"step_cond_check: {len(hits)} stops, {bp.get('skipped')} skipped, {len(errors)} errors")
sys.exit(1 if errors else 0)
