# SPDX-License-Identifier: MIT
"""
Red-black trees
---------------

:func:`rbtree_for_each_node` is the drgn-helper-style walk of one tree (node
objects with colour and parent). :func:`rbtrees_gather` walks many trees at
once, breadth first, reading each level's ``rb_left``/``rb_right`` for all
trees in one vectorised gather, and returns per node its parent, children,
colour, depth and in-order position. :func:`rbtree_check` verifies the
red-black rules and parent links of the result.

``struct rb_node`` keeps the parent pointer and the colour in
``__rb_parent_color``: colour in bit 0 (``RB_RED`` 0, ``RB_BLACK`` 1), parent
in the bits above bit 1 (include/linux/rbtree_augmented.h).
"""

from typing import Iterator, List, NamedTuple, Tuple

import drgn
import numpy as np

from ..kernel import KernelView

__all__ = (
    "RbForest",
    "rbforest_by_address",
    "rbforest_inorder",
    "rbtree_check",
    "rbtree_for_each_node",
    "rbtrees_gather",
)

RB_BLACK = 1
MAX_DEPTH = 256


def rbtree_for_each_node(root: drgn.Object) -> Iterator[Tuple[drgn.Object, str, int]]:
    """
    Iterate over a red-black tree in order, with colours and parents.

    :param root: ``struct rb_root *``
    :return: Iterator of (``struct rb_node *``, ``"red"``/``"black"``, parent address).
    """
    stack: List[drgn.Object] = []
    node = root.rb_node.read_()
    seen = set()
    while stack or node:
        while node:
            if node.value_() in seen:
                raise ValueError(f"rbtree cycle at {node.value_():#x}")
            seen.add(node.value_())
            stack.append(node)
            node = node.rb_left.read_()
        node = stack.pop()
        pc = node.__rb_parent_color.value_()
        yield node, "black" if pc & RB_BLACK else "red", pc & ~3
        node = node.rb_right.read_()


class RbForest(NamedTuple):
    """Nodes of several trees, a row each: breadth-first, or by address (rbforest_by_address)."""

    node: np.ndarray  # rb_node addresses (uint64)
    tree: np.ndarray  # index of the tree (int64)
    parent_color: np.ndarray  # raw __rb_parent_color (uint64)
    left: np.ndarray  # row of the left child, -1 if none (int64)
    right: np.ndarray
    parent: np.ndarray  # row of the parent in the walk, -1 for roots
    depth: np.ndarray
    index: np.ndarray  # in-order position within its tree
    ok: np.ndarray  # the node's links could be read
    truncated: np.ndarray  # per tree: the walk stopped at a cap


