#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The post-mortem timeline: crash the lab kernel on purpose (programs/crash_deadlock:
# an ADDEVENTS whose wake deadlocks on vpoll's wait queue lock until the RCU stall
# detector panics), let the harness save the vmcore, read it with `waitscope dump
# --vmcore`, and check that the timeline from the snapshot's vpoll_ring
# (`waitscope timeline show|convert SNAPSHOT`) ends with what preceded the crash:
# the crash program's vpoll_add of EPOLLIN on its own instance, then the
# vpoll_wake (1 waiter: the epoll its thread sleeps in) that never completed
# (ring ABI 2: one ADD record that says it woke, read as the ADD and its WAKE);
# its vpoll_open of that instance earlier; seq without gaps; the instance's
# `events` in the snapshot equal to the ADD's result.
#
#   postmortem_timeline_test.sh WAITSCOPE WORKDIR KERNEL
set -uo pipefail
ws=$1 work=$2 kernel=$3
rm -rf "$work" && mkdir -p "$work"
"$ws" lab run --kernel "$kernel" -q --vmcore --timeout 240 --out "$work/run" -- crash_deadlock
status=$?
if [ $status -ne 123 ] || [ ! -s "$work/run/panic.vmcore" ]; then
	echo "postmortem: lab run exited with $status (want 123, the guest panicked) or no panic.vmcore"
	tail -n 20 "$work/run/stdout.txt" "$work/run/console.log" 2>/dev/null
	exit 1
fi
"$ws" dump --vmcore "$work/run/panic.vmcore" --out "$work/panic.json" || exit 1
"$ws" timeline show "$work/panic.json" --format json >"$work/show.json" || exit 1
"$ws" timeline convert "$work/panic.json" --out "$work/panic-events.json" || exit 1
"$ws" timeline show "$work/panic.json" | head -4
/usr/bin/python3 - "$work" <<'PY'
import json, re, sys
w = sys.argv[1]
out = open(f"{w}/run/stdout.txt").read()
m = re.search(r"crash_deadlock: pid (\d+) vpoll fd \d+ epoll fd \d+, waiter tid (\d+)", out)
if not m:
    sys.exit("postmortem: the program's pid line is not in stdout.txt")
pid, waiter = int(m.group(1)), int(m.group(2))
snap = json.load(open(f"{w}/panic.json"))
ring = [o for o in snap["objects"] if o["type"] == "vpoll_ring"]
trace = json.load(open(f"{w}/panic-events.json"))
events = [e for e in trace["traceEvents"] if e["ph"] == "i"]
show = json.load(open(f"{w}/show.json"))
errors = []
if not ring or not ring[0].get("records"):
    sys.exit("postmortem: the snapshot has no vpoll_ring records")
# A WAKE folded into its ADD/DEL record (flags 0x2) is an event of that record.
records = [e for e in events if not e["args"]["flags"] & 2]
if len(records) != len(ring[0]["records"]) or show["events"] != len(events):
    errors.append(f"{len(records)} record events from {len(ring[0]['records'])} records")
seqs = [e["args"]["seq"] for e in records]
if any(b != a + 1 for a, b in zip(seqs, seqs[1:])):
    errors.append("gaps in seq")
if seqs and seqs[-1] + 1 != ring[0]["head"]:
    errors.append(f"last seq {seqs[-1]} is not the ring's head {ring[0]['head']} - 1")
opened = [e for e in events if e["tid"] == pid and e["name"] == "vpoll_open"]
if not opened:
    errors.append(f"no vpoll_open by pid {pid}")
else:
    inst = opened[-1]["args"]["instance"]
    last = [(e["name"], e["tid"], e["args"]["instance"]) for e in events[-2:]]
    if last != [("vpoll_add", pid, inst), ("vpoll_wake", pid, inst)]:
        errors.append(f"the timeline ends with {last}, not pid {pid}'s add and wake on {inst}")
    else:
        add, wake = events[-2]["args"], events[-1]["args"]
        if int(add["arg"], 16) != 1 or int(add["events"], 16) & 1 != 1:
            errors.append(f"the last ADD is not EPOLLIN: {add}")
        if wake["seq"] != add["seq"] or not wake["flags"] & 2:
            errors.append(f"the last WAKE is not the one the ADD record carried: {wake}")
        if int(wake["arg"], 16) & 0xFFFF != 1:
            errors.append(f"the last WAKE found {int(wake['arg'], 16) & 0xFFFF} waiters, not 1")
        vp = [o for o in snap["objects"] if o["type"] == "vpoll" and o.get("instance") == inst]
        if not vp or vp[0]["events"] != int(add["events"], 16):
            errors.append(f"instance {inst} in the snapshot: {vp} vs the ADD's result")
    t_end, uptime = events[-1]["args"]["ts_ns"], snap["kernel"].get("uptime_ns", 0)
    if not 0 < uptime - t_end < 120e9:
        errors.append(f"last event at {t_end} ns, capture at {uptime} ns: not just before")
print(f"postmortem timeline: {len(events)} events, last {[e['name'] for e in events[-3:]]} "
      f"by {pid}: " + ("; ".join(errors) or "ok"))
sys.exit(1 if errors else 0)
PY
