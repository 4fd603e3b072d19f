# SPDX-License-Identifier: MIT
"""
Loaded kernel modules and their debug info
------------------------------------------

drgn 0.0.22 finds loaded modules through ``struct module``'s ``core_layout``,
which Linux commit ac3b43283923 ("module: replace module_layout with
module_memory", v6.4) replaced by ``mem[]``; on such kernels it reports "could
not find loaded kernel modules" and still loads a given .ko's DWARF
*unrelocated*, so module variables silently read the wrong memory.

The project therefore relocates modules itself, the same way on every kernel:
section addresses come from the module's sysfs section attributes
(``mod->sect_attrs->attrs[i]``: name and address, exactly what
/sys/module/<name>/sections/ shows), a copy of the .ko gets each allocated
section's ``sh_addr`` set to them, and drgn loads that copy (drgn applies the
.ko's relocations against ``sh_addr``). Every module is then verified: the
address drgn gives ``__this_module`` must be the ``struct module`` found in the
``modules`` list. Module addresses are symbolised from the .ko's symbol
table (``prog.symbol()`` cannot see relocated copies).
"""

import hashlib
import os
import shutil
import tempfile
from typing import Dict, Iterator, List, NamedTuple, Optional

import drgn
from drgn.helpers.linux.list import list_for_each_entry

from .elf import STT_FUNC_OBJECT, ElfFile, parse_notes
from .symbols import Symbolizer

__all__ = (
    "ModuleInfo",
    "for_each_module",
    "load_module_debuginfo",
    "module_build_id",
    "module_sections",
)

NT_GNU_BUILD_ID = 3


class ModuleInfo(NamedTuple):
    name: str
    addr: int  # struct module
    sections: Dict[str, int]
    build_id: Optional[str]


def for_each_module(prog: drgn.Program) -> Iterator[drgn.Object]:
    """
    Iterate over loaded kernel modules.

    :return: Iterator of ``struct module *`` objects.
    """
    return list_for_each_entry("struct module", prog["modules"].address_of_(), "list")


def module_sections(mod: drgn.Object) -> Dict[str, int]:
    """
    Section name to address for a loaded module, from ``mod->sect_attrs``.

    :param mod: ``struct module *``
    """
    out: Dict[str, int] = {}
    attrs = mod.sect_attrs
    if not attrs:
        return out
    for i in range(int(attrs.nsections)):
        a = attrs.attrs[i]
        name = a.battr.attr.name.string_().decode()
        try:
            addr = int(a.address)
        except AttributeError:
            # Later kernels keep the address in the bin_attribute's private.
            addr = a.battr.private.value_()
        out[name] = addr
    return out


def module_build_id(mod: drgn.Object) -> Optional[str]:
    """
    GNU build ID of a loaded module, from its sysfs notes (``mod->notes_attrs``).

    :param mod: ``struct module *``
    """
    notes = mod.notes_attrs
    if not notes:
        return None
    prog = mod.prog_
    for i in range(int(notes.notes)):
        attr = notes.attrs[i]
        try:
            data = prog.read(attr.private.value_(), int(attr.size))
        except drgn.FaultError:
            continue
        for name, typ, desc in parse_notes(data):
            if name == b"GNU" and typ == NT_GNU_BUILD_ID:
                return desc.hex()
    return None


def loaded_modules(prog: drgn.Program) -> Dict[str, ModuleInfo]:
    """Every loaded module by name (bounded, fault tolerant)."""
    out: Dict[str, ModuleInfo] = {}
    try:
        for n, mod in enumerate(for_each_module(prog)):
            if n > 10000:
                break
            try:
                name = mod.name.string_().decode()
                out[name] = ModuleInfo(
                    name, mod.value_(), module_sections(mod), module_build_id(mod)
                )
            except drgn.FaultError:
                continue
    except (drgn.FaultError, KeyError, LookupError):
        pass
    return out


class ModuleLoad(NamedTuple):
    name: str
    path: str
    status: str  # "relocated", "not-loaded", "mismatch", "failed"
    message: str
    info: Optional[ModuleInfo]


def _module_name(ko: ElfFile) -> str:
    name = ko.modinfo().get("name")
    if name:
        return name
    base = os.path.basename(ko.path)
    return base.split(".", 1)[0].replace("-", "_")


