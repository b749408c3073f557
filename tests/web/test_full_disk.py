"""A data folder that is full (or read-only) does not break a page: a chart that cannot be
cached is drawn and shown all the same."""

from __future__ import annotations

import errno
import os
import pathlib

import pytest
from django.urls import reverse

from acuback.outcomes import services as outcomes
from tests.factories import make_episode, request_for


@pytest.fixture
def scored(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    episode = make_episode(world.patient, world.practitioner)
    for time_point, value in (("baseline", 7), ("review", 4)):
        outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                               time_point=time_point, answers={1: value}, submit=True,
                               completed_by="staff", request=request_for(world.practitioner))
    return world


@pytest.fixture
def disk_full(monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    for name in ("write_text", "write_bytes", "mkdir", "touch"):
        monkeypatch.setattr(pathlib.Path, name, full)
    monkeypatch.setattr(os, "utime", full)


PAGES = [("patient_outcomes", "practitioner"), ("insights_dashboard", "admin")]


@pytest.mark.parametrize("page, role", PAGES)
def test_a_page_with_a_chart_works_with_the_disk_full(scored, login, disk_full, page, role):
    args = [scored.patient.pk] if page == "patient_outcomes" else []
    response = login(getattr(scored, role)).get(reverse(page, args=args))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()


@pytest.mark.parametrize("page, role", PAGES)
def test_a_cached_chart_is_served_from_a_read_only_disk(scored, login, monkeypatch, page,
                                                        role):
    args = [scored.patient.pk] if page == "patient_outcomes" else []
    client = login(getattr(scored, role))
    assert client.get(reverse(page, args=args)).status_code == 200  # drawn and cached

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "utime", read_only)
    from django.core.cache import cache

    cache.clear()  # the dashboard's figures are computed again, its chart read from disk
    response = client.get(reverse(page, args=args))
    assert response.status_code == 200 and "<svg" in response.content.decode()


def test_no_half_written_file_is_left_behind(scored, login, monkeypatch, settings):
    real = pathlib.Path.write_text

    def half(self, text, *args, **kwargs):
        real(self, text[:10], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", half)
    response = login(scored.practitioner).get(reverse("patient_outcomes",
                                                      args=[scored.patient.pk]))
    assert response.status_code == 200
    assert not list((settings.DATA_DIR / "charts").glob("*"))
