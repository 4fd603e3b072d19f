# SPDX-License-Identifier: MIT
"""
What a vmcore file is, before drgn sees it
------------------------------------------

Identifies ELF cores (QEMU ``paging: true`` with virtual addresses, ``paging:
false`` with physical ones, kdump's /proc/vmcore copies), kdump-compressed
dumps and makedumpfile's *flattened* stream (what QEMU < 8.2 writes for
``kdump-zlib``), reads their VMCOREINFO, checks that they are complete, and
finds the vmlinux that matches them. The C++ probe (targets/) does the same
before Python starts; this module serves ``python -m waitscope_introspect``.
"""

import hashlib
import os
import struct
from typing import Dict, List, NamedTuple, Optional, Sequence

from .elf import PT_LOAD, PT_NOTE, parse_notes, parse_vmcoreinfo
from .errors import IntrospectError

__all__ = (
    "CoreInfo",
    "elf_file_build_id",
    "find_vmlinux",
    "fix_kdump",
    "identify_core",
    "vmlinux_candidates",
)

KDUMP_SIG = b"KDUMP   "
FLAT_SIG = b"makedumpfile"
FLAT_HEADER = 4096
UTS_OFF, UTS_LEN = 12, 65


class CoreInfo(NamedTuple):
    path: str
    format: str  # "elf", "elf-phys", "kdump", "kdump-flat", "kdump-needs-uts"
    vmcoreinfo: Dict[str, str]
    size: int
    cpus: int  # PRSTATUS notes (ELF) or nr_cpus (kdump)

    @property
    def release(self) -> str:
        return self.vmcoreinfo.get("OSRELEASE", "")

    @property
    def build_id(self) -> str:
        return self.vmcoreinfo.get("BUILD-ID", "").lower()


def _pread(f, off: int, n: int) -> bytes:
    f.seek(off)
    return f.read(n)


def identify_core(path: str) -> CoreInfo:
    """Identify a vmcore; raises :class:`IntrospectError` naming what is wrong."""
    try:
        size = os.path.getsize(path)
        f = open(path, "rb")
    except OSError as e:
        raise IntrospectError(f"{path}: {e.strerror}")
    with f:
        head = f.read(4096)
        if head[:4] == b"\x7fELF":
            return _identify_elf(path, f, head, size)
        if head[:8] == KDUMP_SIG:
            return _identify_kdump(path, f, head, size)
        if head[: len(FLAT_SIG)] == FLAT_SIG:
            info = _flat_vmcoreinfo(path, f)
            return CoreInfo(path, "kdump-flat", info, size, 0)
    if not head:
        raise IntrospectError(f"{path}: empty file, not a vmcore")
    raise IntrospectError(
        f"{path}: not a vmcore (no ELF, kdump or flattened-kdump signature); "
        "pass a dump written by QEMU dump-guest-memory, kdump or `waitscope lab run --vmcore`"
    )


