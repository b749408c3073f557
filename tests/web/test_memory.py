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
    assert freed.release_if_grown() is False  # first look: the level is taken
    resident.kib += GROWTH_KIB - 1
    assert freed.release_if_grown() is False
    assert trims == []
    resident.kib += 1
    assert freed.release_if_grown() is True
    assert trims == [0]


def test_the_level_after_a_release_is_what_the_worker_kept():
    resident = Resident(100_000)

    def trim(pad: int) -> int:
        resident.kib = 103_000  # 3 MiB of the growth was still in use
        return 1

    freed = FreedMemory(resident=resident, trim=trim)
    freed.release_if_grown()
    resident.kib = 109_000
    assert freed.release_if_grown() is True
    assert freed.level == 103_000
    # Memory in use is not released again and again: the next release needs new growth.
    resident.kib = 106_000
    assert freed.release_if_grown() is False


def test_the_level_follows_the_worker_down():
    """A login's password hash maps 100 MiB and unmaps it: growth is counted from the low."""
    resident = Resident(200_000)
    trims = []
    freed = FreedMemory(resident=resident, trim=trims.append)
    freed.release_if_grown()
    resident.kib = 100_000
    assert freed.release_if_grown() is False
    assert freed.level == 100_000
    resident.kib = 100_000 + GROWTH_KIB
    assert freed.release_if_grown() is True


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
    freed.release_if_grown()
    resident.kib += 2 * GROWTH_KIB
    first = threading.Thread(target=freed.release_if_grown)
    first.start()
    assert entered.wait(5)
    assert freed.release_if_grown() is False  # the other thread is releasing
    go_on.set()
    first.join(5)
    assert calls == [0]


def test_without_proc_or_glibc_nothing_breaks():
    freed = FreedMemory(resident=lambda: 0, trim=None)
    assert freed.release_if_grown() is False
    resident = Resident(1_000)
    freed = FreedMemory(resident=resident, trim=None)  # musl or macOS: collect only
    freed.release_if_grown()
    resident.kib += GROWTH_KIB
    assert freed.release_if_grown() is True


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
    assert freed.release_if_grown() is True
    assert resident_kib() - before < (grown - before) / 2
    assert freed.level == pytest.approx(resident_kib(), abs=1024)


def test_the_task_worker_releases_after_a_task_that_grew_it():
    from types import SimpleNamespace

    from django_tasks import TaskResultStatus
    from django_tasks.signals import task_finished

    from acuback.web.management.commands.worker import RELEASE_UID, release_memory_after_tasks

    done = SimpleNamespace(id="1", status=TaskResultStatus.SUCCESSFUL,
                           task=SimpleNamespace(module_path="acuback.outcomes.tasks.charts_draw"))
    resident = Resident(100_000)
    trims = []
    release_memory_after_tasks(FreedMemory(resident=resident, trim=trims.append))
    try:
        task_finished.send(sender=object, task_result=done)
        assert trims == []
        resident.kib += GROWTH_KIB
        task_finished.send(sender=object, task_result=done)
        assert trims == [0]
    finally:
        assert task_finished.disconnect(dispatch_uid=RELEASE_UID)


def test_a_web_worker_looks_only_when_none_of_its_requests_is_running():
    """Looking while another thread draws a chart would take the chart's memory as the
    level, and its garbage, freed a moment later, would stay."""
    resident = Resident(100_000)
    trims = []
    freed = FreedMemory(resident=resident, trim=trims.append)
    freed.request_started()
    assert freed.request_finished() is False  # the first look takes the level
    freed.request_started()  # a chart being drawn
    freed.request_started()  # a short page meanwhile
    resident.kib += 2 * GROWTH_KIB
    assert freed.request_finished() is False  # the chart is still running
    assert trims == []
    assert freed.request_finished() is True
    assert trims == [0]
    # A finish without its start (a hook that failed) does not stop the looking.
    resident.kib += 2 * GROWTH_KIB
    assert freed.request_finished() is True
