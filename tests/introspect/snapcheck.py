# SPDX-License-Identifier: MIT
"""
Checks of snapshots against the kernel's own view: what a lab program printed
(its /proc/self/fdinfo lines and WAITSCOPE_EXPECT), the red-black and list
invariants, the JSON schema, and equality of snapshots of the same pause.
Each check returns a list of problems (empty = pass), so a test reports all.
"""

import json
import os
import re
import subprocess
from typing import Any, Dict, List, Optional, Tuple

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = os.path.join(SRC, "model", "schema", "snapshot-v1.schema.json")

FDINFO = re.compile(r"^fdinfo (\d+) tfd:\s*(\d+) events:\s*([0-9a-f]+) data:\s*([0-9a-f]+)")


def load(path: str) -> Dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def index(doc: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {o["id"]: o for o in doc["objects"]}


def parse_stdout(path: str) -> Tuple[Dict[int, List[Tuple[int, int, int]]], List[Dict[str, Any]]]:
    """``({epfd: [(tfd, events, data)]}, [WAITSCOPE_EXPECT objects])`` from a run's stdout."""
    fdinfo: Dict[int, List[Tuple[int, int, int]]] = {}
    expects = []
    with open(path) as f:
        for line in f:
            m = FDINFO.match(line)
            if m:
                fdinfo.setdefault(int(m.group(1)), []).append(
                    (int(m.group(2)), int(m.group(3), 16), int(m.group(4), 16))
                )
            elif line.startswith("WAITSCOPE_EXPECT "):
                expects.append(json.loads(line.split(" ", 1)[1]))
    return fdinfo, expects


def validate_schema(doc: Dict[str, Any]) -> List[str]:
    import jsonschema

    with open(SCHEMA) as f:
        schema = json.load(f)
    v = jsonschema.Draft202012Validator(schema)
    return [
        f"schema: {e.message} at {'/'.join(map(str, e.absolute_path))}"
        for e in list(v.iter_errors(doc))[:10]
    ]


def eventpoll_of(doc: Dict[str, Any], pid: int, fd: int) -> Optional[Dict[str, Any]]:
    for o in doc["objects"]:
        if o["type"] == "eventpoll" and {"pid": pid, "fd": fd} in o.get("owners", []):
            return o
    return None


def items_of(ix, ep) -> List[Tuple[int, int, int]]:
    return sorted((ix[i]["tfd"], ix[i]["events"], ix[i]["data"]) for i in ep["rbtree"]["inorder"])


def check_fdinfo(doc, pid: int, fdinfo) -> List[str]:
    """For each epoll fd, the (tfd, events, data) set equals /proc/self/fdinfo."""
    ix = index(doc)
    out = []
    for fd, items in sorted(fdinfo.items()):
        ep = eventpoll_of(doc, pid, fd)
        if ep is None:
            out.append(f"epoll fd {fd} of pid {pid}: not in the snapshot")
            continue
        got = items_of(ix, ep)
        if got != sorted(items):
            out.append(f"epoll fd {fd}: snapshot {got} != fdinfo {sorted(items)}")
    return out


def check_rbtrees(doc) -> List[str]:
    """BST order by (file, fd), red-black rules, parent links, in-order index, count."""
    ix = index(doc)
    out = []

    def addr(i):
        return int(i.split(":", 1)[1], 16)

    for ep in (o for o in doc["objects"] if o["type"] == "eventpoll"):
        rb = ep["rbtree"]
        order = rb["inorder"]
        name = ep["id"]
        if rb["count"] != len(order):
            out.append(f"{name}: count {rb['count']} != {len(order)} items")
        keys = [(addr(ix[i]["file"]), ix[i]["tfd"]) for i in order]
        if any(a >= b for a, b in zip(keys, keys[1:])):
            out.append(f"{name}: in-order sequence not strictly increasing by (file, fd)")
        for n, i in enumerate(order):
            e = ix[i]
            if e["rb"]["index"] != n:
                out.append(f"{i}: rb.index {e['rb']['index']} != position {n}")
                break
            if e["ep"] != name:
                out.append(f"{i}: ep {e['ep']} != {name}")
                break
        root = rb["root"]
        if order and (
            root is None or ix[root]["rb"]["parent"] is not None or ix[root]["color"] != "black"
        ):
            out.append(f"{name}: root missing, has a parent, or is red")
        if order and rb.get("leftmost") != order[0]:
            out.append(f"{name}: leftmost {rb.get('leftmost')} != first in order {order[0]}")

        def walk(i, lo, hi) -> int:
            """Black height of the subtree at i (checks links, colours, order)."""
            if i is None:
                return 1
            e = ix[i]
            k = (addr(e["file"]), e["tfd"])
            if (lo is not None and k <= lo) or (hi is not None and k >= hi):
                raise ValueError(f"{i}: BST order violated")
            for side in ("left", "right"):
                c = e["rb"][side]
                if c is not None:
                    if ix[c]["rb"]["parent"] != i:
                        raise ValueError(f"{c}: parent link is not {i}")
                    if e["color"] == "red" and ix[c]["color"] == "red":
                        raise ValueError(f"{i}: red node with a red child")
            lh = walk(e["rb"]["left"], lo, k)
            rh = walk(e["rb"]["right"], k, hi)
            if lh != rh:
                raise ValueError(f"{i}: black heights {lh} != {rh}")
            return lh + (e["color"] == "black")

        try:
            import sys

            sys.setrecursionlimit(10000)
            walk(root, None, None)
        except ValueError as e:
            out.append(str(e))
    return out


def check_links(doc) -> List[str]:
    """Every id a snapshot mentions names an object of it (no dangling links)."""
    ids = {o["id"] for o in doc["objects"]}
    out = []
    pat = re.compile(r'"([a-z_]+:0x[0-9a-f]+)"')
    for o in doc["objects"]:
        for m in pat.finditer(json.dumps({k: v for k, v in o.items() if k not in ("id",)})):
            if m.group(1) not in ids:
                out.append(f"{o['id']} links to missing {m.group(1)}")
                break
        if len(out) > 5:
            break
    return out


def comparable(doc) -> Dict[str, Any]:
    """The parts of a snapshot that must be equal for the same memory (no capture, no stacks)."""
    objs = {}
    for o in doc["objects"]:
        o = dict(o)
        o.pop("stack", None)
        objs[o["id"]] = o
    return {
        "kernel": doc["kernel"],
        "objects": objs,
        "modules": [{k: v for k, v in m.items() if k != "path"} for m in doc.get("modules", [])],
    }


def diff(a: Dict[str, Any], b: Dict[str, Any], what: str) -> List[str]:
    ca, cb = comparable(a), comparable(b)
    out = []
    if ca["kernel"] != cb["kernel"]:
        out.append(f"{what}: kernel differs: {ca['kernel']} vs {cb['kernel']}")
    oa, ob = ca["objects"], cb["objects"]
    only_a, only_b = sorted(set(oa) - set(ob)), sorted(set(ob) - set(oa))
    if only_a or only_b:
        out.append(
            f"{what}: objects only in the first: {only_a[:5]}, only in the second: {only_b[:5]}"
        )
    for k in sorted(set(oa) & set(ob)):
        if oa[k] != ob[k]:
            out.append(
                f"{what}: {k} differs: {json.dumps(oa[k])[:300]} vs {json.dumps(ob[k])[:300]}"
            )
            break
    return out


def lab_run(
    waitscope: str, kernel: str, out: str, program: str, *args: str, opts=(), timeout=600
) -> subprocess.CompletedProcess:
    """``waitscope lab run`` a program; returns the finished process (stdout in out/stdout.txt)."""
    cmd = [
        waitscope,
        "lab",
        "run",
        "--kernel",
        kernel,
        "--out",
        out,
        "-q",
        "--timeout",
        str(timeout),
        *opts,
    ]
    cmd += ["--", program, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 120)


def dump(waitscope: str, *args: str, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([waitscope, "dump", *args], capture_output=True, timeout=timeout)
