# SPDX-License-Identifier: MIT
"""
Guest RAM of a running lab VM, with copy-on-pause snapshots
----------------------------------------------------------

A lab VM shares its RAM with the host through a file (offset == guest
physical address). Every read of the snapshot walkers and of drgn goes
through :meth:`LiveRam.read`, which has three modes:

``live``
    Read the mapping as it is (the VM may be running).
``record``
    Read live and remember every page read: a *rehearsal* walk, done while
    the VM still runs, learns which pages a snapshot needs.
``frozen``
    Serve reads from a private copy of those pages, made by :meth:`freeze`
    while the VM was paused. A page that was not copied is a *miss* (the
    structures changed between rehearsal and pause): the read faults and
    :attr:`misses` counts it, so the caller falls back to walking while
    paused.

So a VM pauses only for one vectorised copy of the working set (about a
millisecond per 10,000 epitems) instead of for the whole walk, and the
snapshot is still exactly the memory of one pause.
"""

from typing import Dict, Optional, Set

import drgn
import numpy as np

__all__ = ("LiveRam",)

PAGE_SHIFT = 12
PAGE = 1 << PAGE_SHIFT


class LiveRam:
    """Reads of a guest RAM mapping (see the module docstring)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array  # the whole mapping, uint8
        self.size = len(array)
        self.mode = "live"
        self._pages: Set[int] = set()
        self._frozen: Optional[np.ndarray] = None
        self._index: Dict[int, int] = {}
        self.misses = 0
        self.frozen_bytes = 0

    def read(self, phys: int, n: int) -> bytes:
        """``n`` bytes at physical address ``phys``; raises :class:`drgn.FaultError`."""
        if phys < 0 or phys + n > self.size or n < 0:
            raise drgn.FaultError("beyond guest RAM", phys)
        mode = self.mode
        if mode == "live":
            return self.array[phys : phys + n].tobytes()
        first, last = phys >> PAGE_SHIFT, (phys + n - 1) >> PAGE_SHIFT
        if mode == "record":
            self._pages.update(range(first, last + 1))
            return self.array[phys : phys + n].tobytes()
        # frozen
        index = self._index
        if first == last:
            row = index.get(first)
            if row is None:
                self.misses += 1
                raise drgn.FaultError("page not in the paused copy", phys)
            o = phys & (PAGE - 1)
            return self._frozen[row, o : o + n].tobytes()
        out = bytearray()
        for page in range(first, last + 1):
            row = index.get(page)
            if row is None:
                self.misses += 1
                raise drgn.FaultError("page not in the paused copy", phys)
            lo = phys - (page << PAGE_SHIFT) if page == first else 0
            hi = (phys + n) - (page << PAGE_SHIFT) if page == last else PAGE
            out += self._frozen[row, lo:hi].tobytes()
        return bytes(out)

    def record(self) -> None:
        """Start a rehearsal: read live, remember the pages."""
        self._pages = set()
        self.mode = "record"

    def freeze(self) -> int:
        """
        Copy every page the rehearsal read (call with the VM paused) and serve
        reads from that copy. Returns the bytes copied.
        """
        pages = np.fromiter(self._pages, np.int64, len(self._pages))
        pages.sort()
        whole = self.array[: (self.size >> PAGE_SHIFT) << PAGE_SHIFT].reshape(-1, PAGE)
        self._frozen = whole[pages]  # one vectorised copy
        self._index = dict(zip(pages.tolist(), range(len(pages))))
        self.misses = 0
        self.mode = "frozen"
        self.frozen_bytes = len(pages) * PAGE
        return self.frozen_bytes

    def thaw(self) -> None:
        """Back to live reads; drop the copy."""
        self.mode = "live"
        self._frozen = None
        self._index = {}
        self._pages = set()
