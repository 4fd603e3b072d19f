#!/usr/bin/python3
"""`waitscope render`: every eventpoll of a real snapshot drawn as SVG with the tidy tree.

For each eventpoll, the SVG must parse, hold one box per rbtree node whose colour is the
node's colour, with the nodes' fds reading left to right in the tree's in-order, and the
ready count the snapshot gives. Bad input must fail with a message, not a crash.

usage: render_test.py WAITSCOPE SNAPSHOT OUTDIR
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
TREE_FILLS = {"#e57373": "red", "#9e9e9e": "black"}


def render(waitscope, args):
    return subprocess.run([waitscope, "render", *args], capture_output=True, text=True, timeout=120)


def tree_boxes(svg_path):
    boxes = []
    for g in ET.parse(svg_path).getroot().iter(SVG + "g"):
        rect = g.find(SVG + "rect")
        texts = [t.text or "" for t in g.findall(SVG + "text")]
        if rect is None or not texts:
            continue
        if rect.get("fill") in TREE_FILLS and texts[0].startswith("fd "):
            boxes.append((float(rect.get("x")), texts[0], TREE_FILLS[rect.get("fill")], texts))
    return sorted(boxes)


def main():
    waitscope, snapshot, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    objects = {o["id"]: o for o in json.load(open(snapshot))["objects"]}
    eventpolls = [o for o in objects.values() if o["type"] == "eventpoll"]
    assert eventpolls, "the fixture has no eventpoll"
    checked = 0
    for ep in eventpolls:
        inorder = ep["rbtree"]["inorder"]
        path = os.path.join(out, ep["id"].replace(":", "_") + ".svg")
        r = render(waitscope, [snapshot, "--focus", ep["id"], "--out", path])
        assert r.returncode == 0, r.stderr
        boxes = tree_boxes(path)
        want = [("fd %d" % objects[i]["tfd"], objects[i]["color"]) for i in inorder]
        got = [(label, colour) for _, label, colour, _ in boxes]
        assert got == want, "%s: tree drawn %s, snapshot has %s" % (ep["id"], got, want)
        header = "ep->rbr: %d items, %d ready" % (len(inorder), len(ep["ready"]))
        texts = {t.text for t in ET.parse(path).getroot().iter(SVG + "text")}
        assert header in texts, "%s: no '%s'" % (ep["id"], header)
        checked += 1
    # Other scenes and bad input.
    for scene in ("overview", "waitqueue", "workqueues"):
        r = render(waitscope, [snapshot, "--scene", scene, "--out", out + "/s.svg"])
        assert r.returncode == 0, r.stderr
        ET.parse(out + "/s.svg")
    r = render(waitscope, [snapshot, "--out", out + "/s.dot"])
    assert r.returncode == 0 and open(out + "/s.dot").read().startswith("digraph")
    garbage = os.path.join(out, "garbage.json")
    open(garbage, "w").write('{"schema": "waitscope.snapshot/1", "objects": [')
    for args in (
        [garbage, "--out", out + "/g.svg"],
        [snapshot, "--focus", "eventpoll:0x1", "--out", out + "/g.svg"],
        [snapshot, "--focus", "junk", "--out", out + "/g.svg"],
    ):
        r = render(waitscope, args)
        assert r.returncode == 2 and "waitscope render:" in r.stderr, (args, r)
        assert not os.path.exists(out + "/g.svg"), args
    print("render: %d eventpolls drawn and checked" % checked)


if __name__ == "__main__":
    main()
