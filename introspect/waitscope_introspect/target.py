# SPDX-License-Identifier: MIT
"""
Targets: a vmcore file, the running kernel's /proc/kcore, or a lab VM's RAM
---------------------------------------------------------------------------

Each opens into a :class:`Target` holding one :class:`drgn.Program` with the
kernel's debug info loaded, whatever the target:

* ``vmcore``: ELF cores open directly; ``paging: false`` ELF (physical
  addresses only) needs libkdumpfile (``DRGN_USE_LIBKDUMPFILE_FOR_ELF=1``)
  because drgn 0.0.22's own page-table walker starts from the virtual
  ``swapper_pg_dir``; flattened kdumps and kdumps with QEMU's empty utsname
  are fixed up into the cache first (:func:`.corefile.fix_kdump`).
* ``kcore``: ``Program.set_kernel()`` (root only).
* ``lab``: the guest RAM file a lab VM shares with the host (file offset ==
  guest physical address). drgn 0.0.22 has no API to make a Program a Linux
  kernel from raw memory, so the kernel's own VMCOREINFO note is found in
  that RAM, wrapped in a one-note ELF core that drgn opens, and the RAM is
  added as a physical memory segment read straight from the mapping, plus
  the kernel-image mapping so drgn can bootstrap its page-table walk (5-level
  paging and KASLR then come from VMCOREINFO as for any dump).
"""

import mmap
import os
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import drgn

from .corefile import CoreInfo, elf_file_build_id, find_vmlinux, fix_kdump, identify_core
from .elf import core_with_note, parse_vmcoreinfo
from .errors import IntrospectError
from .liveram import LiveRam

__all__ = ("Target", "default_cache_dir", "open_kcore", "open_lab_ram", "open_vmcore")

START_KERNEL_MAP = 0xFFFFFFFF80000000
KERNEL_IMAGE_SIZE = 1 << 30


def default_cache_dir() -> str:
    d = os.environ.get("WAITSCOPE_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "waitscope")


class Target:
    """An opened target: the program, where it came from, and what VMCOREINFO says."""

    def __init__(
        self,
        prog: drgn.Program,
        source: str,
        fmt: str,
        path: str,
        vmcoreinfo: Dict[str, str],
        vmlinux: str,
    ) -> None:
        self.prog = prog
        self.source = source
        self.format = fmt
        self.path = path
        self.vmcoreinfo = vmcoreinfo
        self.vmlinux = vmlinux
        self.load_ms = 0.0
        self.phys_read = None  # (phys, size) -> bytes, when RAM is directly mapped
        self.phys_array = None  # all of physical memory as one numpy array, when mapped
        self.phys_map = None  # physical ranges of a memory-mapped vmcore
        self.liveram: Optional[LiveRam] = None  # a lab VM's RAM (copy-on-pause captures)
        self.live = False
        self._ram: Optional[mmap.mmap] = None
        self._fd: Optional[int] = None

    @property
    def release(self) -> str:
        return self.vmcoreinfo.get("OSRELEASE", "")

    @property
    def build_id(self) -> Optional[str]:
        b = self.vmcoreinfo.get("BUILD-ID")
        return b.lower() if b else None

    def close(self) -> None:
        self.phys_array = None
        self.phys_map = None
        self.liveram = None
        if self._ram is not None:
            try:
                self._ram.close()
            except BufferError:
                pass
            self._ram = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _load_vmlinux(prog: drgn.Program, vmlinux: str) -> None:
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError as e:
        # Only the main image matters here; modules are the caller's job.
        if "vmlinux" in str(e).split("\n", 1)[-1] and "kernel modules" not in str(e):
            raise IntrospectError(f"cannot load debug info from {vmlinux}: {e}")


def open_vmcore(
    path: str,
    vmlinux: Optional[str] = None,
    debuginfo_dirs: Sequence[str] = (),
    lab_dirs: Sequence[str] = (),
    cache_dir: Optional[str] = None,
) -> Target:
    """Open a vmcore file; raises :class:`IntrospectError` for anything unusable."""
    t0 = time.perf_counter()
    info: CoreInfo = identify_core(path)
    vml = find_vmlinux(info.release, info.build_id, vmlinux, debuginfo_dirs, lab_dirs)
    open_path = path
    fmt = info.format
    if fmt in ("kdump-flat", "kdump-needs-uts"):
        open_path = fix_kdump(info, cache_dir or default_cache_dir())
    if fmt == "elf-phys":
        # drgn 0.0.22's own page-table walker cannot bootstrap from physical
        # segments; libkdumpfile can. drgn reads this variable when the
        # Program is created; it stays set (it only matters for ELF cores).
        os.environ["DRGN_USE_LIBKDUMPFILE_FOR_ELF"] = "1"
    prog = drgn.Program()
    try:
        prog.set_core_dump(open_path)
    except Exception as e:  # noqa: B902 - drgn raises plain Exception for bad VMCOREINFO
        raise IntrospectError(f"{path}: drgn cannot open it: {e}")
    _load_vmlinux(prog, vml)
    t = Target(prog, "vmcore", fmt.replace("-needs-uts", ""), path, info.vmcoreinfo, vml)
    if fmt in ("elf", "elf-phys"):
        t.phys_map = _phys_mapping(path)
    t.load_ms = (time.perf_counter() - t0) * 1000
    return t


def _phys_mapping(path: str):
    """
    An ELF vmcore's physical memory as ranges of the memory-mapped file (its
    PT_LOADs with their physical addresses): the bulk walkers then index the
    file directly instead of copying chunks through drgn.
    """
    import struct

    import numpy as np

    from .memory import PhysMap

    with open(path, "rb") as f:
        eh = f.read(64)
        phoff = struct.unpack_from("<Q", eh, 0x20)[0]
        phentsize, phnum = struct.unpack_from("<HH", eh, 0x36)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    ranges = []
    for i in range(phnum):
        p_type, _fl, off, _va, pa, filesz = struct.unpack_from("<IIQQQQ", ph, i * phentsize)
        if p_type == 1 and filesz:
            ranges.append((pa, filesz, off))
    if not ranges:
        return None
    # A plain array over an mmap (np.memmap's subclass makes every gather slower).
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, mmap.MAP_PRIVATE, mmap.PROT_READ)
    return PhysMap(np.frombuffer(mm, np.uint8), ranges)


