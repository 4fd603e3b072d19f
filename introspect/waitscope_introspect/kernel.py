# SPDX-License-Identifier: MIT
"""
The walkers' shared context: one :class:`KernelView` per capture, holding the
program, bulk memory (:mod:`.memory`), layouts, symbols and the walk limits.
"""

import os
from typing import Callable, Dict, List, Optional, Tuple

import drgn

from .memory import KernelMemory, LayoutCache
from .symbols import Symbolizer

__all__ = ("DEFAULT_LIMITS", "KernelView", "kernel_identity")

DEFAULT_LIMITS = {
    "max_tasks": 100000,
    "max_fds": 1 << 20,
    "max_list": 1 << 20,
    "max_rbtree": 1 << 21,
    "max_kfifo_elements": 4096,
    "max_ring_records": 256,
    "max_stacks": 64,
}


class KernelView:
    """
    Everything a walker needs to read one kernel consistently.

    :param prog: the program.
    :param symbolizer: shared across captures of one program (symbols do not move).
    :param phys_read: direct physical reads, when the target's RAM is mapped.
    """

    def __init__(
        self,
        prog: drgn.Program,
        symbolizer: Symbolizer,
        limits: Optional[Dict[str, int]] = None,
        phys_read: Optional[Callable[[int, int], bytes]] = None,
        phys_array=None,
        modules_ok: Optional[Dict[str, bool]] = None,
        chunk_shift: int = 14,
        phys_map=None,
    ) -> None:
        self.prog = prog
        self.syms = symbolizer
        self.layouts = LayoutCache(prog)
        self.limits = dict(DEFAULT_LIMITS)
        if limits:
            self.limits.update(limits)
        self.modules_ok = modules_ok or {}
        # (pr_pid, registers) of the core's PRSTATUS notes, for the crash report.
        self.prstatus: List[Tuple[int, bytes]] = []
        base = self._int_var("page_offset_base")
        if base is None:
            base = 0
        max_pfn = self._int_var("max_pfn") or 0
        self.page_shift = 12
        self.mem = KernelMemory(
            prog,
            base,
            max_pfn << self.page_shift,
            chunk_shift=chunk_shift,
            phys_read=phys_read,
            phys_array=phys_array,
            phys_map=phys_map,
        )
        self._consts: Dict[str, Optional[int]] = {}

    def _int_var(self, name: str) -> Optional[int]:
        try:
            return int(self.prog[name].value_())
        except (KeyError, LookupError, drgn.FaultError, TypeError):
            return None

    def var_addr(self, name: str, module: Optional[str] = None) -> Optional[int]:
        """Address of a global variable (of a module whose debug info is good, when given)."""
        if module is not None and not self.modules_ok.get(module):
            return None
        key = f"&{module or ''}:{name}"
        if key not in self._consts:
            try:
                self._consts[key] = self.prog.object(name, drgn.FindObjectFlags.VARIABLE).address_
            except LookupError:
                self._consts[key] = None
        return self._consts[key]

    def func_addr(self, name: str) -> Optional[int]:
        """Address of a function (vmlinux or module), from the symbol tables; cached."""
        return self.syms.address(name)

    def enum(self, type_name: str, enumerator: str) -> Optional[int]:
        """Value of an enumerator (``WORK_STRUCT_PENDING_BIT``...) from DWARF, or None."""
        key = f"{type_name}:{enumerator}"
        if key not in self._consts:
            val = None
            try:
                for name, value in self.prog.type(type_name).enumerators:
                    if name == enumerator:
                        val = value
                        break
            except LookupError:
                pass
            if val is None:
                try:
                    val = self.prog.constant(enumerator).value_()
                except LookupError:
                    val = None
            self._consts[key] = val
        return self._consts[key]

    def constant(self, name: str) -> Optional[int]:
        """An enumerator by name, searched in every enum type; None if absent."""
        if name not in self._consts:
            try:
                self._consts[name] = int(self.prog.constant(name).value_())
            except (LookupError, drgn.FaultError):
                self._consts[name] = None
        return self._consts[name]


def kernel_identity(prog: drgn.Program, vmcoreinfo: Dict[str, str]) -> Dict[str, object]:
    """The snapshot's ``kernel`` object."""
    out: Dict[str, object] = {"arch": "x86_64"}
    try:
        out["release"] = prog["init_uts_ns"].name.release.string_().decode()
    except (KeyError, LookupError, drgn.FaultError):
        out["release"] = vmcoreinfo.get("OSRELEASE", "")
    bid = vmcoreinfo.get("BUILD-ID")
    out["build_id"] = bid.lower() if bid else None
    koff = vmcoreinfo.get("KERNELOFFSET")
    if koff is not None:
        out["kaslr_offset"] = f"0x{int(koff, 16):x}"
    ps = vmcoreinfo.get("PAGESIZE")
    out["page_size"] = int(ps) if ps else 4096
    l5 = vmcoreinfo.get("NUMBER(pgtable_l5_enabled)")
    if l5 is None:
        try:
            l5 = str(int(prog["__pgtable_l5_enabled"].value_()))
        except (KeyError, LookupError, drgn.FaultError):
            l5 = None
    if l5 is not None:
        out["pgtable_levels"] = 5 if int(l5) else 4
    try:
        out["jiffies"] = int(prog["jiffies_64"].value_()) & 0xFFFFFFFFFFFFFFFF
    except (KeyError, LookupError, drgn.FaultError):
        pass
    hz = _config_hz(str(out["release"]))
    if hz:
        out["hz"] = hz
    try:
        tk = prog["tk_core"].timekeeper
        out["uptime_ns"] = int(tk.tkr_mono.base) + (
            int(tk.tkr_mono.xtime_nsec) >> int(tk.tkr_mono.shift)
        )
    except (KeyError, LookupError, drgn.FaultError, AttributeError):
        pass
    return out


_LAB_DIRS: List[str] = []


def _config_hz(release: str) -> Optional[int]:
    """CONFIG_HZ from the kernel's config file (/boot, the lab's kernels), if found."""
    cands = [f"/boot/config-{release}"] + [
        os.path.join(d, "kernels", release, "config") for d in _LAB_DIRS
    ]
    for c in cands:
        try:
            with open(c) as f:
                for line in f:
                    if line.startswith("CONFIG_HZ="):
                        return int(line.split("=", 1)[1])
        except (OSError, ValueError):
            continue
    return None
