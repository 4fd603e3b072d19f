#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A program the app runs itself is followed live (label lab).

    timeline_run_live.py WAITSCOPE OUT_DIR

The app runs `vpoll_rate 60000 10000` in a lab VM (script `lab-run`, as the Targets view
does: `waitscope lab run --events` boots a VM of its own); the lab source finds that VM once
it is up and follows its ring in the Timeline view. vpoll_rate has no marks, so the run
directory has no snapshots and opening it fails (said on stderr, exit status 1): the view keeps
the live capture, which must then say `stopped` (the VM exited) and account for every record
the ring took: captured + dropped = the ring's head (from the run's stdout.txt), seq without
gaps or repeats from where the capture began.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

COUNT, RATE = 60000, 10000


def main():
    waitscope, out = sys.argv[1:3]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    script = os.path.join(out, "actions.txt")
    with open(script, "w") as f:
        f.write(f"view timeline\nlab-run vpoll_rate {COUNT} {RATE}\nreport\n")
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", waitscope, "--size", "1280x800"]
    cmd += ["--screenshot", os.path.join(out, "run-live.png"), "--script", script]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    sys.stderr.write(r.stderr)
    errors = [l for l in r.stderr.splitlines() if "no snapshots" in l]
    assert r.returncode == 1 and len(errors) == 1, (r.returncode, errors)
    line = [l for l in r.stdout.splitlines() if l.startswith("REPORT ")][-1]
    print(line)
    rep = dict(kv.split("=", 1) for kv in line.split()[1:])
    run_dir = re.search(r"(/\S*waitscope-run-vpoll_rate-[^/:\s]+)", errors[0]).group(1)
    text = open(os.path.join(run_dir, "stdout.txt")).read()
    head = int(re.search(r"ring head (\d+)", text).group(1))
    issued = int(re.search(r"issued (\d+)", text).group(1))
    problems = []
    if issued != COUNT:
        problems.append(f"vpoll_rate issued {issued}")
    if rep["timeline_source"] != "live" or rep["timeline_live_state"] != "stopped":
        problems.append(f"{rep['timeline_source']} {rep['timeline_live_state']}, not live stopped")
    events, dropped = int(rep["timeline_events"]), int(rep["timeline_dropped"])
    if events + dropped != head:
        problems.append(f"{events} captured + {dropped} dropped != head {head}")
    if rep["timeline_seq_gaps"] != "0" or rep["timeline_seq_dups"] != "0":
        problems.append(f"{rep['timeline_seq_gaps']} seq gaps, {rep['timeline_seq_dups']} repeats")
    if rep["timeline_seq_last"] != str(head - 1):
        problems.append(f"the last seq is {rep['timeline_seq_last']}, not {head - 1}")
    for d in glob.glob(run_dir):
        shutil.rmtree(d, ignore_errors=True)
    print(
        f"run followed live: {events} captured, {dropped} dropped, ring head {head}: "
        + ("; ".join(problems) or "ok")
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
