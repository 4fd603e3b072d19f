# SPDX-License-Identifier: MIT
"""
Small ELF64 readers and writers (little-endian x86-64 only): what the target
code needs from kernel modules (.ko sections, symbols, build id), from vmcores
(notes, VMCOREINFO) and to write the one-note core file that turns guest RAM
into a drgn program.
"""

import struct
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

__all__ = (
    "ElfFile",
    "ElfSection",
    "ElfSymbol",
    "STT_FUNC_OBJECT",
    "core_with_note",
    "parse_notes",
    "parse_vmcoreinfo",
)

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
SHF_ALLOC = 0x2
SHT_SYMTAB, SHT_NOTE = 2, 7
PT_LOAD, PT_NOTE = 1, 4
NT_GNU_BUILD_ID = 3
STT_FUNC_OBJECT = (1, 2)  # STT_OBJECT, STT_FUNC


class ElfSection(NamedTuple):
    index: int
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    header_offset: int


class ElfSymbol(NamedTuple):
    name: str
    value: int
    size: int
    type: int  # STT_*
    bind: int  # STB_*
    shndx: int


class ElfFile:
    """An ELF64 file read into memory (modules are small; cores are not read this way)."""

    def __init__(self, path: str, data: Optional[bytes] = None) -> None:
        self.path = path
        self.data = data if data is not None else open(path, "rb").read()
        d = self.data
        if d[:4] != b"\x7fELF":
            raise ValueError(f"{path}: not an ELF file")
        if d[4] != 2 or d[5] != 1:
            raise ValueError(f"{path}: not a little-endian ELF64 file")
        (self.type, self.machine) = struct.unpack_from("<HH", d, 16)
        (self.phoff, self.shoff) = struct.unpack_from("<QQ", d, 0x20)
        (
            self.phentsize,
            self.phnum,
            self.shentsize,
            self.shnum,
            self.shstrndx,
        ) = struct.unpack_from("<HHHHH", d, 0x36)
        self._sections: Optional[List[ElfSection]] = None

    def sections(self) -> List[ElfSection]:
        if self._sections is None:
            d = self.data
            raw = []
            for i in range(self.shnum):
                ho = self.shoff + i * self.shentsize
                name, typ, flags, addr, off, size = struct.unpack_from("<IIQQQQ", d, ho)
                raw.append((i, name, typ, flags, addr, off, size, ho))
            stro = raw[self.shstrndx][5] if self.shnum else 0
            out = []
            for i, name, typ, flags, addr, off, size, ho in raw:
                end = d.index(b"\0", stro + name)
                out.append(
                    ElfSection(i, d[stro + name : end].decode(), typ, flags, addr, off, size, ho)
                )
            self._sections = out
        return self._sections

    def section(self, name: str) -> Optional[ElfSection]:
        return next((s for s in self.sections() if s.name == name), None)

    def section_data(self, sec: ElfSection) -> bytes:
        return self.data[sec.offset : sec.offset + sec.size]

    def symbols(self) -> Iterator[ElfSymbol]:
        secs = self.sections()
        for sec in secs:
            if sec.type != SHT_SYMTAB:
                continue
            link = struct.unpack_from("<I", self.data, sec.header_offset + 0x28)[0]
            strtab = self.section_data(secs[link])
            body = self.section_data(sec)
            for o in range(0, len(body), 24):
                name, info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", body, o)
                end = strtab.index(b"\0", name)
                yield ElfSymbol(
                    strtab[name:end].decode(errors="replace"),
                    value,
                    size,
                    info & 0xF,
                    info >> 4,
                    shndx,
                )

    def build_id(self) -> Optional[str]:
        for sec in self.sections():
            if sec.type == SHT_NOTE:
                for name, typ, desc in parse_notes(self.section_data(sec)):
                    if name == b"GNU" and typ == NT_GNU_BUILD_ID:
                        return desc.hex()
        return None

    def modinfo(self) -> Dict[str, str]:
        sec = self.section(".modinfo")
        out: Dict[str, str] = {}
        if sec is None:
            return out
        for item in self.section_data(sec).split(b"\0"):
            k, sep, v = item.partition(b"=")
            if sep:
                out.setdefault(k.decode(errors="replace"), v.decode(errors="replace"))
        return out

    def with_section_addresses(self, addrs: Dict[str, int]) -> Tuple[bytes, int]:
        """A copy whose allocated sections have ``sh_addr`` set from ``addrs``."""
        out = bytearray(self.data)
        n = 0
        for sec in self.sections():
            if sec.flags & SHF_ALLOC and sec.name in addrs:
                struct.pack_into("<Q", out, sec.header_offset + 0x10, addrs[sec.name])
                n += 1
        return bytes(out), n


def parse_notes(data: bytes) -> Iterator[Tuple[bytes, int, bytes]]:
    """``(name, type, desc)`` for each ELF note in ``data``."""
    o = 0
    while o + 12 <= len(data):
        namesz, descsz, typ = struct.unpack_from("<III", data, o)
        o += 12
        name = data[o : o + namesz].rstrip(b"\0")
        o += (namesz + 3) & ~3
        desc = data[o : o + descsz]
        o += (descsz + 3) & ~3
        if o > len(data) + 3:
            break
        yield name, typ, desc


def parse_vmcoreinfo(text: bytes) -> Dict[str, str]:
    """The ``KEY=value`` lines of a VMCOREINFO note."""
    out: Dict[str, str] = {}
    for line in text.split(b"\n"):
        k, sep, v = line.partition(b"=")
        if sep:
            out[k.decode(errors="replace")] = v.decode(errors="replace")
    return out


def core_with_note(note_name: bytes, note_type: int, desc: bytes) -> bytes:
    """An ET_CORE x86-64 ELF with one PT_NOTE (the note) and one empty PT_LOAD."""
    name = note_name + b"\0"
    note = struct.pack("<III", len(name), len(desc), note_type)
    note += name + b"\0" * (-len(name) % 4) + desc + b"\0" * (-len(desc) % 4)
    ehsize, phentsize, phnum = 64, 56, 2
    note_off = ehsize + phentsize * phnum
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    eh = ident + struct.pack(
        "<HHIQQQIHHHHHH", ET_CORE, 62, 1, 0, ehsize, 0, 0, ehsize, phentsize, phnum, 64, 0, 0
    )
    ph_note = struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(note), 0, 4)
    ph_load = struct.pack("<IIQQQQQQ", PT_LOAD, 6, note_off + len(note), 0, 0, 0, 0, 4096)
    return eh + ph_note + ph_load + note
