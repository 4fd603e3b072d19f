# SPDX-License-Identifier: MIT
"""
Our modules: vpoll and simrupt
------------------------------

* vpoll (kmod/vpoll): every open instance is a ``struct vpoll_data`` on the
  module's ``vpoll_instances`` list; the flight recorder is one block
  starting with a self-describing ``struct vpoll_ring_header``
  (kmod/include/uapi/vpoll.h). :func:`vpoll_ring_find` takes it from the
  module's ``ring`` variable when the module's debug info is relocated, and
  otherwise scans physical memory for the header's magic at page starts,
  accepting only a header whose ``self_phys`` is where it was found.
* simrupt (kmod/simrupt): module statics ``fast_buf`` (circ_buf of
  ``circ_size`` u32 items), ``rx_fifo`` (kfifo of u32), ``rx_wait``,
  ``simrupt_wq`` and ``simrupt_work``, and its statistics.
"""

import struct
from typing import Any, Dict, Iterator, Optional, Tuple

import drgn
import numpy as np
from drgn.helpers.linux.list import list_for_each_entry

from ..kernel import KernelView
from ..snapshot import SnapshotBuilder, obj_id
from .kfifo import circ_buf_decode, kfifo_decode
from .wait import HeadSet

__all__ = (
    "vpoll_for_each_instance",
    "vpoll_ring_decode",
    "vpoll_ring_find",
    "walk_simrupt",
    "walk_vpoll",
)

VPOLL_RING_MAGIC = 0x4345524C4C4F5056
HEADER = struct.Struct("<QIIIIQQQQQQQIIQQII16x")
#: ABI 1 and 2 share the layout; 2 folds WAKE into ADD/DEL (REC_WOKE) and may
#: stamp records with the TSC (REC_TSC), converted with the header's clock_*.
RING_ABIS = (1, 2)
REC_TSC = 0x4
RECORD = struct.Struct("<QQIHHiiIIHHI16s")
KINDS = {1: "open", 2: "add", 3: "del", 4: "poll", 5: "wake", 6: "release"}


def vpoll_for_each_instance(prog: drgn.Program) -> Iterator[drgn.Object]:
    """
    Iterate over open vpoll instances.

    :return: Iterator of ``struct vpoll_data *`` objects.
    """
    return list_for_each_entry("struct vpoll_data", prog["vpoll_instances"].address_of_(), "node")


def vpoll_ring_find(kv: KernelView) -> Tuple[Optional[int], str]:
    """
    The flight recorder header's virtual address and how it was found
    (``"symbol"`` or ``"scan"``), or ``(None, reason)``.
    """
    if kv.modules_ok.get("vpoll"):
        try:
            ring = kv.prog.object("ring", drgn.FindObjectFlags.VARIABLE, "vpoll_events.c")
            addr = ring.value_()
            return (addr, "symbol") if addr else (None, "recording is disabled (ring_size=0)")
        except LookupError:
            pass
    if not kv.mem.size:
        return None, "no direct map to scan"
    magic = np.uint64(VPOLL_RING_MAGIC)
    step = 1 << 22
    for start in range(0, kv.mem.size, step):
        try:
            raw = kv.prog.read(kv.mem.base + start, min(step, kv.mem.size - start))
        except drgn.FaultError:
            continue
        pages = np.frombuffer(raw, np.uint64)[::512]
        for i in np.nonzero(pages == magic)[0].tolist():
            phys = start + i * 4096
            hdr = HEADER.unpack_from(raw, i * 4096)
            if hdr[5] == phys and hdr[1] in RING_ABIS:
                return kv.mem.base + phys, "scan"
    return None, "no flight recorder header in memory (module not loaded, or recording off)"


def vpoll_ring_decode(kv: KernelView, addr: int) -> Dict[str, Any]:
    """The snapshot fields of the flight recorder at ``addr``: header and last records."""
    raw = kv.prog.read(addr, HEADER.size)
    (
        magic,
        abi,
        hsize,
        rsize,
        capacity,
        self_phys,
        self_virt,
        roff,
        head,
        tail,
        dropped,
        load_ns,
        enabled,
        _r,
        clock_tsc,
        clock_mono_ns,
        clock_tsc_khz,
        _r3,
    ) = HEADER.unpack(raw)
    out: Dict[str, Any] = {
        "abi": abi,
        "capacity": capacity,
        "head": head,
        "tail": tail,
        "dropped": dropped,
        "enabled": bool(enabled),
        "self_phys": f"0x{self_phys:x}",
        "record_size": rsize,
        "load_ns": load_ns,
    }
    if (
        magic != VPOLL_RING_MAGIC
        or abi not in RING_ABIS
        or rsize < RECORD.size
        or not capacity
        or capacity & (capacity - 1)
    ):
        out["partial"] = "header does not describe a vpoll ring ABI 1 or 2"
        return out
    n = min(head, capacity, kv.limits["max_ring_records"])
    recs = []
    # The last n records in (at most) two reads: the ring may wrap.
    first = (head - n) & (capacity - 1)
    k1 = min(n, capacity - first)
    raw = kv.prog.read(addr + roff + first * rsize, k1 * rsize) if k1 else b""
    if n > k1:
        raw += kv.prog.read(addr + roff, (n - k1) * rsize)
    for i, seq in enumerate(range(head - n, head)):
        r = RECORD.unpack_from(raw, i * rsize)
        if r[0] != seq:
            continue  # being written, or already overwritten
        ts, flags = r[1], r[11]
        if flags & REC_TSC:
            if abi < 2 or not clock_tsc_khz:
                continue  # no clock to place it in time (being re-sampled)
            d = ts - clock_tsc  # signed: truncated toward 0, as the module and the app do
            ns = abs(d) * 1000000 // clock_tsc_khz
            ts = clock_mono_ns + ns if d >= 0 else clock_mono_ns - ns
            flags &= ~REC_TSC
        recs.append(
            {
                "seq": r[0],
                "ts_ns": ts,
                "instance": r[2],
                "kind": KINDS.get(r[3], str(r[3])),
                "cpu": r[4],
                "pid": r[5],
                "tgid": r[6],
                "arg": r[7],
                "events": r[8],
                "waiters": r[9],
                "exclusive": r[10],
                "flags": flags,
                "comm": r[12].split(b"\0", 1)[0].decode("utf-8", "backslashreplace"),
            }
        )
    out["records"] = recs
    return out


