# SPDX-License-Identifier: MIT
"""
Host tests of the introspection package (label "host", no VM): the two JSON
encoders agree byte for byte, snapshots validate against the schema, the
golden fixture keeps its invariants, red-black checks catch broken trees, and
bad inputs fail fast with one clear line from both command lines.
"""

import json
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import snapcheck as sc
from conftest import BUILD, SRC

pytestmark = pytest.mark.host

FIXTURES = os.path.join(SRC, "tests", "fixtures", "snapshots")
LAB = os.path.join(BUILD, "lab")


def _tables():
    from waitscope_introspect.snapshot import Col, SnapshotBuilder

    b = SnapshotBuilder()
    n = 5
    a = np.array([0xFFFF888000001000 + 0x100 * i for i in range(n)], np.uint64)
    pres = np.array([True, False, True, True, False])
    b.add_table(
        "thing",
        a[::-1].copy(),
        {
            "u": Col.u([0, 1, 2**64 - 1, 7, 8]),
            "i": Col.i([-1, 0, 5, -(2**63), 2**63 - 1], pres),
            "b": Col.b([True, False, True, False, True]),
            "x": Col.x([0, 0xDEAD, 1, 2, 3]),
            "r": Col.r("thing", [0, int(a[1]), 0, 0, int(a[4])]),
            "rv": Col.rv(["thing", "other"], [0, 1, 0, 1, 0], [1, 2, 0, 3, 4], pres),
            "sc": Col.sc(["red", None, 'quo"te\\'], [0, 1, 2, 0, 1]),
            "rc": Col.rc(["[]", '["EXCLUSIVE"]'], [0, 1, 1, 0, 0]),
            "s": Col.s(["a", None, "ünïcode", "tab\there", "x"]),
            "j": Col.j([{"k": [1, 2]}, None, [], "s", 3]),
            "raw": Col.raw(["1", "[2]", None, "{}", "null"]),
            "rl": Col.rl("thing", [0, 0, 2, 3, 3, 5], [int(a[0]), 0, 5, 6, 7]),
            "o": Col.o({"z": Col.u([1, 2, 3, 4, 5]), "a": Col.r("x", [0, 1, 2, 3, 4])}, pres),
            "ol": Col.ol(
                [0, 1, 1, 3, 3, 3], {"fd": Col.i([3, 4, 5]), "file": Col.r("file", [9, 0, 10])}
            ),
        },
    )
    b.add("thing", int(a[0]), extra="first wins?")
    b.add("other", 0x10, value=1, nested={"b": 1, "a": [1, "x"]})
    b.add("other", 0xFFFFFFFFC0000000, value=2)
    return b.tables()


def test_encoders_agree():
    """The C++ encoder and the Python one write the same bytes; the result is valid JSON."""
    from waitscope_introspect.formats import json_out

    assert json_out.native is not None, "the _wsnative module is not built (cmake --build)"
    tables = _tables()
    doc = {
        "schema": "waitscope.snapshot/1",
        "kernel": {"release": "x", "build_id": None},
        "capture": {"source": "vmcore"},
    }
    a = bytes(json_out.render_json(doc, tables, use_native=True))
    b = json_out.render_json(doc, tables, use_native=False)
    assert a == b
    d = json.loads(a)
    ids = [o["id"] for o in d["objects"]]
    assert ids == sorted(ids), "objects are sorted by id"
    things = [o for o in d["objects"] if o["type"] == "thing"]
    # rows were added in reverse address order; the dict row added later for
    # the same address loses (first wins)
    assert things[0]["u"] == 8 and "extra" not in things[0]
    assert "i" not in things[3] and "rv" not in things[3] and things[1]["rv"] is not None
    assert all(list(o) == sorted(o) for o in d["objects"]), "keys are sorted"


def test_cbor_matches_json():
    cbor2 = pytest.importorskip("cbor2")
    from waitscope_introspect.formats import cbor_out, json_out

    tables = _tables()
    doc = {
        "schema": "waitscope.snapshot/1",
        "kernel": {"release": "x", "build_id": None},
        "capture": {"source": "vmcore"},
    }
    raw = bytes(cbor_out.render_cbor(doc, tables))
    assert raw[:3] == b"\xd9\xd9\xf7"
    decoded = cbor2.loads(raw)
    decoded = getattr(decoded, "value", decoded)
    assert decoded == json.loads(json_out.render_json(doc, tables, use_native=False))


