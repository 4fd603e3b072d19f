#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the snapshots `waitscope dump --kcore` made inside the lab guest.

Usage: kcore_check.py RUN_DIR

RUN_DIR is a `waitscope lab run --disk TOOLS.img --guest-dump` of a topology
program: at every mark the guest ran `waitscope dump --kcore --pid <program>` on
its own /proc/kcore (<mark>.kcore.json), then the harness paused the VM and read
the same state from the host (<mark>.json). Checks, for every mark:

- the in-guest dump succeeded and says it read /proc/kcore of this kernel
  (release, build id and KASLR offset equal the host-side read's);
- the oracle (tests/introspect/oracle.py) passes on the kcore snapshots;
- for the program's eventpolls, their epitems and their wait entries, both
  snapshots agree field by field (same kernel state, two ways of reading it).

Exits 0 when every check passed, 1 otherwise.
"""

import json
import os
import subprocess
import sys

EVENTPOLL_FIELDS = ("owners", "ready", "ovflist", "wq", "poll_wait", "nested", "file", "rbtree")
EPITEM_FIELDS = ("ep", "tfd", "events", "data", "file", "color", "rb", "on_ready", "on_ovflist")
EPITEM_FIELDS += ("pwqs",)
WAIT_FIELDS = ("func", "flags", "owner", "head")


def objects_by_id(snap):
    return {o["id"]: o for o in snap["objects"]}


def compare_mark(run_dir, mark):
    failures = []
    gd = mark.get("guest_dump")
    if not gd:
        return [f"{mark['name']}: no in-guest dump (was --guest-dump given?)"]
    if gd["status"] != 0:
        return [f"{mark['name']}: the in-guest dump exited with {gd['status']} (console.log)"]
    with open(os.path.join(run_dir, gd["path"])) as f:
        kc = json.load(f)
    with open(os.path.join(run_dir, mark["name"] + ".json")) as f:
        host = json.load(f)
    cap = kc.get("capture", {})
    if cap.get("source") != "kcore" or cap.get("path") != "/proc/kcore":
        failures.append(f"{mark['name']}: capture says {cap.get('source')} {cap.get('path')}")
    for key in ("release", "build_id", "kaslr_offset"):
        if kc["kernel"].get(key) != host["kernel"].get(key):
            failures.append(
                f"{mark['name']}: kernel.{key}: kcore {kc['kernel'].get(key)!r}, "
                f"host {host['kernel'].get(key)!r}"
            )
    pids = cap.get("pids") or []
    a, b = objects_by_id(kc), objects_by_id(host)
    eps = sorted(
        o["id"]
        for o in kc["objects"]
        if o["type"] == "eventpoll" and any(w["pid"] in pids for w in o.get("owners", []))
    )
    host_eps = sorted(
        o["id"]
        for o in host["objects"]
        if o["type"] == "eventpoll" and any(w["pid"] in pids for w in o.get("owners", []))
    )
    if not eps:
        failures.append(f"{mark['name']}: no eventpoll of pid(s) {pids} in the kcore snapshot")
    if eps != host_eps:
        failures.append(f"{mark['name']}: eventpolls differ: kcore {eps}, host {host_eps}")
    checked = 0

    def same(oid, fields):
        nonlocal checked
        if oid not in b:
            failures.append(f"{mark['name']}: {oid} is not in the host-side snapshot")
            return
        for k in fields:
            if a[oid].get(k) != b[oid].get(k):
                failures.append(
                    f"{mark['name']}: {oid}.{k}: kcore {a[oid].get(k)!r}, host {b[oid].get(k)!r}"
                )
        checked += 1

    for ep in eps:
        same(ep, EVENTPOLL_FIELDS)
        for wid in a[ep].get("wq", []) + a[ep].get("poll_wait", []):
            same(wid, WAIT_FIELDS)
    items = [o["id"] for o in kc["objects"] if o["type"] == "epitem" and o.get("ep") in eps]
    for it in items:
        same(it, EPITEM_FIELDS)
    if not items:
        failures.append(f"{mark['name']}: no epitems")
    print(
        f"kcore_check: {mark['name']}: {len(eps)} eventpolls, {len(items)} epitems, "
        f"{checked} objects equal to the host-side read; in-guest dump "
        f"{cap.get('load_ms', 0) / 1000:.1f} s debug info + {cap.get('walk_ms', 0) / 1000:.1f} s walk"
    )
    return failures


def main():
    run_dir = sys.argv[1]
    with open(os.path.join(run_dir, "run.json")) as f:
        run = json.load(f)
    failures = []
    if not run["marks"]:
        failures.append("no marks")
    for mark in run["marks"]:
        failures += compare_mark(run_dir, mark)
    oracle = os.path.join(os.path.dirname(__file__), "..", "introspect", "oracle.py")
    r = subprocess.run([sys.executable, oracle, run_dir, "--snapshot-suffix", ".kcore.json"])
    if r.returncode != 0:
        failures.append("the oracle failed on the kcore snapshots")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
