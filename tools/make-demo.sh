#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerate the bundled demo (assets/demo, opened by `waitscope` with no arguments and
# embedded in the binary) from the lab VM; never edit it by hand:
#
#   tools/make-demo.sh [BUILD_DIR]      (default: build)
#
# It runs programs/demo_story in one lab VM: topo_basic (every common epoll shape, threads
# asleep in epoll_wait, poll, select and read, then one epoll_wait that consumes events),
# then story_herd (level vs edge triggering; the thundering herd vs EPOLLEXCLUSIVE), and
# keeps the snapshot of each mark plus a run.json listing them in order: a session of one
# boot, which the app steps through (PageDown) with its Changes, History and Timeline
# views (the snapshots carry vpoll's flight recorder). WAITSCOPE (default
# BUILD_DIR/bin/waitscope) must be a build whose `lab run` writes <mark>.json snapshots.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build}")
ws=${WAITSCOPE:-$build/bin/waitscope}
prog=$build/lab/programs/demo_story
out=$src/assets/demo
[ -x "$prog" ] || { echo "make-demo: no $prog (build with -DWAITSCOPE_LAB=ON)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$ws" lab run -q --out "$tmp/run" -- "$prog"
# Keep the marks (in order) and the facts a reader wants, not this machine's paths.
python3 - "$tmp/run" "$out" <<'PY'
import json, os, shutil, sys
run_dir, out = sys.argv[1], sys.argv[2]
run = json.load(open(os.path.join(run_dir, "run.json")))
marks = [m["name"] for m in run["marks"]]
missing = [m for m in marks if not os.path.exists(os.path.join(run_dir, m + ".json"))]
if not marks or missing:
    sys.exit("make-demo: no snapshot for mark(s) %s (does this waitscope capture snapshots?)"
             % (missing or "any"))
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
for m in marks:
    shutil.copy(os.path.join(run_dir, m + ".json"), os.path.join(out, m + ".json"))
keep = {"program": os.path.basename(run["program"]), "release": run.get("release"),
        "marks": [{"name": m["name"]} for m in run["marks"]],
        "made_by": "tools/make-demo.sh"}
with open(os.path.join(out, "run.json"), "w") as f:
    json.dump(keep, f, indent=2)
    f.write("\n")
print("make-demo: %d snapshot(s) in %s: %s" % (len(marks), out, ", ".join(marks)))
PY