def test_native_cbor_is_the_python_cbor():
    """The C++ JSON->CBOR transcoder writes what cbor_out writes, and rejects bad JSON."""
    from waitscope_introspect.formats import cbor_out, json_out

    assert json_out.native is not None, "the _wsnative module is not built (cmake --build)"
    tables = _tables()
    doc = {
        "schema": "waitscope.snapshot/1",
        "kernel": {"release": 'x\u00e9\n"q" \U0001f600', "build_id": None},
        "capture": {"source": "vmcore", "ms": 1.25, "neg": -7, "big": 2**63, "e": 1e300},
        "warnings": [[], {}, [True, False, None, "\x01"]],
    }
    native = bytes(cbor_out.render_cbor(doc, tables, use_native=True))
    assert native == cbor_out.render_cbor(doc, tables, use_native=False)
    for bad in (b"", b"{", b'{"a" 1}', b"[1,]", b'"\\x"', b"[1] 2", b"-", b"1e", b"[" * 600):
        with pytest.raises(ValueError, match="json_to_cbor"):
            json_out.native.json_to_cbor(bad)


def test_golden_fixtures():
    """Committed snapshots validate and keep their invariants."""
    files = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".json"))
    assert files, "no golden fixtures"
    for f in files:
        doc = sc.load(os.path.join(FIXTURES, f))
        problems = sc.validate_schema(doc) + sc.check_rbtrees(doc) + sc.check_links(doc)
        assert not problems, f"{f}: " + "\n".join(problems)
        assert doc["schema"] == "waitscope.snapshot/1"
        assert [o["id"] for o in doc["objects"]] == sorted(o["id"] for o in doc["objects"])


def test_rbtree_checks_catch_broken_trees():
    """The JSON-level checks the lab tests rely on do fail on broken trees."""
    docs = [sc.load(os.path.join(FIXTURES, f)) for f in sorted(os.listdir(FIXTURES))]
    # The fixture with the biggest epoll tree (the crash fixture's epoll has one item).
    doc = max(
        docs,
        key=lambda d: max(
            (o["rbtree"]["count"] for o in d["objects"] if o["type"] == "eventpoll"), default=0
        ),
    )
    ix = sc.index(doc)
    ep = max(
        (o for o in doc["objects"] if o["type"] == "eventpoll"), key=lambda o: o["rbtree"]["count"]
    )
    assert ep["rbtree"]["count"] >= 3
    root = ix[ep["rbtree"]["root"]]
    # 1. a red root
    root["color"] = "red"
    assert sc.check_rbtrees(doc)
    root["color"] = "black"
    assert not sc.check_rbtrees(doc)
    # 2. a broken parent link
    child_id = root["rb"]["left"] or root["rb"]["right"]
    child = ix[child_id]
    saved = child["rb"]["parent"]
    child["rb"]["parent"] = None
    assert sc.check_rbtrees(doc)
    child["rb"]["parent"] = saved
    # 3. keys out of order
    a, b = ep["rbtree"]["inorder"][:2]
    ix[a]["tfd"], ix[b]["tfd"] = ix[b]["tfd"], ix[a]["tfd"]
    ix[a]["file"], ix[b]["file"] = ix[b]["file"], ix[a]["file"]
    assert sc.check_rbtrees(doc)


def _root_and_two_children(node):
    """An RbForest of one tree: black root node[0], red left node[1], red right node[2]."""
    from waitscope_introspect.walkers.rbtree import RbForest

    return RbForest(
        node,
        np.zeros(3, np.int64),
        np.array([1, node[0], node[0]], np.uint64),
        np.array([1, -1, -1]),
        np.array([2, -1, -1]),
        np.array([-1, 0, 0]),
        np.array([0, 1, 1]),
        np.array([1, 0, 2]),
        np.ones(3, bool),
        np.zeros(1, bool),
    )