def open_kcore(
    vmlinux: Optional[str] = None,
    debuginfo_dirs: Sequence[str] = (),
    lab_dirs: Sequence[str] = (),
) -> Target:
    """Open the running kernel through /proc/kcore (root)."""
    t0 = time.perf_counter()
    if not os.path.exists("/proc/kcore"):
        raise IntrospectError(
            "this kernel has no /proc/kcore (CONFIG_PROC_KCORE off, or hidden in this container); "
            "use --vmcore FILE or --lab NAME instead"
        )
    if os.geteuid() != 0:
        raise IntrospectError(
            "reading /proc/kcore needs root (CAP_SYS_RAWIO); run waitscope dump --kcore with sudo"
        )
    prog = drgn.Program()
    try:
        prog.set_kernel()
    except (OSError, ValueError) as e:
        raise IntrospectError(f"cannot open /proc/kcore: {e}")
    # /proc/kcore carries the kernel's VMCOREINFO note (fs/proc/kcore.c, since
    # Linux 4.19: "proc/kcore: add vmcoreinfo note to /proc/kcore"): KERNELOFFSET
    # above all, which our own symbol table needs under KASLR.
    try:
        info = dict(identify_core("/proc/kcore").vmcoreinfo)
    except IntrospectError:
        info = {}
    info.setdefault("OSRELEASE", os.uname().release)
    release = info["OSRELEASE"]
    if "BUILD-ID" not in info:
        try:
            notes = open("/sys/kernel/notes", "rb").read()
            from .elf import parse_notes

            for name, typ, desc in parse_notes(notes):
                if name == b"GNU" and typ == 3:
                    info["BUILD-ID"] = desc.hex()
        except OSError:
            pass
    vml = find_vmlinux(release, info.get("BUILD-ID", ""), vmlinux, debuginfo_dirs, lab_dirs)
    _load_vmlinux(prog, vml)
    t = Target(prog, "kcore", "kcore", "/proc/kcore", info, vml)
    t.live = True
    t.load_ms = (time.perf_counter() - t0) * 1000
    return t


