# SPDX-License-Identifier: MIT
"""Timing half of bench/walk100k.sh (see there)."""

import argparse
import json
import os
import statistics
import sys
import time

from waitscope_introspect.cli import build_parser, options_from_args
from waitscope_introspect.formats import json_out
from waitscope_introspect.reference import reference_walk, snapshot_view
from waitscope_introspect.session import Session


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmcore", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--lab-dir", required=True)
    ap.add_argument("--name", default="walk100k")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--auto-module", action="append", default=[])
    a = ap.parse_args()
    if json_out.native is None:
        print("walk100k: the C++ encoder is not built", file=sys.stderr)
        return 1
    args = ["--vmcore", a.vmcore, "--pid", str(a.pid), "--lab-dir", a.lab_dir, "--no-stacks"]
    for m in a.auto_module:
        args += ["--auto-module", m]
    t0 = time.perf_counter()
    s = Session(options_from_args(build_parser().parse_args(args)))
    load_ms = (time.perf_counter() - t0) * 1000
    values, baselines, parts, cpu_v, cpu_b = [], [], [], [], []
    doc_bytes = b""
    ref = None
    for rep in range(a.reps):
        t, c0 = time.perf_counter(), time.process_time()
        ref = reference_walk(s.prog, [a.pid])
        baselines.append((time.perf_counter() - t) * 1000)
        cpu_b.append((time.process_time() - c0) * 1000)
        t, c0 = time.perf_counter(), time.process_time()
        cap = s.capture()
        t1 = time.perf_counter()
        out = s.render(cap, "json")
        t2 = time.perf_counter()
        values.append((t2 - t) * 1000)
        cpu_v.append((time.process_time() - c0) * 1000)
        c = cap.meta["capture"]
        parts.append(
            (c["read_ms"], c.get("tables_ms", 0.0), (t2 - t1) * 1000 - c.get("tables_ms", 0.0))
        )
        doc_bytes = bytes(out)
    # The fast walk must see what the per-member walk sees.
    doc = json.loads(doc_bytes)
    view = snapshot_view(doc, ref["eps"].keys())
    for k in ("eps", "files", "heads"):
        if view[k] != ref[k]:
            print(f"walk100k: snapshot and reference walk disagree on {k}", file=sys.stderr)
            return 1
    items = sum(len(e["items"]) for e in ref["eps"].values())
    mods = {m["name"]: m["debuginfo"] for m in doc["modules"]}
    value, baseline = statistics.median(values), statistics.median(baselines)
    r, tb, enc = (statistics.median(p[i] for p in parts) for i in range(3))
    print(
        f"{a.name}: {items} epitems, {len(doc['objects'])} objects, {len(doc_bytes) / 1e6:.1f} MB JSON; "
        f"debug info load {load_ms:.0f} ms (both); snapshot {value:.0f} ms = read {r:.0f} + tables {tb:.0f} "
        f"+ encode {enc:.0f}; per-member walk {baseline:.0f} ms; runs {[round(v) for v in values]} vs "
        f"{[round(v) for v in baselines]}; CPU time {statistics.median(cpu_v):.0f} ms vs "
        f"{statistics.median(cpu_b):.0f} ms; load average {os.getloadavg()[0]:.1f}; modules {mods}"
    )
    print(
        f"RESULT name={a.name} value={value:.1f} unit=ms baseline={baseline:.1f} ratio={value / baseline:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
