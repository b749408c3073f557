"""A web worker hands freed memory back after a request that grew it (acuback.web.memory)."""

from __future__ import annotations

import sys
import threading

import pytest

from acuback.web.memory import GROWTH_KIB, FreedMemory, glibc_trim, resident_kib


class Resident:
    """A stand-in for /proc: the test sets the figure, the release lowers it."""

    def __init__(self, kib: int):
        self.kib = kib

    def __call__(self) -> int:
        return self.kib


def test_nothing_is_done_until_the_worker_grows_past_the_threshold():
    resident = Resident(100_000)
    trims = []
    freed = FreedMemory(resident=resident, trim=trims.append)
    assert freed.after_request() is False  # first look: the level is taken
    resident.kib += GROWTH_KIB - 1
    assert freed.after_request() is False
    assert trims == []
    resident.kib += 1
    assert freed.after_request() is True
    assert trims == [0]


def test_the_level_after_a_release_is_what_the_worker_kept():
    resident = Resident(100_000)

    def trim(pad: int) -> int:
        resident.kib = 103_000  # 3 MiB of the growth was still in use
        return 1

    freed = FreedMemory(resident=resident, trim=trim)
    freed.after_request()
    resident.kib = 109_000
    assert freed.after_request() is True
    assert freed.level == 103_000
    # Memory in use is not released again and again: the next release needs new growth.
    resident.kib = 106_000
    assert freed.after_request() is False


def test_the_level_follows_the_worker_down():
    """A login's password hash maps 100 MiB and unmaps it: growth is counted from the low."""
    resident = Resident(200_000)
    trims = []
    freed = FreedMemory(resident=resident, trim=trims.append)
    freed.after_request()
    resident.kib = 100_000
    assert freed.after_request() is False
    assert freed.level == 100_000
    resident.kib = 100_000 + GROWTH_KIB
    assert freed.after_request() is True


def test_one_thread_releases_at_a_time():
    resident = Resident(100_000)
    entered, go_on = threading.Event(), threading.Event()
    calls = []

    def slow_trim(pad: int) -> int:
        calls.append(pad)
        entered.set()
        go_on.wait(5)
        return 1

    freed = FreedMemory(resident=resident, trim=slow_trim)
    freed.after_request()
    resident.kib += 2 * GROWTH_KIB
    first = threading.Thread(target=freed.after_request)
    first.start()
    assert entered.wait(5)
    assert freed.after_request() is False  # the other thread is releasing
    go_on.set()
    first.join(5)
    assert calls == [0]


def test_without_proc_or_glibc_nothing_breaks():
    freed = FreedMemory(resident=lambda: 0, trim=None)
    assert freed.after_request() is False
    resident = Resident(1_000)
    freed = FreedMemory(resident=resident, trim=None)  # musl or macOS: collect only
    freed.after_request()
    resident.kib += GROWTH_KIB
    assert freed.after_request() is True


@pytest.mark.skipif(not sys.platform.startswith("linux") or glibc_trim() is None,
                    reason="glibc's malloc_trim and /proc are Linux with glibc")
def test_memory_a_thread_freed_is_given_back():
    """The case of the soak: a thread allocates, frees most of it but keeps a few blocks
    scattered through its arena, so glibc cannot shrink the arena by itself."""
    kept = []

    def allocate():
        blocks = [bytearray(2000) for _ in range(20_000)]  # 40 MB, above pymalloc's sizes
        kept.extend(blocks[::50])

    before = resident_kib()
    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    grown = resident_kib()
    assert grown - before > 20_000, "the freed blocks stayed resident"
    freed = FreedMemory(trim=glibc_trim())
    freed.level = before
    assert freed.after_request() is True
    assert resident_kib() - before < (grown - before) / 2
    assert freed.level == pytest.approx(resident_kib(), abs=1024)