def test_rbtree_forest_check():
    """rbtree_check (the walker's own runtime check) on valid and broken forests."""
    from waitscope_introspect.walkers.rbtree import rbtree_check

    # root B(10) with children R(5), R(15): valid
    f = _root_and_two_children(np.array([0x1000, 0x2000, 0x3000], np.uint64))
    keys = (np.array([10, 5, 15], np.uint64),)
    assert rbtree_check(f, keys) == []
    assert rbtree_check(f._replace(parent_color=np.array([0, 0x1000, 0x1000], np.uint64)), keys)
    assert rbtree_check(f, (np.array([10, 15, 5], np.uint64),))
    assert rbtree_check(f._replace(parent_color=np.array([1, 0x2000, 0x1000], np.uint64)), keys)


def test_rbforest_by_address():
    """Reordering a forest by node address keeps every link, colour and position."""
    from waitscope_introspect.walkers.rbtree import rbforest_by_address, rbtree_check

    # B(0x5000) with R(0x9000) left and R(0x1000) right: addresses not in row order.
    f = _root_and_two_children(np.array([0x5000, 0x9000, 0x1000], np.uint64))
    g = rbforest_by_address(f)
    assert g.node.tolist() == [0x1000, 0x5000, 0x9000]
    addr = lambda forest, rows: [  # noqa: E731
        int(forest.node[r]) if r >= 0 else None for r in rows.tolist()
    ]
    by = {int(x): i for i, x in enumerate(g.node.tolist())}
    for i, x in enumerate(f.node.tolist()):
        j = by[x]
        assert addr(f, f.left[i : i + 1]) == addr(g, g.left[j : j + 1])
        assert addr(f, f.right[i : i + 1]) == addr(g, g.right[j : j + 1])
        assert addr(f, f.parent[i : i + 1]) == addr(g, g.parent[j : j + 1])
        assert f.index[i] == g.index[j] and f.parent_color[i] == g.parent_color[j]
    keys = lambda forest: (  # noqa: E731
        np.array([{0x5000: 10, 0x9000: 5, 0x1000: 15}[int(x)] for x in forest.node], np.uint64),
    )
    assert rbtree_check(f, keys(f)) == [] and rbtree_check(g, keys(g)) == []


def test_rbforest_inorder_is_the_lexsort():
    """rbforest_inorder: the scatter equals np.lexsort((index, tree)), ties included."""
    from waitscope_introspect.walkers.rbtree import RbForest, rbforest_inorder

    rng = np.random.default_rng(5)
    tree = np.repeat(np.arange(4, dtype=np.int64), [3, 0, 5, 2])
    index = np.concatenate([rng.permutation(k) for k in (3, 5, 2)]).astype(np.int64)
    n = len(tree)
    perm = rng.permutation(n)
    z = np.zeros(n, np.int64)
    f = RbForest(
        np.arange(n, dtype=np.uint64),
        tree[perm],
        z.astype(np.uint64),
        z,
        z,
        z,
        z,
        index[perm],
        np.ones(n, bool),
        np.zeros(4, bool),
    )
    assert rbforest_inorder(f).tolist() == np.lexsort((f.index, f.tree)).tolist()
    tied = f._replace(index=np.where(f.index == 1, 0, f.index))  # two rows at position 0
    assert rbforest_inorder(tied).tolist() == np.lexsort((tied.index, tied.tree)).tolist()


