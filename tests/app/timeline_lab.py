#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Timeline view on a lab run directory (label lab): its events file, its marks.

    timeline_lab.py WAITSCOPE OUT_DIR [KERNEL]

1. `waitscope lab run --events topo_basic`: snapshots at its marks and DIR/events.json,
   vpoll's ring read live from guest RAM;
2. the app opens DIR headless, shows the timeline, selects the last event;
3. its REPORT must say the events come from the file, as many as the file has, one
   capture-time cursor per mark, the selected event the file's last one;
4. the time base: every mark's `kernel.uptime_ns` (the cursor) lies after the run's first
   event and at most 10 s after its last, so events and cursors share CLOCK_MONOTONIC.
"""
import json
import os
import shutil
import subprocess
import sys


def main():
    waitscope, out = sys.argv[1:3]
    kernel = sys.argv[3] if len(sys.argv) > 3 else "6.1"
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    run = os.path.join(out, "run")
    cmd = [waitscope, "lab", "run", "--kernel", kernel, "-q", "--events", "--out", run]
    r = subprocess.run(cmd + ["--", "topo_basic"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"lab run exited with {r.returncode}: {r.stderr}"
    trace = json.load(open(os.path.join(run, "events.json")))
    events = [e for e in trace["traceEvents"] if e["ph"] == "i"]
    assert events, "the run recorded no events"
    assert all(e["name"] != "unknown" for e in events), "an event without a kind"
    marks = [m["name"] for m in json.load(open(os.path.join(run, "run.json")))["marks"]]
    uptimes = [
        json.load(open(os.path.join(run, m + ".json")))["kernel"]["uptime_ns"] for m in marks
    ]
    first, last = events[0]["args"]["ts_ns"], events[-1]["args"]["ts_ns"]
    for m, t in zip(marks, uptimes):
        assert first < t < last + 10e9, f"mark {m} at {t} ns, events from {first} to {last} ns"

    script = os.path.join(out, "actions.txt")
    with open(script, "w") as f:
        f.write("view timeline\ndo timeline fit\ndo timeline select last\nreport\n")
    png = os.path.join(out, "timeline-lab.png")
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", waitscope, "--size", "1280x800"]
    r = subprocess.run(
        cmd + ["--screenshot", png, "--script", script, run],
        capture_output=True,
        text=True,
        timeout=150,
    )
    sys.stderr.write(r.stderr)
    assert r.returncode == 0, f"waitscope exited with {r.returncode}"
    line = [l for l in r.stdout.splitlines() if l.startswith("REPORT ")][-1]
    print(line)
    rep = dict(kv.split("=", 1) for kv in line.split()[1:])
    assert rep["timeline_source"] == "events_file", rep
    assert int(rep["timeline_events"]) == len(events), (rep["timeline_events"], len(events))
    assert int(rep["timeline_cursors"]) == len(marks), (rep["timeline_cursors"], marks)
    want = events[-1]
    assert int(rep["timeline_selected_seq"]) == want["args"]["seq"], (rep, want)
    assert rep["timeline_selected_kind"] == want["name"], (rep, want)
    assert int(rep["timeline_selected_pid"]) == want["tid"], (rep, want)
    print(f"ok: {len(events)} events from events.json, {len(marks)} marks as cursors")


if __name__ == "__main__":
    main()
