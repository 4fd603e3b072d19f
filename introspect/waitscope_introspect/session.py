# SPDX-License-Identifier: MIT
"""
A session: one opened target with its debug info, captured as often as wanted
-----------------------------------------------------------------------------

``Session(options)`` opens the target and loads vmlinux and module debug
info once (the expensive part, about half a second). Each
:meth:`Session.capture` then reads the kernel (for a live target, inside the
caller's pause) and :meth:`Session.render` encodes the snapshot (after the
pause). The same ``prog`` stays available to a drgn console
(:meth:`Session.console`).
"""

import io
import os
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, Callable, Dict, List, Optional, Sequence

import drgn

from . import __version__
from .collect import Collected, collect
from .errors import Cancelled, IntrospectError
from .kernel import KernelView, kernel_identity
from .modules import load_module_debuginfo
from .snapshot import SCHEMA, Table
from .symbols import Symbolizer
from .tables import build_tables
from .walkers.crash import crash_section, elf_prstatus
from .target import (
    Target,
    check_modules_exist,
    default_cache_dir,
    open_kcore,
    open_lab_ram,
    open_vmcore,
)

__all__ = ("Capture", "Options", "Session")


class Options:
    """What to open and how to walk (the command line's options)."""

    def __init__(self, **kw: Any) -> None:
        self.kcore: bool = kw.pop("kcore", False)
        self.vmcore: Optional[str] = kw.pop("vmcore", None)
        self.lab_ram: Optional[str] = kw.pop("lab_ram", None)
        self.vmlinux: Optional[str] = kw.pop("vmlinux", None)
        self.debuginfo: List[str] = list(kw.pop("debuginfo", None) or [])
        self.lab_dirs: List[str] = list(kw.pop("lab_dir", None) or [])
        self.modules: List[str] = list(kw.pop("module", None) or [])
        self.auto_modules: List[str] = list(kw.pop("auto_module", None) or [])
        self.pids: List[int] = list(kw.pop("pid", None) or [])
        self.kfifos: List[str] = list(kw.pop("kfifo", None) or [])
        self.stacks: bool = not kw.pop("no_stacks", False)
        self.workqueues: bool = not kw.pop("no_workqueues", False)
        self.cache_dir: str = kw.pop("cache_dir", None) or default_cache_dir()
        self.source: Optional[str] = kw.pop("source", None)
        self.limits: Dict[str, int] = dict(kw.pop("limits", None) or {})
        for k in list(kw):
            if kw[k] is None:
                kw.pop(k)
        if kw:
            raise TypeError(f"unknown options: {', '.join(sorted(kw))}")