def rbtrees_gather(kv: KernelView, roots: np.ndarray, cap: int) -> RbForest:
    """
    Walk the trees whose root nodes are ``roots`` (``struct rb_node *``, 0 = empty).

    Bounded: at most ``cap`` nodes per call and :data:`MAX_DEPTH` levels, so a
    corrupt tree (a cycle) ends in ``truncated`` rather than a hang. From a
    mapped image (ELF vmcore, lab RAM) the walk is done in C++, in order
    rather than breadth first (same nodes, links and positions); elsewhere,
    or when a node lies outside the image, level by level here.
    """
    lay = kv.layouts["struct rb_node"]
    roots = np.asarray(roots, np.uint64)
    ntrees = len(roots)
    # From a mapped image: one C++ in-order walk (which also stops at a node
    # seen before, so a cycle costs no more than the tree).
    walked = kv.mem.walk_rbtrees(
        roots,
        cap,
        MAX_DEPTH,
        lay.off("__rb_parent_color"),
        lay.off("rb_left"),
        lay.off("rb_right"),
    )
    if walked is not None:
        node, tree, pc, left, right, parent, depth, index, truncated = walked
        return RbForest(
            node, tree, pc, left, right, parent, depth, index, np.ones(len(node), bool), truncated
        )
    rows = np.nonzero(roots)[0]
    f_addr = roots[rows]
    f_tree = rows.astype(np.int64)
    f_parent = np.full(len(rows), -1, np.int64)
    f_side = np.zeros(len(rows), np.int8)
    nodes, trees, pcs, parents, sides, depths, oks = [], [], [], [], [], [], []
    truncated = np.zeros(ntrees, bool)
    total = 0
    depth = 0
    mem = kv.mem
    while len(f_addr):
        if depth >= MAX_DEPTH or total + len(f_addr) > cap:
            truncated[np.unique(f_tree)] = True
            break
        cols, ok = mem.fields(lay, f_addr, ("__rb_parent_color", "rb_left", "rb_right"))
        pc, left, right = cols["__rb_parent_color"], cols["rb_left"], cols["rb_right"]
        base = total
        nodes.append(f_addr)
        trees.append(f_tree)
        pcs.append(pc)
        parents.append(f_parent)
        sides.append(f_side)
        depths.append(np.full(len(f_addr), depth, np.int64))
        oks.append(ok)
        total += len(f_addr)
        idx = np.arange(base, total, dtype=np.int64)
        lm = (left != 0) & ok
        rm = (right != 0) & ok
        f_addr = np.concatenate([left[lm], right[rm]])
        f_tree = np.concatenate([f_tree[lm], f_tree[rm]])
        f_parent = np.concatenate([idx[lm], idx[rm]])
        f_side = np.concatenate(
            [np.full(int(lm.sum()), -1, np.int8), np.full(int(rm.sum()), 1, np.int8)]
        )
        depth += 1
    cat = lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dt)  # noqa: E731
    node = cat(nodes, np.uint64)
    tree = cat(trees, np.int64)
    pcv = cat(pcs, np.uint64)
    parent = cat(parents, np.int64)
    side = cat(sides, np.int8)
    dep = cat(depths, np.int64)
    ok = cat(oks, bool)
    n = len(node)
    left = np.full(n, -1, np.int64)
    right = np.full(n, -1, np.int64)
    has_p = parent >= 0
    ch = np.nonzero(has_p)[0]
    lsel = ch[side[ch] < 0]
    rsel = ch[side[ch] > 0]
    left[parent[lsel]] = lsel
    right[parent[rsel]] = rsel
    # Subtree sizes bottom-up, then in-order positions top-down, level by level.
    size = np.ones(n, np.int64)
    maxd = int(dep.max()) if n else -1
    levels = [np.nonzero(dep == d)[0] for d in range(maxd + 1)] if n else []
    for lv in reversed(levels):
        lsz = np.where(left[lv] >= 0, size[np.maximum(left[lv], 0)], 0)
        rsz = np.where(right[lv] >= 0, size[np.maximum(right[lv], 0)], 0)
        size[lv] = 1 + lsz + rsz
    index = np.zeros(n, np.int64)
    for d, lv in enumerate(levels):
        if d == 0:
            index[lv] = np.where(left[lv] >= 0, size[np.maximum(left[lv], 0)], 0)
            continue
        p = parent[lv]
        own_l = np.where(left[lv] >= 0, size[np.maximum(left[lv], 0)], 0)
        own_r = np.where(right[lv] >= 0, size[np.maximum(right[lv], 0)], 0)
        index[lv] = np.where(side[lv] < 0, index[p] - 1 - own_r, index[p] + 1 + own_l)
    return RbForest(node, tree, pcv, left, right, parent, dep, index, ok, truncated)


def rbforest_by_address(forest: RbForest) -> RbForest:
    """
    The same forest with its rows in node address order (rows of parents and
    children renumbered): members gathered for the nodes then walk memory
    forwards, and a table of them is already sorted.
    """
    n = len(forest.node)
    if n < 2 or np.all(forest.node[1:] > forest.node[:-1]):
        return forest
    order = np.argsort(forest.node)
    sn = forest.node[order]
    if not np.all(sn[1:] > sn[:-1]):
        # A node reached twice (a cycle): keep the walk's order among equals.
        order = np.argsort(forest.node, kind="stable")
    new_row = np.empty(n, np.int64)
    new_row[order] = np.arange(n, dtype=np.int64)

    def rows(r: np.ndarray) -> np.ndarray:
        r = r[order]
        return np.where(r >= 0, new_row[np.maximum(r, 0)], -1)

    return RbForest(
        forest.node[order],
        forest.tree[order],
        forest.parent_color[order],
        rows(forest.left),
        rows(forest.right),
        rows(forest.parent),
        forest.depth[order],
        forest.index[order],
        forest.ok[order],
        forest.truncated,
    )


