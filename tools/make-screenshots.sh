#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerate the screenshots in docs/screenshots/ from the app itself, headless under Xvfb
# (Mesa llvmpipe), on the bundled demo:
#
#   tools/make-screenshots.sh [BUILD_DIR [--lab]]      (default: build)
#
#   demo-rbtree.png     the busiest eventpoll expanded: its rbtree in red/black, the ready
#                       list in order, who sleeps in epoll_wait, why a ready item is ready
#   demo-overview.png   tasks, eventpolls, epitems and watched files
#   demo-lecture.png    lecture mode after stepping to the second mark: what changed
#   demo-workqueues.png worker pools and workqueues
#   crash-report.png    the crash fixture (crash_deadlock's panic): the Crash view, which
#                       opens in front by itself, the held lock's holder selected
#   timeline.png        the Timeline view on the demo's vpoll ring, its last event selected
#                       (its vpoll instance selected and outlined, the timeline filtered)
#   e2e-lab-attach.png, e2e-vmcore.png (--lab) the same eventpoll read live from a lab VM
#                       with --lab and from its vmcore
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build}")
ws=$build/bin/waitscope
demo=$src/assets/demo
out=$src/docs/screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# Ids from the demo's first snapshot: the eventpoll with the most items and its first
# ready item.
read -r ep item < <(python3 - "$demo" <<'PY'
import json, os, sys
demo = sys.argv[1]
first = json.load(open(os.path.join(demo, "run.json")))["marks"][0]["name"]
snap = json.load(open(os.path.join(demo, first + ".json")))
eps = sorted((o for o in snap["objects"] if o["type"] == "eventpoll"), key=lambda o: o["id"])
ep = max(eps, key=lambda o: len(o["rbtree"]["inorder"]))
print(ep["id"], (ep["ready"] or ep["rbtree"]["inorder"])[0])
PY
)

shot() { # NAME SCRIPT [TARGET]
	printf '%s\n' "$2" >"$tmp/$1.txt"
	xvfb-run -a -s '-screen 0 1920x1080x24' "$ws" --size 1920x1080 \
		--screenshot "$out/$1.png" --script "$tmp/$1.txt" "${3:-$demo}" >/dev/null
	echo "make-screenshots: $out/$1.png"
}

shot demo-rbtree "select id $ep
expand
select id $item
zoom-fit
view inspector"
shot demo-overview "scene overview
zoom-fit"
shot demo-lecture "lecture on
select id $ep
expand
zoom-fit
view changes
step next
wait 20"
shot demo-workqueues "scene workqueues
zoom-fit"
shot timeline "view objects off
view search off
view targets off
panel bottom 620
view timeline
do timeline fit
do timeline select last"

crash=$src/tests/fixtures/snapshots/crash_deadlock-panic.json
holder=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["crash"]
print(next(l["holder"] for l in c["locks"] if l.get("holder")))' "$crash")
shot crash-report "select id $holder
wait 5" "$crash"

# With --lab: the end-to-end run in a lab VM (tests/app/e2e_lab.py): the app attached with
# --lab at a topology program's mark, and the same state's vmcore.
if [ "${2:-}" = "--lab" ]; then
	/usr/bin/python3 "$src/tests/app/e2e_lab.py" "$ws" "$tmp/e2e" >/dev/null
	cp "$tmp/e2e/lab.png" "$out/e2e-lab-attach.png"
	cp "$tmp/e2e/vmcore.png" "$out/e2e-vmcore.png"
	echo "make-screenshots: $out/e2e-lab-attach.png $out/e2e-vmcore.png"
fi
