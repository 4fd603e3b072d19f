# SPDX-License-Identifier: MIT
"""
kfifo and circ_buf
------------------

A kfifo (``DECLARE_KFIFO``/``DECLARE_KFIFO_PTR``, include/linux/kfifo.h) is
an anonymous struct whose first member is a union holding ``struct __kfifo
kfifo`` {``in``, ``out``, ``mask``, ``esize``, ``data``}; ``in`` and ``out``
run free and index ``data`` modulo ``mask + 1`` (lib/kfifo.c). A
``struct circ_buf`` {``buf``, ``head``, ``tail``} (include/linux/circ_buf.h)
does not know its size; the owner does (``CIRC_CNT``/``CIRC_SPACE`` need it).

:func:`kfifo_decode` and :func:`circ_buf_decode` read the indices and the
live elements, oldest first. :func:`kfifo_by_expression` resolves a kfifo the
user names: ``name``, ``name.member.member`` or ``*(type *)0xaddr``.
"""

import re
from typing import Any, Dict, List

import drgn

from ..kernel import KernelView

__all__ = ("circ_buf_decode", "kfifo_by_expression", "kfifo_decode")

U32 = 0xFFFFFFFF


def _elements(
    kv: KernelView, data: int, esize: int, first: int, count: int, size: int
) -> List[Any]:
    """``count`` elements from ring index ``first`` (wrapping at ``size``)."""
    out: List[Any] = []
    if not count or not esize:
        return out
    a = first % size
    n1 = min(count, size - a)
    raw = kv.prog.read(data + a * esize, n1 * esize)
    if count > n1:
        raw += kv.prog.read(data, (count - n1) * esize)
    for i in range(count):
        chunk = raw[i * esize : (i + 1) * esize]
        out.append(int.from_bytes(chunk, "little") if esize <= 8 else "0x" + chunk[::-1].hex())
    return out


def kfifo_decode(kv: KernelView, fifo: drgn.Object, name: str) -> Dict[str, Any]:
    """
    The snapshot fields of a kfifo.

    :param fifo: a kfifo (the ``DECLARE_KFIFO*`` struct) or a ``struct __kfifo``.
    """
    try:
        k = fifo.kfifo
    except AttributeError:
        k = fifo
    cap = kv.limits["max_kfifo_elements"]
    out: Dict[str, Any] = {"name": name}
    try:
        kin = int(k.member_("in")) & U32
        kout = int(k.out) & U32
        mask = int(k.mask)
        esize = int(k.esize)
        data = k.data.value_()
    except drgn.FaultError as e:
        out["partial"] = f"unreadable: {e}"
        return out
    size = mask + 1
    length = (kin - kout) & U32
    out.update({"in": kin, "out": kout, "mask": mask, "size": size, "esize": esize, "len": length})
    out["data"] = f"0x{data:x}"
    if length > size:
        out["partial"] = f"in - out = {length} exceeds the size {size} (mid-update or corrupt)"
        return out
    take = min(length, cap)
    try:
        out["elements"] = _elements(kv, data, esize, kout & mask, take, size)
        if take < length:
            out["partial"] = f"elements capped at {cap}"
    except drgn.FaultError as e:
        out["partial"] = f"elements unreadable: {e}"
    return out


def circ_buf_decode(
    kv: KernelView, circ: drgn.Object, size: int, esize: int, name: str
) -> Dict[str, Any]:
    """
    The snapshot fields of a ``struct circ_buf`` of ``size`` items of ``esize`` bytes.

    :param circ: ``struct circ_buf``
    """
    out: Dict[str, Any] = {"name": name, "size": size, "esize": esize}
    try:
        head = int(circ.head)
        tail = int(circ.tail)
        buf = circ.buf.value_()
    except drgn.FaultError as e:
        out["partial"] = f"unreadable: {e}"
        return out
    out.update({"head": head, "tail": tail, "data": f"0x{buf:x}"})
    if size <= 0 or size & (size - 1):
        out["partial"] = f"size {size} is not a power of two"
        return out
    cnt = (head - tail) & (size - 1)
    out["cnt"] = cnt
    out["space"] = (tail - (head + 1)) & (size - 1)
    try:
        out["elements"] = _elements(
            kv, buf, esize, tail, min(cnt, kv.limits["max_kfifo_elements"]), size
        )
    except drgn.FaultError as e:
        out["partial"] = f"elements unreadable: {e}"
    return out


_CAST = re.compile(r"^\*\s*\(\s*(.+?)\s*\*\s*\)\s*(0x[0-9a-fA-F]+|\d+)$")


def kfifo_by_expression(prog: drgn.Program, expr: str) -> drgn.Object:
    """
    Resolve ``name[.member...]`` or ``*(type *)0xaddr`` to an object; raises
    :class:`LookupError` when it does not resolve.
    """
    m = _CAST.match(expr.strip())
    if m:
        return drgn.Object(prog, prog.type(m.group(1)), address=int(m.group(2), 0))
    parts = expr.strip().split(".")
    obj = prog[parts[0]]
    for p in parts[1:]:
        obj = obj.member_(p)
    return obj
