#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Headless test of the Timeline view on the bundled demo (run under Xvfb).

    timeline_test.py WAITSCOPE DEMO_DIR OUT_DIR [SCREENSHOT]

The demo's first snapshot carries vpoll's flight-recorder ring (`vpoll_ring`, read from the
lab VM). From the JSON, independently of waitscope: its records, the last one's seq, kind,
pid and instance, the vpoll object of that instance, the task of another pid. The app
shows the timeline, selects the last event (as a click does), then a task in the graph, and
its REPORT lines must match: events and glyphs drawn, the selected event, the selection
moved to the event's vpoll instance, the timeline filtered to that instance's events (then to
the task's), the canvas outlining the linked objects, a capture-time cursor per snapshot.
The screenshot must show the kinds' colours.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screenshot_test import decode_png  # noqa: E402


def main():
    waitscope, demo, out = sys.argv[1:4]
    png = sys.argv[4] if len(sys.argv) > 4 else os.path.join(out, "timeline.png")
    os.makedirs(out, exist_ok=True)
    run = json.load(open(os.path.join(demo, "run.json")))
    marks = [m["name"] for m in run["marks"]]
    snaps = [json.load(open(os.path.join(demo, m + ".json"))) for m in marks]
    snap = snaps[0]
    ring = [o for o in snap["objects"] if o["type"] == "vpoll_ring"][0]
    recs = ring["records"]
    assert recs, "the demo's ring has no records"
    last = recs[-1]
    vpoll = [
        o for o in snap["objects"] if o["type"] == "vpoll" and o["instance"] == last["instance"]
    ]
    assert vpoll, f"no vpoll object for instance {last['instance']}"
    other = sorted({r["pid"] for r in recs} - {last["pid"]}) or [last["pid"]]
    task = [o for o in snap["objects"] if o["type"] == "task" and o["pid"] == other[0]][0]
    cursors = sum(1 for s in snaps if s["kernel"].get("uptime_ns"))

    script = os.path.join(out, "actions.txt")
    with open(script, "w") as f:
        f.write(
            "view objects off\nview search off\nview targets off\npanel bottom 560\n"
            "view timeline\ndo timeline fit\nreport\n"
            "do timeline select last\nreport\n"
            f"select id {task['id']}\nreport\n"
            "do timeline select last\n"
        )
    if os.path.exists(png):
        os.remove(png)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", waitscope, "--size", "1600x1000"]
    cmd += ["--screenshot", png, "--script", script, demo]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=150)
    sys.stderr.write(r.stderr)
    assert r.returncode == 0, f"waitscope exited with {r.returncode}"
    reports = [l for l in r.stdout.splitlines() if l.startswith("REPORT ")]
    assert len(reports) == 3, r.stdout
    shown, picked, filtered = (dict(kv.split("=", 1) for kv in l.split()[1:]) for l in reports)
    for l in reports:
        print(l)

    assert shown["timeline_source"] == "ring", shown
    assert int(shown["timeline_events"]) == len(recs), (shown["timeline_events"], len(recs))
    assert int(shown["timeline_glyphs"]) > 0 and int(shown["timeline_drawn_events"]) > 0, shown
    assert int(shown["timeline_cursors"]) == cursors, (shown["timeline_cursors"], cursors)

    assert int(picked["timeline_selected_seq"]) == last["seq"], picked
    assert picked["timeline_selected_kind"] == "vpoll_" + last["kind"], picked
    assert int(picked["timeline_selected_instance"]) == last["instance"], picked
    assert int(picked["timeline_selected_pid"]) == last["pid"], picked
    assert picked["selection"] == vpoll[0]["id"], (picked["selection"], vpoll[0]["id"])
    assert picked["timeline_filter"] == f"instance:{last['instance']}", picked
    want = sum(1 for x in recs if x["instance"] == last["instance"])
    assert int(picked["timeline_filtered"]) == want, (picked["timeline_filtered"], want)
    # The objects the event links to (outlined on the canvas): its instance, that instance's
    # wait queue and device files, the task that ran it.
    linked = {vpoll[0]["id"], vpoll[0]["wqh"]}
    linked |= {o["id"] for o in snap["objects"] if o["type"] == "task" and o["pid"] == last["pid"]}
    linked |= {
        o["id"]
        for o in snap["objects"]
        if o["type"] == "file" and o.get("private") == vpoll[0]["id"]
    }
    assert int(picked["timeline_linked"]) == len(linked), (picked["timeline_linked"], linked)

    assert filtered["selection"] == task["id"], filtered
    assert filtered["timeline_filter"] == f"task:{task['pid']}", filtered
    want = sum(1 for x in recs if x["pid"] == task["pid"])
    assert int(filtered["timeline_filtered"]) == want, (filtered["timeline_filtered"], want)

    width, height, rows = decode_png(png)
    assert (width, height) == (1600, 1000), (width, height)
    pixels = {bytes(row[x : x + 3]) for row in rows for x in range(0, width * 4, 4)}
    colours = {
        "vpoll_add": (90, 220, 120),
        "vpoll_poll": (110, 140, 255),
        "vpoll_open": (120, 200, 255),
    }
    for kind, rgb in colours.items():
        if any("vpoll_" + x["kind"] == kind for x in recs):
            assert bytes(rgb) in pixels, f"no {kind} glyph drawn"
    print(f"ok: {len(recs)} events, selected seq {last['seq']}, {png}")


if __name__ == "__main__":
    main()