class Capture:
    """One capture: the collected reads plus its metadata; rendered later."""

    def __init__(self, collected: Collected, kv: KernelView, meta: Dict[str, Any]) -> None:
        self.collected = collected
        self.kv = kv
        self.meta = meta
        self._tables: Optional[List[Table]] = None

    def tables(self) -> List[Table]:
        if self._tables is None:
            t0 = time.perf_counter()
            self._tables = build_tables(self.collected, self.kv)
            self.meta["crash"] = crash_section(self.collected.crash, self._tables)
            self.meta["capture"]["tables_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        return self._tables


class Session:
    """An opened target (see the module docstring)."""

    def __init__(
        self, options: Options, progress: Optional[Callable[[str, float], bool]] = None
    ) -> None:
        self.options = options
        self.progress = progress
        self.target: Target = self._open()
        self.prog: drgn.Program = self.target.prog
        self.symbolizer = Symbolizer(self.prog)
        t0 = time.perf_counter()
        koff = self.target.vmcoreinfo.get("KERNELOFFSET")
        self.symbolizer.load_vmlinux_symtab(self.target.vmlinux, int(koff, 16) if koff else 0)
        self.modules = self._load_modules()
        self.load_ms = self.target.load_ms + (time.perf_counter() - t0) * 1000
        self.console_ns: Dict[str, Any] = {}
        self.last: Optional[Capture] = None
        self._prstatus: Optional[List[Any]] = None

    # -- opening --------------------------------------------------------------

    def _open(self) -> Target:
        o = self.options
        chosen = [x for x in (o.kcore, o.vmcore, o.lab_ram) if x]
        if len(chosen) != 1:
            raise IntrospectError(
                "give exactly one target: --kcore, --vmcore FILE or --lab-ram FILE"
            )
        check_modules_exist(o.modules)
        self._step("open")
        if o.vmcore:
            return open_vmcore(o.vmcore, o.vmlinux, o.debuginfo, o.lab_dirs, o.cache_dir)
        if o.lab_ram:
            return open_lab_ram(o.lab_ram, o.vmlinux, o.debuginfo, o.lab_dirs)
        return open_kcore(o.vmlinux, o.debuginfo, o.lab_dirs)

    def _load_modules(self) -> List[Dict[str, Any]]:
        o = self.options
        self._step("modules")
        paths = list(o.modules) + [
            p for p in o.auto_modules if os.path.isfile(p) and p not in o.modules
        ]
        results = load_module_debuginfo(
            self.prog, paths, self.symbolizer, os.path.join(o.cache_dir, "ko")
        )
        out = []
        for r in results:
            if r.status != "relocated" and r.path in o.modules and r.status != "not-loaded":
                raise IntrospectError(f"--module {r.path}: {r.message}")
            row: Dict[str, Any] = {"name": r.name, "path": r.path}
            row["debuginfo"] = "relocated" if r.status == "relocated" else "none"
            if r.info is not None:
                row["addr"] = f"0x{r.info.addr:x}"
                text = r.info.sections.get(".text")
                if text:
                    row["base"] = f"0x{text:x}"
                if r.info.build_id:
                    row["build_id"] = r.info.build_id
            if r.message:
                row["note"] = r.message
            row["_status"] = r.status
            out.append(row)
        return out

    def _step(self, what: str, frac: float = 0.0) -> None:
        if self.progress is not None and self.progress(what, frac) is False:
            raise Cancelled(what)

    # -- capturing ------------------------------------------------------------

    # Copy-on-pause captures of a live lab VM (see liveram.py):
    #   rehearse()  VM running: a throw-away walk that records the pages read
    #   freeze()    VM paused: copy those pages (the only work in the pause)
    #   capture(frozen=True)  VM running again: the real walk, on the copy;
    #               returns None when it needed a page the copy lacks.

    def rehearse(self, pids: Optional[Sequence[int]] = None) -> float:
        """Walk the running VM once, recording the pages a capture reads; returns ms."""
        live = self._live()
        t0 = time.perf_counter()
        live.record()
        try:
            self._collect(pids, None, chunked=True)
        except Exception:  # noqa: B902 - live memory may be mid-update: only pages matter
            pass
        return (time.perf_counter() - t0) * 1000

    def freeze(self) -> Dict[str, float]:
        """Copy the rehearsed pages (call while the VM is paused)."""
        live = self._live()
        t0 = time.perf_counter()
        n = live.freeze()
        return {"bytes": float(n), "ms": (time.perf_counter() - t0) * 1000}

    def baseline_walk(self, pids: Sequence[int]) -> float:
        """
        Time the per-member reference walk (:mod:`.reference`) of ``pids`` on
        the live memory (benchmarks: call it while the VM is paused); ms.
        """
        from .reference import reference_walk

        live = self.target.liveram
        mode = live.mode if live is not None else None
        if live is not None:
            live.mode = "live"
        try:
            t0 = time.perf_counter()
            reference_walk(self.prog, list(pids))
            return (time.perf_counter() - t0) * 1000
        finally:
            if live is not None:
                live.mode = mode

    def _live(self):
        if self.target.liveram is None:
            raise IntrospectError("copy-on-pause captures need a lab VM target (--lab-ram)")
        return self.target.liveram

    def capture(
        self, pids: Optional[Sequence[int]] = None, mark: Optional[str] = None, frozen: bool = False
    ) -> Optional[Capture]:
        """
        Read the kernel now (all reads happen here), or with ``frozen`` read the
        copy :meth:`freeze` made; None then means the copy was incomplete.
        """
        if not frozen:
            return self._collect(pids, mark)
        live = self._live()
        try:
            cap = self._collect(pids, mark, chunked=True)
        finally:
            misses = live.misses
            copied = live.frozen_bytes
            live.thaw()
        if misses:
            return None
        cap.meta["capture"]["paused_copy_bytes"] = copied
        return cap

    def _collect(self, pids, mark, chunked: bool = False) -> Capture:
        o = self.options
        t0 = time.perf_counter()
        mods_ok = {m["name"]: m["_status"] == "relocated" for m in self.modules}
        kv = KernelView(
            self.prog,
            self.symbolizer,
            o.limits,
            self.target.phys_read,
            None if chunked else self.target.phys_array,
            mods_ok,
            chunk_shift=12 if chunked else 14,
            phys_map=None if chunked else self.target.phys_map,
        )
        if self.target.format in ("elf", "elf-phys"):
            if self._prstatus is None:
                self._prstatus = elf_prstatus(self.target.path)
            kv.prstatus = self._prstatus  # the vCPUs' registers, for the crash report
        if self.progress is not None:
            kv.mem.cancel_check = lambda: self._step("read")
        self._step("walk")
        pids = list(o.pids if pids is None else pids)
        col = collect(kv, pids, o.kfifos, o.stacks, o.workqueues)
        kernel = kernel_identity(self.prog, self.target.vmcoreinfo)
        read_ms = (time.perf_counter() - t0) * 1000
        caps = dict(col.caps)
        for name in ("vpoll", "simrupt"):
            m = next((x for x in self.modules if x["name"] == name), None)
            key = f"modules.{name}"
            if m is None:
                caps.setdefault(key, ("missing", f"no {name}.ko given or found"))
            elif m["_status"] != "relocated":
                caps[key] = ("missing", m.get("note", m["_status"]))
        capture = {
            "source": o.source or self.target.source,
            "format": self.target.format,
            "path": self.target.path,
            "tool": f"waitscope {__version__}, drgn {drgn.__version__}",
            "load_ms": round(self.load_ms, 3),
            "read_ms": round(read_ms, 3),
            "pids": pids,
            "stats": {"chunk_reads": kv.mem.chunk_reads, "object_reads": kv.mem.object_reads},
        }
        for k, v in col.timings.items():
            capture[k] = round(v, 3)
        if mark:
            capture["mark"] = mark
        meta = {
            "schema": SCHEMA,
            "kernel": kernel,
            "capture": capture,
            "capabilities": {
                k: {"status": s, "reason": r} if r else {"status": s}
                for k, (s, r) in sorted(caps.items())
            },
            "modules": [
                {k: v for k, v in m.items() if not k.startswith("_")} for m in self.modules
            ],
            "limits": {k: kv.limits[k] for k in sorted(kv.limits)},
            "warnings": col.builder.warnings,
        }
        cap = Capture(col, kv, meta)
        self.last = cap
        self.console_ns["prog"] = self.prog
        return cap

    def render(
        self,
        cap: Capture,
        fmt: str = "json",
        use_native: bool = True,
        extra: Optional[Dict[str, Any]] = None,
    ) -> bytes:
        """Encode a capture: ``json``, ``cbor``, ``dot`` or ``text``."""
        t0 = time.perf_counter()
        tables = cap.tables()
        if extra:
            cap.meta["capture"].update(extra)
        meta = cap.meta
        meta["capture"]["walk_ms"] = round(
            meta["capture"]["read_ms"] + meta["capture"].get("tables_ms", 0.0), 3
        )
        if fmt == "json":
            from .formats.json_out import render_json

            out = render_json(meta, tables, use_native)
        elif fmt == "cbor":
            from .formats.cbor_out import render_cbor

            out = render_cbor(meta, tables)
        elif fmt == "dot":
            from .formats.dot_out import render_dot

            out = render_dot(meta, tables)
        elif fmt == "text":
            from .formats.text_out import render_text

            out = render_text(meta, tables)
        else:
            raise IntrospectError(f"unknown format {fmt} (json, cbor, dot, text)")
        meta["capture"]["encode_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        return out

    def report(self, cap: Capture, fmt: str = "text") -> bytes:
        """
        Only the crash report: ``text`` (formats/crash_text.py) or ``json``:
        ``{"schema", "kernel", "capture", "crash"}`` (the snapshot's keys).
        """
        cap.tables()
        meta = cap.meta
        if fmt == "text":
            from .formats.crash_text import render_crash_text

            return render_crash_text(meta["crash"], meta["kernel"].get("release", "")).encode()
        if fmt == "json":
            import json

            doc = {k: meta[k] for k in ("schema", "kernel", "capture", "crash")}
            return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()
        raise IntrospectError(f"the report is text or json, not {fmt}")

    # -- breakpoint stops -------------------------------------------------------

    def decode_stop(self, stop: Dict[str, Any]) -> Dict[str, Any]:
        """
        The current task and the objects a stopped function's arguments point
        at, read now (call it while the VM is stopped); see :mod:`.stop`.
        """
        from .stop import decode_stop

        return decode_stop(self.prog, self.symbolizer, stop)

    # -- console ----------------------------------------------------------------

    def console(self, code: str) -> str:
        """
        Run Python ``code`` in a persistent namespace where ``prog`` is this
        session's program; return what it printed (and the traceback on error).
        """
        ns = self.console_ns
        if "prog" not in ns:
            ns["prog"] = self.prog
            ns["drgn"] = drgn
            ns["session"] = self
            exec("from drgn import *\nfrom drgn.helpers.linux import *", ns)  # noqa: S102
        buf = io.StringIO()
        with redirect_stdout(buf), redirect_stderr(buf):
            try:
                try:
                    compiled = compile(code, "<console>", "eval")
                except SyntaxError:
                    compiled = None
                if compiled is not None:
                    value = eval(compiled, ns)  # noqa: S307
                    if value is not None:
                        print(repr(value) if not isinstance(value, drgn.Object) else str(value))
                else:
                    exec(compile(code, "<console>", "exec"), ns)  # noqa: S102
            except BaseException:  # noqa: B902 - the console reports everything
                traceback.print_exc()
        return buf.getvalue()

    def close(self) -> None:
        self.target.close()