def load_module_debuginfo(
    prog: drgn.Program,
    paths: List[str],
    symbolizer: Symbolizer,
    cache_dir: str,
) -> List[ModuleLoad]:
    """
    Load the debug info of out-of-tree modules, relocated to where they are loaded.

    :param paths: .ko files (each must exist; callers check that first).
    :param cache_dir: where relocated copies are written (and removed once loaded).
    :return: one :class:`ModuleLoad` per path.
    """
    loaded = loaded_modules(prog)
    results: List[ModuleLoad] = []
    copies: List[str] = []
    pending = []
    workdir: Optional[str] = None
    for path in paths:
        ko = ElfFile(path)
        name = _module_name(ko)
        info = loaded.get(name)
        if info is None:
            results.append(
                ModuleLoad(
                    name, path, "not-loaded", f"module {name} is not loaded in this kernel", None
                )
            )
            continue
        kbid = ko.build_id()
        if info.build_id and kbid and info.build_id != kbid:
            results.append(
                ModuleLoad(
                    name,
                    path,
                    "mismatch",
                    f"{path} has build ID {kbid} but the loaded {name} has {info.build_id}",
                    info,
                )
            )
            continue
        data, _ = ko.with_section_addresses(info.sections)
        digest = hashlib.sha1(data).hexdigest()[:16]
        if workdir is None:
            os.makedirs(cache_dir, exist_ok=True)
            workdir = tempfile.mkdtemp(prefix="ko-", dir=cache_dir)
        copy = os.path.join(workdir, f"{name}-{digest}.ko")
        with open(copy, "wb") as f:
            f.write(data)
        copies.append(copy)
        pending.append((name, path, ko, info, copy))
    if copies:
        try:
            prog.load_debug_info(copies)
        except drgn.MissingDebugInfoError:
            # drgn < 0.0.23 on Linux >= 6.4 cannot enumerate loaded modules
            # and says so; the relocated copies are loaded regardless.
            pass
    if workdir is not None:
        # drgn keeps the files it loaded open: the names can go (section
        # addresses change with every boot, so nothing here is worth keeping).
        shutil.rmtree(workdir, ignore_errors=True)
    all_syms = []
    for name, path, ko, info, copy in pending:
        syms = []
        secs = ko.sections()
        for s in ko.symbols():
            if s.type in STT_FUNC_OBJECT and 0 < s.shndx < len(secs) and s.name:
                base = info.sections.get(secs[s.shndx].name)
                if base is not None:
                    syms.append((base + s.value, s.size, s.name, s.type))
        all_syms.append(syms)
        symbolizer.add_symbols([s[:3] for s in syms])
    seen: Dict[str, int] = {}
    for syms in all_syms:
        for s in syms:
            seen[s[2]] = seen.get(s[2], 0) + 1
    for (name, path, ko, info, copy), syms in zip(pending, all_syms):
        results.append(_verify(prog, name, path, info, syms, seen))
    return results


def _verify(prog: drgn.Program, name: str, path: str, info: ModuleInfo, syms, seen) -> ModuleLoad:
    """
    Check the relocation twice: the section addresses put ``__this_module``
    exactly on the ``struct module`` of the modules list, and drgn's address of
    one of the module's own variables (a name no other module has) is the one
    the section addresses give.
    """
    this = next((s[0] for s in syms if s[2] == "__this_module"), None)
    if this != info.addr:
        got = "nothing" if this is None else hex(this)
        return ModuleLoad(
            name, path, "failed", f"{name}: __this_module at {got}, expected {info.addr:#x}", info
        )
    for addr, _size, sym, typ in syms:
        if typ != 1 or sym == "__this_module" or seen.get(sym, 0) != 1 or sym.startswith("__"):
            continue
        try:
            obj = prog.object(sym, drgn.FindObjectFlags.VARIABLE)
        except LookupError:
            continue
        got = obj.address_
        if got == addr:
            return ModuleLoad(name, path, "relocated", f"verified with {sym}", info)
        if got is not None and got < 1 << 32:
            # An unrelocated .ko: its variables sit at their section offsets.
            return ModuleLoad(
                name, path, "failed", f"{name}: drgn puts {sym} at {got:#x} (unrelocated)", info
            )
        # Otherwise vmlinux has a variable of that name too: try another one.
    return ModuleLoad(name, path, "relocated", "no variable to verify with", info)
