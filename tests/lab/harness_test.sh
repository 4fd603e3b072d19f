#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end test of `waitscope lab` itself: exit status, marks, vmcores drgn
# opens, timeout, interruption, teardown, and boot/dump/stop with kdump output.
#
#   harness_test.sh WAITSCOPE WORKDIR KERNEL
set -uo pipefail
ws=$1 work=$2 kernel=$3
rm -rf "$work" && mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { "$ws" lab run --kernel "$kernel" -q "$@"; }
no_leftovers() {
	local what=$1 f pid
	for f in /dev/shm/waitscope-lab-*; do
		[ -e "$f" ] || continue
		pid=${f#/dev/shm/waitscope-lab-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null || fail "$what: $f left behind"
	done
	for pid in $(pgrep -f "qemu-system-x86_64 -name waitscope-lab-"); do
		[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ] && fail "$what: orphaned QEMU $pid"
	done
}
vmlinux=$(dirname "$ws")/../lab/kernels/$("$ws" lab run --help >/dev/null; ls "$(dirname "$ws")/../lab/kernels" | grep "^$kernel[.-]" | head -n 1)/vmlinux
drgn_comm() { # dump -> comm of init_task, read through drgn
	DRGN_USE_LIBKDUMPFILE_FOR_ELF=1 /usr/bin/python3 - "$1" "$vmlinux" <<'PY'
import sys, drgn
prog = drgn.program_from_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
print(prog["init_task"].comm.string_().decode())
PY
}

# 1. Exit status, marks in order, a repeated mark name, stdout, vmcores.
run --out "$work/m" --vmcore -- marks --exit 3 first second first --partial
status=$?
[ $status -eq 3 ] || fail "exit status $status, want 3"
grep -qx "WAITSCOPE_MARK first" "$work/m/stdout.txt" || fail "mark line missing from stdout.txt"
grep -qx "after second" "$work/m/stdout.txt" || fail "program did not resume after a mark"
tail -n 1 "$work/m/stdout.txt" | grep -qx "no newline at the end" || fail "partial last line lost"
grep -q "marks: to stderr" "$work/m/console.log" || fail "stderr not on the console log"
names=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(m["name"] for m in json.load(open(sys.argv[1]))["marks"]))' "$work/m/run.json")
[ "$names" = "first second first-2" ] || fail "marks in run.json: '$names'"
for m in first second first-2; do
	[ -s "$work/m/$m.vmcore" ] || fail "no $m.vmcore"
done
[ "$(drgn_comm "$work/m/second.vmcore")" = "swapper/0" ] || fail "drgn cannot read second.vmcore"
rm -f "$work"/m/*.vmcore
no_leftovers "marks"

# 2. Timeout: status 124, VM torn down.
run --out "$work/t" --timeout 5 -- marks --hang
status=$?
[ $status -eq 124 ] || fail "timeout status $status, want 124"
no_leftovers "timeout"

# 3. Interrupted harness (SIGTERM): status 143, VM torn down.
"$ws" lab run --kernel "$kernel" -q --out "$work/i" -- marks --hang &
pid=$!
for _ in $(seq 100); do grep -q "marks: pid" "$work/i/stdout.txt" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
wait $pid
status=$?
[ $status -eq 143 ] || fail "interrupted status $status, want 143"
no_leftovers "interrupted"

# 4. A program that does not exist is a clear error, not a boot.
if run --out "$work/n" -- no-such-program 2>"$work/n.err"; then
	fail "missing program accepted"
fi
grep -q "no program 'no-such-program'" "$work/n.err" || fail "unclear error: $(cat "$work/n.err")"

# 5. boot / status / dump (kdump, fixed up for libkdumpfile) / stop.
name=harness$$
"$ws" lab boot --kernel "$kernel" --name "$name" >"$work/boot.txt" || fail "lab boot"
"$ws" lab status | grep -q "^$name " || fail "lab status does not list $name"
"$ws" lab dump --name "$name" --format kdump "$work/vm.kdump" || fail "lab dump"
[ "$(drgn_comm "$work/vm.kdump")" = "swapper/0" ] || fail "drgn cannot read the kdump"
"$ws" lab stop --name "$name" || fail "lab stop"
"$ws" lab status | grep -q "^$name " && fail "$name still listed after stop"
rm -f "$work/vm.kdump"
no_leftovers "boot/stop"

[ $fails -eq 0 ] && echo "harness_test: ok" || echo "harness_test: $fails failure(s)"
exit $((fails > 0))