def rbforest_inorder(forest: RbForest) -> np.ndarray:
    """
    The rows sorted by tree, then in-order position: what
    ``np.lexsort((forest.index, forest.tree))`` gives, by one scatter when the
    positions number each tree's rows 0, 1, ... (always, unless a corrupt
    tree's walk gave two rows one position: then by the sort).
    """
    n = len(forest.node)
    if not n:
        return np.zeros(0, np.int64)
    counts = np.bincount(forest.tree, minlength=len(forest.truncated))
    start = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=start[1:])
    if forest.index.min() >= 0 and np.all(forest.index < counts[forest.tree]):
        order = np.full(n, -1, np.int64)
        order[start[forest.tree] + forest.index] = np.arange(n, dtype=np.int64)
        if order.min() >= 0:
            return order
    return np.lexsort((forest.index, forest.tree))


def rbtree_check(forest: RbForest, keys: Tuple[np.ndarray, ...] = ()) -> List[str]:
    """
    Check the red-black invariants of every walked tree.

    :param keys: sort keys per node (most significant first): the in-order
        sequence must be strictly increasing in them.
    :return: descriptions of violations (empty when the trees are valid).
    """
    out: List[str] = []
    n = len(forest.node)
    if not n:
        return out
    pc = forest.parent_color
    black = (pc & np.uint64(RB_BLACK)) != 0
    paddr = pc & ~np.uint64(3)
    roots = forest.parent < 0
    if np.any(paddr[roots] != 0):
        out.append(f"{int(np.count_nonzero(paddr[roots]))} root(s) with a parent pointer")
    nonroot = np.nonzero(~roots)[0]
    bad = nonroot[paddr[nonroot] != forest.node[forest.parent[nonroot]]]
    if len(bad):
        out.append(
            f"{len(bad)} node(s) whose parent pointer is not their parent, e.g. {int(forest.node[bad[0]]):#x}"
        )
    if np.any(~black[roots]):
        out.append("red root")
    red = np.nonzero(~black)[0]
    for child in (forest.left, forest.right):
        c = child[red]
        has = c >= 0
        rr = red[has][~black[c[has]]]
        if len(rr):
            out.append(f"{len(rr)} red node(s) with a red child, e.g. {int(forest.node[rr[0]]):#x}")
    # Black height: blacks from a node (inclusive) down to nil must agree both ways.
    bh = np.zeros(n, np.int64)
    maxd = int(forest.depth.max())
    for d in range(maxd, -1, -1):
        lv = np.nonzero(forest.depth == d)[0]
        lb = np.where(forest.left[lv] >= 0, bh[np.maximum(forest.left[lv], 0)], 0)
        rb = np.where(forest.right[lv] >= 0, bh[np.maximum(forest.right[lv], 0)], 0)
        if np.any(lb != rb):
            k = lv[lb != rb]
            out.append(
                f"{len(k)} node(s) with unequal black heights, e.g. {int(forest.node[k[0]]):#x}"
            )
        bh[lv] = lb + black[lv]
    if keys:
        order = rbforest_inorder(forest)
        t = forest.tree[order]
        same = t[1:] == t[:-1]
        ks = [k[order] for k in keys]
        # strictly increasing lexicographic order within each tree
        greater = np.zeros(len(order) - 1, bool)
        equal = np.ones(len(order) - 1, bool)
        for k in ks:
            greater |= equal & (k[1:] > k[:-1])
            equal &= k[1:] == k[:-1]
        badk = same & ~greater
        if np.any(badk):
            i = int(np.nonzero(badk)[0][0])
            out.append(
                f"{int(badk.sum())} in-order neighbour(s) out of key order, e.g. at {int(forest.node[order[i + 1]]):#x}"
            )
    return out
