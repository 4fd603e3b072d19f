#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Headless end-to-end test of the app on the bundled demo (run under Xvfb).

    screenshot_test.py WAITSCOPE DEMO_DIR OUT_DIR

Picks the demo's eventpoll with the most epitems (from the JSON, independently of
waitscope), then has the app select it, expand its rbtree, open the inspector and
take a screenshot. Checks the app's REPORT line (counts from its own model and
draw lists) against the JSON, and that the PNG is not blank and shows the red
rbtree nodes and the green ready-item outline.
"""
import json
import os
import struct
import subprocess
import sys
import zlib


def decode_png(path):
    """RGBA8 PNG (what stb_image_write writes) -> (width, height, rows of bytes)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6), "expected RGBA8"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, rows, prev = width * 4, [], bytearray(width * 4)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b = prev[i]
            c = prev[i - 4] if i >= 4 else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 0xFF
        rows.append(line)
        prev = line
    return width, height, rows


def first_snapshot(demo):
    run = os.path.join(demo, "run.json")
    name = json.load(open(run))["marks"][0]["name"] if os.path.exists(run) else None
    path = (
        os.path.join(demo, name + ".json")
        if name
        else sorted(os.path.join(demo, f) for f in os.listdir(demo) if f.endswith(".json"))[0]
    )
    return json.load(open(path))


def main():
    waitscope, demo, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    snap = first_snapshot(demo)
    objs = {o["id"]: o for o in snap["objects"]}
    eps = sorted((o for o in snap["objects"] if o["type"] == "eventpoll"), key=lambda o: o["id"])
    ep = max(eps, key=lambda o: len(o["rbtree"]["inorder"]))
    items = ep["rbtree"]["inorder"]
    reds = [i for i in items if objs[i]["color"] == "red"]
    expected = len(items)
    assert expected > 0, "the demo has no eventpoll with items"

    script = os.path.join(out, "actions.txt")
    with open(script, "w") as f:
        f.write(f"select id {ep['id']}\nexpand\nview inspector\nzoom-fit\nreport\n")
    png = os.path.join(out, "demo-rbtree.png")
    if os.path.exists(png):
        os.remove(png)
    cmd = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1280x800x24",
        waitscope,
        "--size",
        "1280x800",
        "--screenshot",
        png,
        "--script",
        script,
        demo,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=150)
    sys.stderr.write(run.stderr)
    assert run.returncode == 0, f"waitscope exited with {run.returncode}"
    reports = [l for l in run.stdout.splitlines() if l.startswith("REPORT ")]
    assert reports, "no REPORT line"
    report = dict(kv.split("=", 1) for kv in reports[-1].split()[1:])
    print(reports[-1])
    assert report["selection"] == ep["id"], report["selection"]
    assert report["scene"] == "eventpoll" and report["focus"] == ep["id"], report
    assert int(report["rbtree_nodes"]) == expected, (report["rbtree_nodes"], expected)
    assert int(report["drawn_epitems"]) == expected, (report["drawn_epitems"], expected)
    assert int(report["inspector_fields"]) >= len(ep), report["inspector_fields"]

    width, height, rows = decode_png(png)
    assert (width, height) == (1280, 800), (width, height)
    colours = set()
    for row in rows[::4]:
        for x in range(0, width * 4, 16):
            colours.add(bytes(row[x : x + 3]))
    assert len(colours) > 64, f"blank-looking screenshot: {len(colours)} colours"
    pixels = {bytes(row[x : x + 3]) for row in rows for x in range(0, width * 4, 4)}
    if reds:
        assert bytes((190, 40, 40)) in pixels, "no red rbtree node drawn"
    assert bytes((28, 28, 28)) in pixels, "no black rbtree node drawn"
    if ep["ready"]:
        assert bytes((80, 230, 110)) in pixels, "no ready outline drawn"
    print(f"ok: {expected} rbtree nodes ({len(reds)} red), {len(colours)} colours, {png}")


if __name__ == "__main__":
    main()
