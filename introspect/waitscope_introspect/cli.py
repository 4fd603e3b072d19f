# SPDX-License-Identifier: MIT
"""
The command line, shared by ``python -m waitscope_introspect`` and the C++
``waitscope dump`` (which calls :func:`main` with the same arguments in its
embedded interpreter).
"""

import argparse
import os
import sys
import time
from typing import List, Optional

from .errors import Cancelled, IntrospectError

__all__ = ("build_parser", "main", "options_from_args")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="waitscope-introspect",
        description="Snapshot the kernel's wait/epoll machinery (waitscope snapshot v1).",
    )
    t = p.add_mutually_exclusive_group(required=True)
    t.add_argument("--kcore", action="store_true", help="the running kernel (/proc/kcore, root)")
    t.add_argument("--vmcore", metavar="FILE", help="an ELF or kdump vmcore (flattened kdump too)")
    t.add_argument("--lab-ram", metavar="FILE", help="a lab VM's guest RAM file (live; not paused)")
    p.add_argument("--pid", type=int, action="append", help="only this process (repeatable)")
    p.add_argument("--format", default="json", choices=("json", "cbor", "dot", "text"))
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--report",
        action="store_true",
        help="only the crash report (text, or with --format json the crash section)",
    )
    p.add_argument("--vmlinux", metavar="FILE", help="vmlinux with debug info")
    p.add_argument("--debuginfo", metavar="DIR", action="append", help="where to look for vmlinux")
    p.add_argument(
        "--lab-dir", metavar="DIR", action="append", help="a lab tree (kernels/<release>/vmlinux)"
    )
    p.add_argument("--module", metavar="KO", action="append", help="out-of-tree module debug info")
    p.add_argument("--auto-module", metavar="KO", action="append", help="a .ko used when present")
    p.add_argument("--kfifo", metavar="EXPR", action="append", help="also show this kfifo")
    p.add_argument("--no-stacks", action="store_true", help="skip kernel stacks of sleeping tasks")
    p.add_argument("--no-workqueues", action="store_true", help="skip workqueues")
    p.add_argument("--cache-dir", metavar="DIR", help="for fixed-up kdumps and relocated modules")
    p.add_argument("--mark", help="record this mark name in the capture")
    p.add_argument("--source", choices=("vmcore", "kcore", "lab"), help=argparse.SUPPRESS)
    p.add_argument("--python-encoder", action="store_true", help="do not use the C++ JSON encoder")
    p.add_argument("--timings", action="store_true", help="print timings to stderr")
    return p


def options_from_args(a: argparse.Namespace):
    from .session import Options

    return Options(
        kcore=a.kcore,
        vmcore=a.vmcore,
        lab_ram=a.lab_ram,
        vmlinux=a.vmlinux,
        debuginfo=a.debuginfo,
        lab_dir=a.lab_dir,
        module=a.module,
        auto_module=a.auto_module,
        pid=a.pid,
        kfifo=a.kfifo,
        no_stacks=a.no_stacks,
        no_workqueues=a.no_workqueues,
        cache_dir=a.cache_dir,
        source=a.source,
    )


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; returns the exit status (never raises for user errors)."""
    parser = build_parser()
    try:
        a = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        from .kernel import _LAB_DIRS
        from .session import Session

        _LAB_DIRS[:] = a.lab_dir or []
        t0 = time.perf_counter()
        if a.report and a.format not in ("text", "json"):
            print("waitscope: --report writes text or json", file=sys.stderr)
            return 2
        s = Session(options_from_args(a))
        cap = s.capture(mark=a.mark)
        if a.report:
            data = s.report(cap, a.format)
        else:
            data = s.render(cap, a.format, use_native=not a.python_encoder)
        t1 = time.perf_counter()
        if a.out:
            tmp = f"{a.out}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, a.out)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        if a.timings:
            c = cap.meta["capture"]
            print(
                f"timings: load {c['load_ms']:.0f} ms, read {c['read_ms']:.0f} ms, tables "
                f"{c.get('tables_ms', 0):.0f} ms, encode {c.get('encode_ms', 0):.0f} ms, "
                f"total {(t1 - t0) * 1000:.0f} ms; {len(data)} bytes",
                file=sys.stderr,
            )
        for w in cap.meta["warnings"][:20]:
            print(
                f"warning: {w['message']}" + (f" ({w['id']})" if w.get("id") else ""),
                file=sys.stderr,
            )
        s.close()
        return 0
    except IntrospectError as e:
        print(f"waitscope: {e}", file=sys.stderr)
        return e.status
    except Cancelled:
        print("waitscope: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("waitscope: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: B902 - one line for the user, the traceback on request
        if os.environ.get("WAITSCOPE_DEBUG"):
            raise
        print(
            f"waitscope: internal error: {type(e).__name__}: {e} (WAITSCOPE_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        return 70
