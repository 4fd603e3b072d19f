#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
The step script tests/lab/step_script.txt on `pingpong 2000 --marks`: the stops come in the
script's order (setup mark, two DEL wakes, a named snapshot, one more wake, the done mark),
each with its snapshot; then the run directory packs into a session file (or `lab step`
packed it) that reopens with the same snapshots.

    step_script_check.py WAITSCOPE DIR
"""
import json
import os
import subprocess
import sys

ws, d = sys.argv[1], sys.argv[2]
run = json.load(open(os.path.join(d, "run.json")))
errors = []
names = [m["name"] for m in run["marks"]]
want = ["setup", "hit-1", "hit-2", "between", "hit-3", "done"]
if names != want:
    errors.append(f"stops {names}, want {want}")
bp = run.get("breakpoints", {})
if bp.get("hits") != 3 or not bp.get("script"):
    errors.append(f"breakpoints {bp}")
for m in run["marks"]:
    path = os.path.join(d, m["name"] + ".json")
    if not os.path.exists(path):
        errors.append(f"{m['name']}: no snapshot")
        continue
    s = json.load(open(path))
    if s["capture"].get("mark") != m["name"]:
        errors.append(f"{m['name']}: snapshot says mark {s['capture'].get('mark')}")
    if m.get("kind") == "breakpoint" and "stop" not in s["capture"]:
        errors.append(f"{m['name']}: no capture.stop")
for m in run["marks"][1:3]:
    if m.get("args", [None] * 4)[3] != "0x0":
        errors.append(f"{m['name']}: the 'if arg3=0' breakpoint stopped with key {m.get('args')}")
wss = os.path.join(d, "session.wss")
if not os.path.exists(wss):  # `lab step` packs it; after `lab run --step-script`, we do
    subprocess.run([ws, "session", "pack", d, "-o", wss], check=True, stdout=subprocess.DEVNULL)
info = json.loads(
    subprocess.run([ws, "session", "info", "--json", wss], check=True, capture_output=True).stdout
)
if [e["name"] for e in info["entries"]] != want or not info["run_json"]:
    errors.append(f"session file entries {[e['name'] for e in info['entries']]}")
unpacked = os.path.join(d, "unpacked")
subprocess.run([ws, "session", "unpack", wss, unpacked], check=True, stdout=subprocess.DEVNULL)
for n in want:
    if json.load(open(os.path.join(d, n + ".json"))) != json.load(
        open(os.path.join(unpacked, n + ".json"))
    ):
        errors.append(f"{n}: differs after session pack/unpack")
for e in errors:
    print("FAIL:", e)
print(f"step_script_check: stops {names}, {len(errors)} errors")
sys.exit(1 if errors else 0)
