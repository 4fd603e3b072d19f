#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Headless test of the Crash view (run under Xvfb).

    crash_view_test.py WAITSCOPE SNAPSHOT OUT_DIR [SCREENSHOT]

Opens a snapshot with a panic (the crash fixture) with no action that opens a
view: the Crash view must have opened in front by itself, so the app's REPORT
line carries its facts (it reports only what it drew in the last frames), and
they must equal the snapshot's crash section (read here from the JSON). Then
selects the held lock's holder as a click on it does, and checks the selection,
and that the screenshot shows the red panic title.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from screenshot_test import decode_png  # noqa: E402


def reports(stdout):
    return [
        dict(kv.split("=", 1) for kv in l.split()[1:])
        for l in stdout.splitlines()
        if l.startswith("REPORT ")
    ]


def main():
    waitscope, snapshot, out = sys.argv[1:4]
    keep = sys.argv[4] if len(sys.argv) > 4 else None
    os.makedirs(out, exist_ok=True)
    crash = json.load(open(snapshot))["crash"]
    assert crash["panic"], "the fixture has no panic"
    lock = next(lk for lk in crash["locks"] if lk.get("holder"))
    script = os.path.join(out, "actions.txt")
    with open(script, "w") as f:
        f.write(f"wait 3\nreport\nselect id {lock['holder']}\nwait 3\nreport\n")
    png = os.path.join(out, "crash-report.png")
    if os.path.exists(png):
        os.remove(png)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", waitscope, "--size", "1280x800"]
    cmd += ["--screenshot", png, "--script", script, snapshot]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=150)
    sys.stderr.write(run.stderr)
    assert run.returncode == 0, f"waitscope exited with {run.returncode}"
    reps = reports(run.stdout)
    assert len(reps) == 2, run.stdout
    first, second = reps
    print("REPORT", " ".join(f"{k}={v}" for k, v in first.items()))
    assert first.get("crash_reason") == crash["reason"], first
    assert first.get("crash_task") == crash["task"]["id"], first
    assert int(first["crash_locks"]) == len(crash["locks"]), first
    assert int(first["crash_events"]) == len(crash["last_events"]), first
    assert int(first["crash_dmesg"]) == len(crash["dmesg"]), first
    assert second["selection"] == lock["holder"], second
    assert second.get("crash_reason") == crash["reason"], "the Crash view left the front"

    width, height, rows = decode_png(png)
    assert (width, height) == (1280, 800), (width, height)
    red = 0
    for row in rows:
        for x in range(0, width * 4, 4):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if r > 230 and 95 < g < 135 and 85 < b < 125:
                red += 1
    assert red > 50, f"no red panic title in the screenshot ({red} red pixels)"
    if keep:
        shutil.copyfile(png, keep)
    print(f"ok: Crash view in front ({crash['reason']}, {crash['task']['label']}), {red} red px")


if __name__ == "__main__":
    main()
