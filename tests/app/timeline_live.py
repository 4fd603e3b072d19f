#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Timeline view fed live from a lab VM while a program runs in it (label lab).

    timeline_live.py WAITSCOPE OUT_DIR [KERNEL]

1. `waitscope lab boot --name NAME --kernel KERNEL`;
2. the app attaches (`--lab NAME`, headless) with a script that syncs the live timeline,
   reports, then waits for a file GO while the capture goes on;
3. after that first REPORT (the capture follows the ring), the guest console runs
   `vpoll_rate 20000 10000` (20000 ADD/DEL ioctls at 10000/s on one vpoll instance) and the
   test waits for it to exit, reads its pid and the ring's head, and creates GO;
4. the app syncs again (a publish holding everything the ring had), reports and exports the
   live store as Chrome JSON; then the VM is stopped under it (`lab stop`), and the app
   syncs, reports and quits (its capture thread joined: the run must end in time);
5. checks: the live store holds exactly the ring's head records, seq 0 .. head-1 with no gap
   and no repeat, none dropped; the program's own events are its OPEN, then 20000 ADD/DEL
   alternating, then its RELEASE, all in seq order; the export says the same; the view
   followed the newest events; after the VM went away the capture says `stopped` and keeps
   every event.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import threading

from labconsole import Console, run

COUNT, RATE = 20000, 10000