def _rb_image(links):
    """A fake direct map of rb_nodes: {phys: (parent_color, right, left)} -> image."""
    img = np.zeros(0x1000, np.uint8)
    words = img.view(np.uint64)
    for phys, (pc, right, left) in links.items():
        words[phys // 8 : phys // 8 + 3] = [pc, right, left]
    return img


def test_native_rbtree_walk_is_bounded_and_cycle_safe():
    """walk_rbtrees (C++): a valid tree in order; cycles, caps and nodes outside the image."""
    from waitscope_introspect.formats.json_out import native

    assert native is not None, "the _wsnative module is not built (cmake --build)"
    base = 0xFFFF888000000000
    a, b, c = (base + p for p in (0x100, 0x200, 0x300))
    z = np.zeros(1, np.int64)
    ranges = (z, np.array([0x1000], np.int64), z, base, 0x1000)

    def walk(links, roots, cap=1 << 20, max_depth=256):
        return native.walk_rbtrees(
            _rb_image(links), *ranges, np.array(roots, np.uint64), cap, max_depth, 0, 16, 8
        )

    # B(b) with left a, right c (layout: parent_color, rb_right, rb_left)
    valid = {0x200: (1, c, a), 0x100: (b, 0, 0), 0x300: (b, 0, 0)}
    node, tree, pc, left, right, parent, depth, index, trunc, complete = walk(valid, [b])
    assert complete and not trunc.any()
    assert {int(n): int(i) for n, i in zip(node, index)} == {a: 0, b: 1, c: 2}
    r = {int(n): k for k, n in enumerate(node)}
    assert left[r[b]] == r[a] and right[r[b]] == r[c] and parent[r[a]] == r[b]
    assert depth[r[b]] == 0 and depth[r[c]] == 1
    # c's left child is the root again (a cycle), a's right is itself: each
    # node walked once, the tree marked truncated, no hang.
    cyclic = {0x200: (1, c, a), 0x100: (b, a, 0), 0x300: (b, 0, b)}
    node, *_, trunc, complete = walk(cyclic, [b, b])
    assert complete and trunc.tolist() == [True, True] and sorted(node.tolist()) == [a, b, c]
    # caps: nodes and depth
    *_, trunc, complete = walk(valid, [b], cap=2)
    assert complete and trunc.tolist() == [True]
    *_, trunc, complete = walk(valid, [b], max_depth=1)
    assert complete and trunc.tolist() == [True]
    # a child outside the image: not complete (the caller walks with drgn)
    outside = {0x200: (1, base + 0x5000, a), 0x100: (b, 0, 0)}
    *_, complete = walk(outside, [b])
    assert not complete
    # empty trees and bad offsets
    node, *_, trunc, complete = walk(valid, [0, 0])
    assert complete and len(node) == 0 and not trunc.any()
    with pytest.raises(ValueError):
        native.walk_rbtrees(_rb_image(valid), *ranges, np.array([b], np.uint64), 9, 9, 0, 3, 8)


# -- bad inputs -----------------------------------------------------------------


def _core(path, vmcoreinfo: str, load_size: int = 4096, truncate_to=None):
    from waitscope_introspect.elf import core_with_note

    data = bytearray(core_with_note(b"VMCOREINFO", 0, vmcoreinfo.encode()))
    # Make the empty PT_LOAD claim load_size bytes of file data.
    phoff = struct.unpack_from("<Q", data, 0x20)[0]
    struct.pack_into("<Q", data, phoff + 56 + 0x20, load_size)
    struct.pack_into("<Q", data, phoff + 56 + 0x28, load_size)
    data += b"\0" * load_size
    if truncate_to is not None:
        data = data[:truncate_to]
    with open(path, "wb") as f:
        f.write(data)


def _lab_vmlinux(series):
    import glob

    cands = sorted(glob.glob(os.path.join(LAB, "kernels", f"{series}.*", "vmlinux")))
    if not cands:
        pytest.skip(f"no lab kernel {series} (tools/lab/fetch-kernels.sh)")
    from waitscope_introspect.corefile import elf_file_build_id

    rel = os.path.basename(os.path.dirname(cands[0]))
    return rel, cands[0], elf_file_build_id(cands[0])


CASES = [
    # name, maker(tmp) -> args, expected message fragment
    ("random", "not a vmcore"),
    ("empty", "empty file"),
    ("truncated", "truncated"),
    ("non-core-elf", "not a core dump"),
    ("wrong-vmlinux", "does not match"),
    ("other-build", "another build"),
    ("no-vmlinux", "no vmlinux with debug info"),
    ("missing-ko", "no such file"),
    ("flat-truncated", "truncated flattened"),
    ("kdump-truncated", "truncated kdump"),
    ("kcore", "kcore"),
]


def _make(case, tmp_path):
    p = str(tmp_path / f"{case}.core")
    if case == "random":
        with open(p, "wb") as f:
            f.write(os.urandom(1 << 20))
        return ["--vmcore", p]
    if case == "empty":
        open(p, "wb").close()
        return ["--vmcore", p]
    rel, vml, bid = _lab_vmlinux("6.1")
    info = f"OSRELEASE={rel}\nBUILD-ID={bid}\nPAGESIZE=4096\n"
    if case == "truncated":
        _core(p, info, load_size=1 << 20, truncate_to=4096)
        return ["--vmcore", p]
    if case == "non-core-elf":
        return ["--vmcore", "/bin/true"]
    if case == "wrong-vmlinux":
        _core(p, info)
        _, other, _ = _lab_vmlinux("6.12")
        return ["--vmcore", p, "--vmlinux", other]
    if case == "other-build":
        _core(p, f"OSRELEASE={rel}\nBUILD-ID={'ab' * 20}\n")
        return ["--vmcore", p]
    if case == "no-vmlinux":
        _core(p, "OSRELEASE=9.9.9-nonexistent\nBUILD-ID=00\n")
        return ["--vmcore", p]
    if case == "missing-ko":
        _core(p, info)
        return ["--vmcore", p, "--module", str(tmp_path / "nonexistent.ko")]
    if case == "flat-truncated":
        with open(p, "wb") as f:
            f.write(b"makedumpfile".ljust(4096, b"\0") + struct.pack(">qq", 0, 100) + b"KDUMP   ")
        return ["--vmcore", p]
    if case == "kdump-truncated":
        with open(p, "wb") as f:
            f.write(b"KDUMP   " + b"\0" * 100)
        return ["--vmcore", p]
    if case == "kcore":
        if os.path.exists("/proc/kcore") and os.geteuid() == 0:
            pytest.skip("/proc/kcore is readable here")
        return ["--kcore"]
    raise AssertionError(case)


@pytest.mark.parametrize("cli", ["waitscope", "python"])
@pytest.mark.parametrize("case,fragment", CASES)
def test_bad_input(case, fragment, cli, tmp_path, waitscope):
    """A bad target is one line naming the problem, exit status != 0, in seconds."""
    args = _make(case, tmp_path)
    if cli == "waitscope":
        cmd = [waitscope, "dump", *args]
    else:
        cmd = [sys.executable, "-m", "waitscope_introspect", *args, "--lab-dir", LAB]
    env = dict(os.environ, PYTHONPATH=os.path.join(BUILD, "share", "waitscope", "python"))
    env.pop("WAITSCOPE_DEBUG", None)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    elapsed = time.monotonic() - t0
    err = p.stderr.strip()
    assert p.returncode not in (0, 70), f"exit {p.returncode}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.splitlines()) == 1, f"not one line: {err!r}"
    assert fragment in err, err
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_crash_fixture_report():
    """The crash fixture (crash_deadlock's panic on 6.1, tools/make-snapshot-fixtures.sh):
    the classifier and the stall parser agree with the kernel's own lines, and the text
    report names the reason, the task and the held lock."""
    from waitscope_introspect.formats.crash_text import render_crash_text
    from waitscope_introspect.walkers.crash_dmesg import classify, culprit_cpus

    doc = sc.load(os.path.join(FIXTURES, "crash_deadlock-panic.json"))
    c = doc["crash"]
    assert c["panic"] and c["reason"] == "rcu_stall"
    # The classification is a function of the message the kernel printed.
    assert classify(c["message"])[0] == c["reason"]
    text = "\n".join(r["text"] for r in c["dmesg"])
    assert "Kernel panic - not syncing: RCU Stall" in text
    cpus, _ = culprit_cpus("rcu_stall", text, c["panic_cpu"])
    assert cpus == c["culprit_cpus"] and c["task"]["cpu"] in cpus
    assert c["task"]["comm"] == "crash_deadlock"
    ix = sc.index(doc)
    # The held lock is the wqh of the vpoll the crashing task's process has open.
    (lock,) = [lk for lk in c["locks"] if lk["kind"] == "spinlock"]
    assert ix[lock["container"]]["wqh"] == lock["object"]
    assert lock["holder"] == c["task"]["id"] and lock["holder_inferred"] is True
    report = render_crash_text(c, doc["kernel"]["release"])
    assert report.startswith("CRASH    rcu_stall")
    assert f"crash_deadlock[{c['task']['pid']}]" in report and lock["object"] in report
    # Other panics the kernel's sources spell (kernel/watchdog.c, kernel/hung_task.c, ...).
    assert classify("softlockup: hung tasks")[0] == "soft_lockup"
    assert classify("hung_task: blocked tasks")[0] == "hung_task"
    assert classify("Fatal exception in interrupt")[0] == "oops"
    assert classify("Hard LOCKUP")[0] == "hard_lockup"
    assert classify(None)[0] == "unknown"
    assert render_crash_text({"panic": False, "note": "x"}).startswith("CRASH    none")
