"""Every page under /patients/<pk>/episodes/<episode_pk>/ finds the episode through one
helper (patients/views._get_episode): an episode of another patient is not found, even
for a user who may see both patients."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_episode

PAGES = [  # (url name, its other arguments, who uses it); every one a GET page
    ("plan_edit", {}, "practitioner"),
    ("episode_edit", {}, "admin"),
    ("response_enter", {"instrument_id": "nrs"}, "admin"),
    ("episode_report", {"kind": "progress"}, "admin"),
]


@pytest.mark.parametrize(("name", "extra", "who"), PAGES)
def test_an_episode_of_another_patient_is_not_found(world, login, name, extra, who):
    user = getattr(world, who)
    client = login(user)
    theirs = make_episode(world.other_patient, user)
    url = reverse(name, kwargs={"pk": world.patient.pk, "episode_pk": theirs.pk, **extra})
    assert client.get(url).status_code == 404
    own = make_episode(world.patient, user)
    url = reverse(name, kwargs={"pk": world.patient.pk, "episode_pk": own.pk, **extra})
    assert client.get(url).status_code == 200


def test_a_screening_cannot_be_started_on_another_patients_episode(world, login):
    client = login(world.practitioner)
    theirs = make_episode(world.other_patient, world.practitioner)
    url = reverse("screening_new", kwargs={"pk": world.patient.pk, "episode_pk": theirs.pk})
    assert client.post(url, {"kind": "intake"}).status_code == 404
