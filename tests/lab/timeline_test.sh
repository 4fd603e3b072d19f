#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The timeline's live capture from guest RAM is lossless, or counts exactly
# what it lost:
#   1. 20000 ioctls at 10000/s with the default ring: every record captured,
#      in order (seq without gaps), none dropped;
#   2. 200000 ioctls flat out into a 16-record ring: captured + dropped equals
#      every record the ring ever took (its head), and seq only increases.
#
#   timeline_test.sh WAITSCOPE WORKDIR KERNEL
set -uo pipefail
ws=$1 work=$2 kernel=$3
rm -rf "$work" && mkdir -p "$work"
check() { # DIR MODE
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, re, sys
d, mode = sys.argv[1], sys.argv[2]
out = open(f"{d}/stdout.txt").read()
head = int(re.search(r"ring head (\d+)", out).group(1))
pid = int(re.search(r"pid (\d+) issued (\d+)", out).group(1))
issued = int(re.search(r"pid (\d+) issued (\d+)", out).group(2))
trace = json.load(open(f"{d}/events.json"))
# One event per record: a WAKE folded into its ADD/DEL record (flags 0x2) is not one.
events = [e for e in trace["traceEvents"] if e["ph"] == "i" and not e["args"]["flags"] & 2]
dropped = trace["otherData"]["dropped"]
seqs = [e["args"]["seq"] for e in events]
errors = []
if any(b <= a for a, b in zip(seqs, seqs[1:])):
    errors.append("seq goes backwards")
unknown = [e for e in events if e["name"] == "unknown"]
if unknown:
    errors.append(f"{len(unknown)} events of no kind (a slot read before it was written): {unknown[0]}")
if len(events) + dropped != head:
    errors.append(f"{len(events)} captured + {dropped} dropped != head {head}")
mine = [e["name"] for e in events if e["tid"] == pid and e["name"] in ("vpoll_add", "vpoll_del")]
if mode == "lossless":
    if dropped:
        errors.append(f"{dropped} dropped")
    if any(b != a + 1 for a, b in zip(seqs, seqs[1:])) or seqs[0] != 0:
        errors.append("gaps in seq")
    want = ["vpoll_add", "vpoll_del"] * (issued // 2)
    if mine != want:
        errors.append(f"{len(mine)} add/del events of pid {pid}, not {issued} alternating")
elif not dropped:
    errors.append("an undersized ring dropped nothing")
print(f"timeline {mode}: {len(events)} captured, {dropped} dropped, head {head}: "
      + ("; ".join(errors) or "ok"))
sys.exit(1 if errors else 0)
PY
}
fails=0
"$ws" lab run --kernel "$kernel" -q --events --out "$work/lossless" -- vpoll_rate 20000 10000 || fails=1
check "$work/lossless" lossless || fails=1
"$ws" lab run --kernel "$kernel" -q --events --vpoll-args ring_size=16 --out "$work/small" -- \
	vpoll_rate 200000 0 || fails=1
check "$work/small" undersized || fails=1
"$ws" timeline show "$work/lossless/events.json" | head -3
exit $fails