def walk_vpoll(kv: KernelView, b: SnapshotBuilder, heads: HeadSet) -> Dict[str, Tuple[str, str]]:
    """
    Add vpoll instances (all open ones) and the flight recorder; register the
    instances' wait queue heads in ``heads``; return capabilities.
    """
    caps: Dict[str, Tuple[str, str]] = {}
    if kv.modules_ok.get("vpoll"):
        lay = kv.layouts.get("struct vpoll_data")
        n = 0
        try:
            for vd in vpoll_for_each_instance(kv.prog):
                addr = vd.value_()
                b.add(
                    "vpoll",
                    addr,
                    instance=int(vd.id),
                    events=int(vd.events),
                    wqh=obj_id("wait_queue_head", addr + lay.off("wqh")),
                )
                heads.add(
                    np.array([addr + lay.off("wqh")], np.uint64),
                    "vpoll",
                    np.array([addr], np.uint64),
                    "wqh",
                )
                n += 1
                if n > kv.limits["max_list"]:
                    break
            caps["modules.vpoll"] = ("ok", f"{n} instances")
        except drgn.FaultError as e:
            caps["modules.vpoll"] = ("partial", f"instance list: {e}")
    ring, how = vpoll_ring_find(kv)
    if ring is None:
        caps["vpoll_ring"] = ("missing", how)
    else:
        try:
            row = vpoll_ring_decode(kv, ring)
            row["found_by"] = how
            b.add("vpoll_ring", ring, **row)
            caps["vpoll_ring"] = ("partial" if "partial" in row else "ok", f"found by {how}")
        except drgn.FaultError as e:
            caps["vpoll_ring"] = ("partial", f"unreadable: {e}")
    return caps


def walk_simrupt(kv: KernelView, b: SnapshotBuilder, heads: HeadSet) -> Tuple[str, str]:
    """Add the simrupt object with its kfifo and circ_buf; register its wait queue in ``heads``."""
    if not kv.modules_ok.get("simrupt"):
        return "missing", "simrupt debug info not loaded"
    prog = kv.prog

    def var(name: str) -> drgn.Object:
        return prog.object(name, drgn.FindObjectFlags.VARIABLE, "simrupt.c")

    try:
        mod_addr = var("rx_wait").address_
        fifo = var("rx_fifo")
        circ = var("fast_buf")
        circ_size = int(var("circ_size"))
        stats = var("stats")
        fifo_row = kfifo_decode(kv, fifo, "simrupt.rx_fifo")
        fifo_addr = fifo.address_
        b.add("kfifo", fifo_addr, **fifo_row)
        circ_row = circ_buf_decode(kv, circ, circ_size, 4, "simrupt.fast_buf")
        b.add("circ_buf", circ.address_, **circ_row)
        st = {
            k: int(stats.member_(k).counter)
            for k in ("produced", "dropped_circ", "dropped_fifo", "delivered", "works")
        }
        params = {k: int(var(k)) for k in ("interval_ms", "burst", "circ_size", "fifo_size")}
        params["produce"] = bool(var("produce"))
        row = {
            "rx_wait": obj_id("wait_queue_head", mod_addr),
            "fifo": obj_id("kfifo", fifo_addr),
            "circ": obj_id("circ_buf", circ.address_),
            "stats": st,
            "params": params,
            "open_count": int(var("open_count").counter),
            "next_value": int(var("next_value")),
        }
        wq = var("simrupt_wq").value_()
        if wq:
            row["wq"] = obj_id("workqueue", wq)
        row["work"] = obj_id("work", var("simrupt_work").address_)
        try:
            # A rate-sampling delayed work (simrupt with "hold", later versions).
            rate = var("simrupt_rate_work")
            row["rate_work"] = obj_id("work", rate.work.address_)
        except LookupError:
            pass
        for name in ("hold", "stats_ms"):
            try:
                params[name] = int(var(name))
            except LookupError:
                pass
        b.add("simrupt", mod_addr, **row)
        heads.add(
            np.array([mod_addr], np.uint64), "simrupt", np.array([mod_addr], np.uint64), "rx_wait"
        )
    except (drgn.FaultError, LookupError) as e:
        return "partial", str(e)
    return "ok", ""
