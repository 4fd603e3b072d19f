#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# crash: what the post-mortem report costs on top of a snapshot of a panicked kernel.
#
#   bench/run crash [KERNEL=6.1] [RUNS=3]
#
# Uses the panic.vmcore of the lab.crash.<KERNEL> test (build/lab-tests/crash.<KERNEL>),
# or makes one (crash_deadlock in a lab VM, about 40 s). Each run is one
# `waitscope report --format json`: the value is the crash walker's reads
# (capture.crash_ms: panic_cpu, the printk ring, per-CPU tasks and their
# stacks, D-state tasks, lock words), the baseline the rest of the same
# capture's reads (read_ms - crash_ms: tasks, files, epoll, wait queues,
# workqueues, modules) — same process, same vmcore. Medians over RUNS.
set -euo pipefail
kernel=${1:-6.1}
runs=${2:-3}
ws=$BUILD_DIR/bin/waitscope
dir=$BUILD_DIR/lab-tests/crash.$kernel
if [ ! -s "$dir/panic.vmcore" ]; then
	dir=$BUILD_DIR/bench-cache/crash-$kernel
	if [ ! -s "$dir/panic.vmcore" ]; then
		rm -rf "$dir"
		status=0
		"$ws" lab run --kernel "$kernel" --vmcore --timeout 400 --out "$dir" -q -- crash_deadlock \
			>&2 || status=$?
		[ "$status" -eq 123 ] || { echo "crash: lab run exited $status, not 123" >&2; exit 1; }
	fi
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/waitscope-crash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$runs"); do
	"$ws" report "$dir/panic.vmcore" --format json --out "$tmp/r$i.json"
done
/usr/bin/python3 - "$kernel" "$tmp"/r*.json <<'PY'
import json, statistics, sys
docs = [json.load(open(p)) for p in sys.argv[2:]]
if any(not d["crash"].get("panic") for d in docs):
    sys.exit("crash: the report found no panic")
crash = [d["capture"]["crash_ms"] for d in docs]
rest = [d["capture"]["read_ms"] - d["capture"]["crash_ms"] for d in docs]
c = docs[0]["crash"]
v, b = statistics.median(crash), statistics.median(rest)
print(f"crash ({sys.argv[1]}): {c['reason']}, {c['task']['label']} stack {c['task']['stack_status']}, "
      f"{c['dmesg_total']} printk records, {len(c['d_state'])} D-state, {len(c['locks'])} locks; "
      f"crash reads {[round(x) for x in crash]} ms, rest of the walk {[round(x) for x in rest]} ms, "
      f"debug info load {docs[0]['capture']['load_ms']:.0f} ms")
print(f"RESULT name=crash value={v:.1f} unit=ms baseline={b:.1f} ratio={v / b:.3f}")
PY
