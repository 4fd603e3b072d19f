#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# step: time from a breakpoint hit (the VM stopped at ep_poll_callback while
# pingpong runs) to that stop's snapshot on disk, with its arguments decoded.
#
#   bench/run step [KERNEL=6.1] [HITS=6]
#
# Value: median over hits 2..HITS of run.json's snapshot.available_ms (from
# reading the gdbstub's stop reply to hit-<n>.json written: decode of the
# current task and arguments, walk of every process, encoding, write; the
# VM is resumed after the walk). Hit 1 is left out: it also waits for the
# debug info the run loads in the background while the guest boots.
# Baseline, in the same stops on the same memory: a cold snapshot by a fresh
# `python3 -m waitscope_introspect --lab-ram` process (interpreter start,
# debug info, walk, encoding), i.e. what a `waitscope dump` without a warm
# session costs (--snapshot-cold-baseline; it runs before the warm snapshot's
# encoding, so both read the same stopped memory).
set -euo pipefail
kernel=${1:-6.1}
hits=${2:-6}
ws=$BUILD_DIR/bin/waitscope
out=$(mktemp -d "${TMPDIR:-/tmp}/waitscope-step.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$ws" lab run --kernel "$kernel" --out "$out" -q --break ep_poll_callback --break-count "$hits" \
	--snapshot-cold-baseline -- pingpong 2000 >&2
/usr/bin/python3 - "$out/run.json" <<'PY'
import json, statistics, sys
run = json.load(open(sys.argv[1]))
hits = [m for m in run["marks"] if m.get("kind") == "breakpoint"][1:]
bad = [m["name"] for m in hits if "available_ms" not in m.get("snapshot", {})
       or m["snapshot"].get("cold_ms", -1) < 0 or "objects" not in m.get("decoded", {})]
if not hits or bad:
    sys.exit(f"step: stops without a decoded snapshot or baseline: {bad or 'none after hit 1'}")
avail = [m["snapshot"]["available_ms"] for m in hits]
cold = [m["snapshot"]["cold_ms"] for m in hits]
value, base = statistics.median(avail), statistics.median(cold)
print(f"step: {run['release']}, {len(hits)} stops after the first: stop->snapshot "
      f"{[round(v) for v in avail]} ms (decode {statistics.median(m['decode_ms'] for m in hits):.1f}, "
      f"walk {statistics.median(m['snapshot']['read_ms'] for m in hits):.0f}, "
      f"encode+write {statistics.median(m['snapshot']['render_ms'] for m in hits):.0f} ms; "
      f"VM stopped {statistics.median(m['snapshot']['pause_ms'] for m in hits):.0f} ms); "
      f"cold snapshot of the same stops {[round(c) for c in cold]} ms")
print(f"RESULT name=step value={value:.1f} unit=ms baseline={base:.1f} ratio={value / base:.3f}")
PY
