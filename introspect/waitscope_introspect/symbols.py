# SPDX-License-Identifier: MIT
"""
Address to symbol, cached.

``drgn.Program.symbol()`` costs 5-9 ms a call in drgn 0.0.22 (LAB.md), and it
cannot name addresses in modules whose debug info the project relocated
itself. :class:`Symbolizer` caches every lookup and answers module addresses
from the modules' own symbol tables (section addresses from ``struct
module``'s sect_attrs plus ``st_value`` from the .ko).
"""

import bisect
import struct
from typing import Dict, List, Optional, Tuple

import drgn

__all__ = ("Symbolizer",)

STT_OBJECT, STT_FUNC = 1, 2


class Symbolizer:
    """
    Names of kernel addresses.

    :param prog: the program (vmlinux symbols come from it).
    """

    def __init__(self, prog: drgn.Program) -> None:
        self._prog = prog
        self._cache: Dict[int, Optional[Tuple[str, int, int]]] = {}
        self._by_name: Dict[str, Optional[int]] = {}
        # Sorted (start, end, name) of module symbols.
        self._mod_starts: List[int] = []
        self._mod_syms: List[Tuple[int, int, str]] = []

    def load_vmlinux_symtab(self, path: str, bias: int) -> int:
        """
        Index vmlinux's ELF symbol table (functions and objects), shifted by
        the KASLR offset ``bias``: one vectorised read instead of a
        ``prog.symbol()`` call per address. Returns the number of symbols.
        """
        import numpy as np

        with open(path, "rb") as f:
            eh = f.read(64)
            shoff = struct.unpack_from("<Q", eh, 0x28)[0]
            shentsize, shnum = struct.unpack_from("<HH", eh, 0x3A)
            f.seek(shoff)
            sh = f.read(shentsize * shnum)
            secs = [struct.unpack_from("<IIQQQQIIQQ", sh, i * shentsize) for i in range(shnum)]
            symtab = next((s for s in secs if s[1] == 2), None)
            if symtab is None:
                return 0
            strtab = secs[symtab[6]]
            f.seek(symtab[4])
            raw = f.read(symtab[5])
            f.seek(strtab[4])
            self._strtab = f.read(strtab[5])
        dt = np.dtype(
            [
                ("name", "<u4"),
                ("info", "u1"),
                ("other", "u1"),
                ("shndx", "<u2"),
                ("value", "<u8"),
                ("size", "<u8"),
            ]
        )
        syms = np.frombuffer(raw, dt)
        typ = syms["info"] & 0xF
        # Functions and objects, plus global untyped labels (assembly entry
        # points such as ret_from_fork).
        glob_notype = (typ == 0) & ((syms["info"] >> 4) == 1)
        keep = (typ == 1) | (typ == 2) | glob_notype
        keep &= (syms["value"] >= np.uint64(0xFFFFFFFF80000000)) & (syms["shndx"] != 0)
        syms = syms[keep]
        # Prefer global symbols among aliases: sort by (value, local-first) and keep the last.
        glob = (syms["info"] >> 4) != 0
        order = np.lexsort((glob, syms["value"]))
        syms = syms[order]
        last = np.ones(len(syms), bool)
        last[:-1] = syms["value"][1:] != syms["value"][:-1]
        syms = syms[last]
        self._k_start = (syms["value"] + np.uint64(bias & 0xFFFFFFFFFFFFFFFF)).astype(np.uint64)
        self._k_size = syms["size"].astype(np.uint64)
        self._k_name = syms["name"]
        self._k_by_name = None
        self._cache.clear()
        return len(syms)

    def _kernel_lookup(self, addr: int) -> Optional[Tuple[str, int, int]]:
        import numpy as np

        starts = getattr(self, "_k_start", None)
        if starts is None or not len(starts):
            return None
        i = int(np.searchsorted(starts, np.uint64(addr), side="right")) - 1
        if i < 0:
            return None
        start = int(starts[i])
        size = int(self._k_size[i])
        if not (start <= addr < start + max(size, 1)):
            return None
        off = int(self._k_name[i])
        end = self._strtab.index(b"\0", off)
        return (self._strtab[off:end].decode(errors="replace"), start, size)

    def add_symbols(self, syms: List[Tuple[int, int, str]]) -> None:
        """Add ``(address, size, name)`` symbols (a module's functions and objects)."""
        allsyms = sorted(self._mod_syms + [s for s in syms if s[0]])
        self._mod_syms = allsyms
        self._mod_starts = [s[0] for s in allsyms]
        self._cache.clear()
        for _, _, name in syms:
            self._by_name.pop(name, None)

    def lookup(self, addr: int) -> Optional[Tuple[str, int, int]]:
        """``(name, start, size)`` of the symbol containing ``addr``, or None."""
        try:
            return self._cache[addr]
        except KeyError:
            pass
        hit: Optional[Tuple[str, int, int]] = None
        i = bisect.bisect_right(self._mod_starts, addr) - 1
        if i >= 0:
            start, size, name = self._mod_syms[i]
            if start <= addr < start + max(size, 1):
                hit = (name, start, size)
        if hit is None and addr and getattr(self, "_k_start", None) is not None:
            hit = self._kernel_lookup(addr)
            if hit is not None or addr >= 0xFFFFFFFF80000000:
                self._cache[addr] = hit
                return hit
        if hit is None and addr:
            try:
                sym = self._prog.symbol(addr)
                hit = (sym.name, sym.address, sym.size)
            except LookupError:
                hit = None
        self._cache[addr] = hit
        return hit

    def name(self, addr: int) -> Optional[str]:
        """The symbol name for an exact function/object start, ``name+0xoff/0xsize`` inside one."""
        hit = self.lookup(addr)
        if hit is None:
            return None
        name, start, size = hit
        if addr == start:
            return name
        return f"{name}+0x{addr - start:x}/0x{size:x}"

    def func(self, addr: int) -> str:
        """A function pointer's name, or ``"0x..."`` when it has no symbol (never dropped)."""
        return self.name(addr) or f"0x{addr:x}"

    def address(self, name: str) -> Optional[int]:
        """Address of a symbol by name (vmlinux or module), cached; None if absent."""
        try:
            return self._by_name[name]
        except KeyError:
            pass
        addr: Optional[int] = None
        for start, _size, n in self._mod_syms:
            if n == name:
                addr = start
                break
        if addr is None and getattr(self, "_k_start", None) is not None:
            addr = self._kernel_by_name(name)
        if addr is None:
            try:
                addr = self._prog.symbol(name).address
            except LookupError:
                addr = None
        self._by_name[name] = addr
        return addr

    def _kernel_by_name(self, name: str) -> Optional[int]:
        import numpy as np

        needle = b"\0" + name.encode() + b"\0"
        start = 0
        while True:
            off = self._strtab.find(needle, start)
            if off < 0:
                return None
            hits = np.nonzero(self._k_name == off + 1)[0]
            if len(hits):
                return int(self._k_start[hits[0]])
            start = off + 1