def report(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def state_dir(name):
    runtime = os.environ.get("XDG_RUNTIME_DIR") or ("/run" if os.getuid() == 0 else None)
    if runtime:
        return os.path.join(runtime, "waitscope", "lab", name)
    return f"/tmp/waitscope-{os.getuid()}/lab/{name}"


def main():
    waitscope, out = sys.argv[1:3]
    kernel = sys.argv[3] if len(sys.argv) > 3 else "6.1"
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    name = f"tl-live-{os.getpid()}"
    go, gone = os.path.join(out, "go"), os.path.join(out, "gone")
    export = os.path.join(out, "live.json")
    script = os.path.join(out, "actions.txt")
    with open(script, "w") as f:
        f.write(
            # The screenshot: the timeline across the window (side views closed).
            "view objects off\nview search off\nview targets off\nview inspector off\n"
            "view timeline\npanel bottom 380\ndo timeline sync\nreport\n"
            f"wait-file {go} 300\ndo timeline sync\nreport\n"
            f"do timeline export {export}\nwait-idle\n"
            f"wait-file {gone} 300\ndo timeline sync\nreport\n"
        )
    run([waitscope, "lab", "boot", "--name", name, "--kernel", kernel], timeout=300)
    app = None
    try:
        con = Console(os.path.join(state_dir(name), "console.sock"))
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", waitscope, "--size", "1280x800"]
        cmd += ["--screenshot", os.path.join(out, "timeline-live.png"), "--script", script]
        cmd += ["--lab", name]
        print("+", " ".join(cmd), flush=True)
        app = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stderr = []
        threading.Thread(target=lambda: stderr.extend(app.stderr), daemon=True).start()
        reports = []
        for line in app.stdout:
            if line.startswith("REPORT "):
                reports.append(report(line))
                print("first", line.strip(), flush=True)
                break
        assert reports, "the app ended before its first report: " + "".join(stderr)[-2000:]
        first = reports[0]
        assert first["timeline_source"] == "live", first
        assert first["timeline_live_state"] == "capturing", first

        # The program runs in the guest while the app captures.
        con.send("")
        con.send(f"vpoll_rate {COUNT} {RATE} > /tmp/rate.out 2>&1; echo RATE_DONE=$?")
        rc = con.expect(r"RATE_DONE=(\d+)", timeout=300).group(1)
        # (The console echoes the command: the marker the output has is not in it.)
        con.send("echo OUT_$((6*7))=$(tr '\\n' ' ' < /tmp/rate.out)END")
        text = con.expect(r"OUT_42=(.*?)END").group(1)
        assert rc == "0", f"vpoll_rate failed ({rc}): {text}"
        pid, issued = map(int, re.search(r"pid (\d+) issued (\d+)", text).groups())
        head = int(re.search(r"ring head (\d+)", text).group(1))
        print(f"guest: pid {pid} issued {issued}, ring head {head}", flush=True)
        open(go, "w").close()
        for line in app.stdout:
            if line.startswith("REPORT "):
                reports.append(report(line))
                print("then", line.strip(), flush=True)
                break

        # The VM goes away under the capture: it stops, keeps its events, the app exits.
        run([waitscope, "lab", "stop", "--name", name], timeout=120)
        open(gone, "w").close()
        rest, _ = app.communicate(timeout=300)
        for line in rest.splitlines():
            if line.startswith("REPORT "):
                reports.append(report(line))
                print("after the VM", line.strip(), flush=True)
        sys.stderr.write("".join(stderr))
        assert app.returncode == 0, f"waitscope exited with {app.returncode}"
    finally:
        if app and app.poll() is None:
            app.kill()
        subprocess.run([waitscope, "lab", "stop", "--name", name], capture_output=True)

    assert issued == COUNT, (issued, COUNT)
    assert len(reports) == 3, f"{len(reports)} reports"
    rep, after = reports[1], reports[2]
    errors = []
    if rep["timeline_source"] != "live" or rep["timeline_live_state"] != "capturing":
        errors.append(f"not capturing live: {rep['timeline_source']} {rep['timeline_live_state']}")
    if int(rep["timeline_events"]) != head:
        errors.append(f"the live store has {rep['timeline_events']} events, the ring took {head}")
    if int(rep["timeline_live_captured"]) != head:
        errors.append(f"the capture read {rep['timeline_live_captured']} records, not {head}")
    if rep["timeline_dropped"] != "0" or rep["timeline_live_dropped"] != "0":
        errors.append(f"dropped {rep['timeline_dropped']} / {rep['timeline_live_dropped']}")
    if rep["timeline_seq_first"] != "0" or rep["timeline_seq_last"] != str(head - 1):
        errors.append(
            f"seq {rep['timeline_seq_first']}..{rep['timeline_seq_last']}, not 0..{head - 1}"
        )
    if rep["timeline_seq_gaps"] != "0" or rep["timeline_seq_dups"] != "0":
        errors.append(f"{rep['timeline_seq_gaps']} seq gaps, {rep['timeline_seq_dups']} repeats")
    t0, t1 = map(int, rep["timeline_window"].split(".."))
    if rep["timeline_follow"] != "1" or not t0 < int(rep["timeline_last_ns"]) <= t1:
        errors.append(
            f"the view does not follow: newest event {rep['timeline_last_ns']}, window {t0}..{t1}"
        )
    if after["timeline_live_state"] != "stopped" or after["timeline_events"] != str(head):
        errors.append(
            f"after the VM stopped: {after['timeline_live_state']}, "
            f"{after['timeline_events']} events (want stopped, {head})"
        )

    # The exported live store, event by event.
    trace = json.load(open(export))
    events = sorted(
        (e for e in trace["traceEvents"] if e["ph"] == "i"), key=lambda e: e["args"]["seq"]
    )
    seqs = [e["args"]["seq"] for e in events]
    if seqs != list(range(head)):
        errors.append(f"export: {len(seqs)} events, seq not 0..{head - 1}")
    mine = [e["name"] for e in events if e["tid"] == pid]
    want = ["vpoll_open"] + ["vpoll_add", "vpoll_del"] * (COUNT // 2) + ["vpoll_release"]
    if mine != want:
        errors.append(
            f"pid {pid}: {len(mine)} events ({mine[:2]}...{mine[-2:]}), not OPEN, "
            f"{COUNT} ADD/DEL alternating, RELEASE"
        )
    print(
        f"timeline live ({kernel}): {rep['timeline_events']} events, ring head {head}, "
        f"{rep['timeline_live_rate']} events/s at the end: " + ("; ".join(errors) or "ok")
    )
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
