"""Memory a web worker (or the task worker) has freed, handed back to the system.

A request that allocates a lot leaves the worker's resident memory at its peak after the
objects are gone: glibc keeps what a thread freed in that thread's arena for reuse, and a
chart's matplotlib figure (a cycle of about 4,000 objects) is freed only by a full
collection. In the load benchmark's soak one uncached chart raised a worker by 7-9 MiB
that never came down (docs/benchmarks.md). So after a request or a task, when it has grown
by more than ``GROWTH_KIB`` since it last looked, it collects and asks glibc to give the
free pages back (``malloc_trim``, which since glibc 2.8 walks every arena). Memory still
in use stays: a real leak still shows in the soak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
GROWTH_KIB = 4096  # a chart drawing is 2-9 MiB; ordinary pages stay under 1.5 MiB
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def resident_kib() -> int:
    """This process's resident memory (Linux); 0 where /proc is not there."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def glibc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None on a C library without it (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


class FreedMemory:
    """Asked after every request (gunicorn's pre_request and post_request) and every
    background task: one read of /proc unless the process grew."""

    def __init__(self, *, growth_kib: int = GROWTH_KIB,
                 resident: Callable[[], int] = resident_kib,
                 trim: Callable[[int], int] | None = None) -> None:
        self.growth_kib = growth_kib
        self.resident = resident
        self.trim = trim
        self.level: int | None = None  # resident memory after the last release
        self._busy = threading.Lock()
        self._in_flight = 0
        self._counting = threading.Lock()

    def request_started(self) -> None:
        with self._counting:
            self._in_flight += 1

    def request_finished(self) -> bool:
        """Look only when no other request of this worker is running: a look in the middle
        of another thread's chart took that chart's memory as the new level, and its
        garbage, freed a moment later, then stayed (an 8 MiB step in a soak)."""
        with self._counting:
            self._in_flight = max(0, self._in_flight - 1)
            quiet = self._in_flight == 0
        return self.release_if_grown() if quiet else False

    def release_if_grown(self) -> bool:
        """Release freed memory if the process grew by more than growth_kib; True if it did."""
        now = self.resident()
        if not now:
            return False
        if self.level is None or now < self.level:
            self.level = now  # falls as well: a login's 100 MiB hash is unmapped when done
            return False
        if now - self.level < self.growth_kib or not self._busy.acquire(blocking=False):
            return False  # another thread is already releasing
        try:
            gc.collect()
            if self.trim is not None:
                self.trim(0)
            self.level = self.resident()
            log.info("memory released in worker %d: %d -> %d KiB", os.getpid(), now, self.level)
            return True
        finally:
            self._busy.release()


def freeze_loaded() -> None:
    """Move what is loaded now, which lives as long as the process, out of the garbage
    collector's reach (``gc.freeze``, before a fork as the Python documentation advises):
    a full collection then scans only what the process allocated since (3-10 ms instead
    of about 90 ms at 130 MiB), the pages a collection would write stay shared with the
    forked workers, and collections run as often as the new garbage calls for rather than
    once per quarter of the whole heap (the second collect resets that count)."""
    gc.collect()
    gc.freeze()
    gc.collect()