def _identify_elf(path: str, f, head: bytes, size: int) -> CoreInfo:
    if len(head) < 64 or head[4] != 2 or head[5] != 1:
        raise IntrospectError(
            f"{path}: a 32-bit or big-endian ELF file; waitscope reads x86-64 vmcores"
        )
    e_type, machine = struct.unpack_from("<HH", head, 16)
    if e_type != 4:
        kind = {1: "a relocatable object", 2: "an executable", 3: "a shared object"}.get(
            e_type, "an ELF file"
        )
        raise IntrospectError(
            f"{path}: {kind}, not a core dump; for a kernel image pass it with --vmlinux, "
            "and a vmcore with --vmcore"
        )
    if machine != 62:
        raise IntrospectError(f"{path}: core dump for machine {machine}, not x86-64")
    phoff = struct.unpack_from("<Q", head, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    if phnum == 0xFFFF or phoff + phnum * phentsize > size:
        raise IntrospectError(
            f"{path}: truncated ELF core (program headers cut off); re-copy the dump"
        )
    ph = _pread(f, phoff, phnum * phentsize)
    info: Dict[str, str] = {}
    cpus = 0
    loads = 0
    phys_only = True
    end = 0
    for i in range(phnum):
        p_type, _flags, off, vaddr, _paddr, filesz = struct.unpack_from(
            "<IIQQQQ", ph, i * phentsize
        )
        end = max(end, off + filesz)
        if p_type == PT_LOAD:
            loads += 1
            # paging:false dumps give p_vaddr 0 (or = p_paddr for the BIOS
            # ROM); only a kernel-space address means virtual segments.
            if vaddr >= 0xFFFF800000000000:
                phys_only = False
        elif p_type == PT_NOTE:
            notes = _pread(f, off, filesz)
            for name, typ, desc in parse_notes(notes):
                if name == b"VMCOREINFO":
                    info = parse_vmcoreinfo(desc)
                elif name == b"CORE" and typ == 1:
                    cpus += 1
    if end > size:
        raise IntrospectError(
            f"{path}: truncated vmcore ({size} bytes, its headers describe {end}); re-copy or re-dump it"
        )
    if not loads:
        raise IntrospectError(f"{path}: ELF core without memory segments")
    if not info:
        raise IntrospectError(
            f"{path}: ELF core without a VMCOREINFO note (a process core, or a QEMU dump of a guest "
            "without qemu_fw_cfg loaded); dump with `-device vmcoreinfo` and qemu_fw_cfg.ko in the guest"
        )
    return CoreInfo(path, "elf-phys" if phys_only else "elf", info, size, cpus)


def _kdump_vmcoreinfo(read, head: bytes) -> Dict[str, str]:
    version = struct.unpack_from("<i", head, 8)[0]
    block_size = struct.unpack_from("<i", head, 428)[0]
    if block_size <= 0 or block_size > 1 << 20:
        raise ValueError("bad block size")
    sub = read(block_size, 64)
    if version >= 3 and len(sub) >= 48:
        off, sz = struct.unpack_from("<qQ", sub, 32)
        if 0 < off and 0 < sz < 1 << 20:
            return parse_vmcoreinfo(read(off, sz))
    if version >= 4 and len(sub) >= 64:
        off, sz = struct.unpack_from("<qQ", sub, 48)
        if 0 < off and 0 < sz < 1 << 24:
            for name, _t, desc in parse_notes(read(off, sz)):
                if name == b"VMCOREINFO":
                    return parse_vmcoreinfo(desc)
    return {}


def _identify_kdump(path: str, f, head: bytes, size: int) -> CoreInfo:
    if len(head) < 464:
        raise IntrospectError(f"{path}: truncated kdump header")
    try:
        info = _kdump_vmcoreinfo(lambda o, n: _pread(f, o, n), head)
    except (ValueError, struct.error):
        raise IntrospectError(f"{path}: corrupt kdump header")
    block_size, sub_blocks, bitmap_blocks, max_mapnr = struct.unpack_from("<iiII", head, 428)
    nr_cpus = struct.unpack_from("<i", head, 460)[0]
    # Completeness: the last page descriptor must point inside the file.
    desc_off = (1 + sub_blocks + bitmap_blocks) * block_size
    bm2 = _pread(
        f,
        (1 + sub_blocks) * block_size + bitmap_blocks * block_size // 2,
        bitmap_blocks * block_size // 2,
    )
    npages = int.from_bytes(bm2, "little").bit_count() if bm2 else 0
    if desc_off > size or (npages and desc_off + npages * 24 > size):
        raise IntrospectError(
            f"{path}: truncated kdump (page table cut off); re-copy or re-dump it"
        )
    if npages:
        last = _pread(f, desc_off + (npages - 1) * 24, 24)
        if len(last) == 24:
            off, sz = struct.unpack_from("<qI", last, 0)
            if off + sz > size:
                raise IntrospectError(
                    f"{path}: truncated kdump ({size} bytes, its last page ends at {off + sz}); "
                    "re-copy or re-dump it"
                )
    if not info:
        raise IntrospectError(f"{path}: kdump without VMCOREINFO; cannot identify its kernel")
    sysname = head[UTS_OFF : UTS_OFF + UTS_LEN].split(b"\0", 1)[0]
    fmt = "kdump" if sysname == b"Linux" else "kdump-needs-uts"
    return CoreInfo(path, fmt, info, size, nr_cpus)


def _flat_records(f):
    f.seek(FLAT_HEADER)
    while True:
        rec = f.read(16)
        if len(rec) < 16:
            raise IntrospectError(
                f"{f.name}: truncated flattened kdump (no end marker); re-copy it"
            )
        off, sz = struct.unpack(">qq", rec)
        if off == -1 and sz == -1:
            return
        if off < 0 or sz < 0 or sz > 1 << 30:
            raise IntrospectError(f"{f.name}: corrupt flattened kdump record")
        pos = f.tell()
        yield off, sz, pos
        f.seek(pos + sz)


def _flat_vmcoreinfo(path: str, f) -> Dict[str, str]:
    """VMCOREINFO of a flattened dump, from the records that hold the headers."""
    recs = []
    for off, sz, pos in _flat_records(f):
        recs.append((off, sz, pos))
        if len(recs) > 64:
            break

    def read(o: int, n: int) -> bytes:
        out = bytearray(n)
        for off, sz, pos in recs:
            lo, hi = max(o, off), min(o + n, off + sz)
            if lo < hi:
                out[lo - o : hi - o] = _pread(f, pos + lo - off, hi - lo)
        return bytes(out)

    head = read(0, 4096)
    if head[:8] != KDUMP_SIG:
        raise IntrospectError(f"{path}: flattened dump that does not hold a kdump")
    try:
        info = _kdump_vmcoreinfo(read, head)
    except (ValueError, struct.error):
        info = {}
    if not info:
        raise IntrospectError(
            f"{path}: flattened kdump without VMCOREINFO; cannot identify its kernel"
        )
    return info


def fix_kdump(info: CoreInfo, cache_dir: str) -> str:
    """
    A plain kdump libkdumpfile opens, for a flattened dump or one with QEMU's
    empty utsname: written once to the cache (keyed by path, size and mtime),
    never over the user's file.
    """
    st = os.stat(info.path)
    key = hashlib.sha1(
        f"{os.path.realpath(info.path)}:{st.st_size}:{st.st_mtime_ns}".encode()
    ).hexdigest()[:20]
    os.makedirs(cache_dir, exist_ok=True)
    out = os.path.join(cache_dir, f"kdump-{key}.kdump")
    if os.path.exists(out):
        return out
    tmp = f"{out}.{os.getpid()}.tmp"
    try:
        with open(info.path, "rb") as src, open(tmp, "wb") as dst:
            if info.format == "kdump-flat":
                for off, sz, pos in _flat_records(src):
                    dst.seek(off)
                    src.seek(pos)
                    left = sz
                    while left:
                        chunk = src.read(min(left, 1 << 22))
                        if not chunk:
                            raise IntrospectError(
                                f"{info.path}: truncated flattened kdump; re-copy it"
                            )
                        dst.write(chunk)
                        left -= len(chunk)
            else:
                while True:
                    chunk = src.read(1 << 22)
                    if not chunk:
                        break
                    dst.write(chunk)
        with open(tmp, "r+b") as dst:
            uts = bytearray(_pread(dst, UTS_OFF, 6 * UTS_LEN))
            for index, value in (
                (0, b"Linux"),
                (2, info.release.encode() or b"unknown"),
                (3, b"#1"),
            ):
                field = uts[index * UTS_LEN : (index + 1) * UTS_LEN]
                if not field[0]:
                    uts[index * UTS_LEN : index * UTS_LEN + len(value)] = value
            dst.seek(UTS_OFF)
            dst.write(uts)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return out


def elf_file_build_id(path: str) -> Optional[str]:
    """GNU build ID of an ELF file, reading only its headers and notes."""
    with open(path, "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2:
            return None
        shoff = struct.unpack_from("<Q", eh, 0x28)[0]
        shentsize, shnum = struct.unpack_from("<HH", eh, 0x3A)
        sh = _pread(f, shoff, shentsize * shnum)
        for i in range(shnum):
            if len(sh) < (i + 1) * shentsize:
                break
            _name, typ, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", sh, i * shentsize)
            if typ == 7 and size < 1 << 16:
                for name, ntype, desc in parse_notes(_pread(f, off, size)):
                    if name == b"GNU" and ntype == 3:
                        return desc.hex()
    return None


def vmlinux_candidates(
    release: str, debuginfo_dirs: Sequence[str] = (), lab_dirs: Sequence[str] = ()
) -> List[str]:
    """Where a vmlinux for ``release`` may be, in search order."""
    out: List[str] = []
    for d in debuginfo_dirs:
        out += [
            os.path.join(d, "vmlinux"),
            os.path.join(d, f"vmlinux-{release}"),
            os.path.join(d, release, "vmlinux"),
            os.path.join(d, "boot", f"vmlinux-{release}"),
            os.path.join(d, "lib", "modules", release, "vmlinux"),
        ]
    for d in lab_dirs:
        out.append(os.path.join(d, "kernels", release, "vmlinux"))
    out += [
        f"/usr/lib/debug/boot/vmlinux-{release}",
        f"/usr/lib/debug/lib/modules/{release}/vmlinux",
    ]
    return out


def find_vmlinux(
    release: str,
    build_id: str,
    vmlinux: Optional[str] = None,
    debuginfo_dirs: Sequence[str] = (),
    lab_dirs: Sequence[str] = (),
) -> str:
    """The vmlinux matching ``build_id``; raises :class:`IntrospectError` saying what to do."""
    if vmlinux:
        if not os.path.isfile(vmlinux):
            raise IntrospectError(f"--vmlinux {vmlinux}: no such file")
        bid = elf_file_build_id(vmlinux)
        if bid is None:
            raise IntrospectError(f"--vmlinux {vmlinux}: not an ELF file with a build ID")
        if build_id and bid != build_id:
            raise IntrospectError(
                f"--vmlinux {vmlinux} does not match the dump: its build ID is {bid}, the kernel's is "
                f"{build_id} ({release}); pass the vmlinux of that build"
            )
        return vmlinux
    mismatched = []
    for cand in vmlinux_candidates(release, debuginfo_dirs, lab_dirs):
        if os.path.isfile(cand):
            bid = elf_file_build_id(cand)
            if not build_id or bid == build_id:
                return cand
            mismatched.append(cand)
    if mismatched:
        raise IntrospectError(
            f"no vmlinux matches the dump's kernel {release} (build ID {build_id}); "
            f"{mismatched[0]} is another build; pass the right one with --vmlinux"
        )
    raise IntrospectError(
        f"no vmlinux with debug info for {release}; install linux-image-{release}-dbg, "
        "or pass --vmlinux FILE or --debuginfo DIR"
    )