def _find_vmcoreinfo(ram: mmap.mmap) -> int:
    """Offset of the VMCOREINFO text in guest RAM (page-aligned note first, then anywhere)."""
    import numpy as np

    needle = b"VMCOREINFO\0\0OSRELEASE="
    arr = np.frombuffer(ram, np.uint8)
    npages = len(arr) // 4096
    # vmcoreinfo_note is a page allocation: its note header starts a page.
    heads = arr[: npages * 4096].reshape(npages, 4096)[:, 12:24]
    hits = np.nonzero((heads == np.frombuffer(b"VMCOREINFO\0\0", np.uint8)).all(axis=1))[0]
    del heads, arr
    for page in hits.tolist():
        off = page * 4096 + 12
        if ram[off : off + len(needle)] == needle:
            return off + 12
    off = ram.find(needle)
    if off < 0:
        raise IntrospectError(
            "no VMCOREINFO in the guest RAM: the guest kernel has not booted yet?"
        )
    return off + 12


def open_lab_ram(
    ram_path: str,
    vmlinux: Optional[str] = None,
    debuginfo_dirs: Sequence[str] = (),
    lab_dirs: Sequence[str] = (),
) -> Target:
    """Open a lab VM's guest RAM file for live host-side reads."""
    t0 = time.perf_counter()
    try:
        fd = os.open(ram_path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise IntrospectError(f"{ram_path}: {e.strerror} (is the lab VM running?)")
    size = os.fstat(fd).st_size
    if size < 1 << 20:
        os.close(fd)
        raise IntrospectError(f"{ram_path}: {size} bytes, not a guest RAM file")
    ram = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
    off = _find_vmcoreinfo(ram)
    end = ram.find(b"\0", off, off + 8192)
    text = ram[off : end if end > 0 else off + 4096]
    info = parse_vmcoreinfo(text)
    vml = find_vmlinux(
        info.get("OSRELEASE", ""),
        info.get("BUILD-ID", "").lower(),
        vmlinux,
        debuginfo_dirs,
        lab_dirs,
    )
    core = core_with_note(b"VMCOREINFO", 0, text)
    with tempfile.NamedTemporaryFile(prefix="waitscope-lab-", suffix=".core") as tmp:
        tmp.write(core)
        tmp.flush()
        prog = drgn.Program()
        prog.set_core_dump(tmp.name)

    import numpy as np

    live = LiveRam(np.frombuffer(ram, np.uint8))

    def read_phys(address: int, count: int, offset: int, physical: bool) -> bytes:
        return live.read(offset, count)

    prog.add_memory_segment(0, size, read_phys, True)
    phys_base = int(info.get("NUMBER(phys_base)", "0")) & 0xFFFFFFFFFFFFFFFF

    def read_ktext(address: int, count: int, offset: int, physical: bool) -> bytes:
        # phys_base is printed signed and is negative under KASLR: wrap around.
        return live.read((phys_base + offset) & 0xFFFFFFFFFFFFFFFF, count)

    prog.add_memory_segment(START_KERNEL_MAP, KERNEL_IMAGE_SIZE, read_ktext, False)
    _load_vmlinux(prog, vml)
    # The direct map as a virtual segment too: drgn then reads slab objects
    # with one callback instead of a page-table walk (five more) each.
    try:
        pob = int(prog["page_offset_base"].value_())
        prog.add_memory_segment(pob, size, read_phys, False)
    except (KeyError, drgn.FaultError):
        pass
    t = Target(prog, "lab", "lab-ram", ram_path, info, vml)
    t._ram = ram
    t._fd = fd
    t.live = True
    t.liveram = live
    t.phys_read = live.read
    t.phys_array = live.array
    t.load_ms = (time.perf_counter() - t0) * 1000
    return t


def check_modules_exist(paths: List[str]) -> None:
    """Every explicitly given .ko must exist and be an ELF relocatable file."""
    for p in paths:
        if not os.path.isfile(p):
            raise IntrospectError(
                f"--module {p}: no such file; pass the .ko that is loaded in the kernel"
            )
        with open(p, "rb") as f:
            head = f.read(18)
        if head[:4] != b"\x7fELF" or head[16] != 1:
            raise IntrospectError(f"--module {p}: not a kernel module (.ko)")


__all__ += ("check_modules_exist", "elf_file_build_id")
