"""The pregnancy lumbosacral block is a clinic setting the screening reads from the clinic
(issue #26 item 9, third pass)."""

from __future__ import annotations

from datetime import date

from acuback.clinicadmin.forms import ClinicSettingsForm
from acuback.screening.forms import derived_answers
from tests.factories import make_episode


def test_the_screening_reads_the_clinic_setting(world):
    episode = make_episode(world.patient, world.practitioner)
    on = date(2026, 3, 1)
    assert derived_answers(patient=world.patient, episode=episode,
                           on=on)["pregnancy_lumbosacral_blocked"] is True
    world.clinic.pregnancy_blocks_lumbosacral = False
    world.clinic.save()
    world.patient.refresh_from_db()
    assert derived_answers(patient=world.patient, episode=episode,
                           on=on)["pregnancy_lumbosacral_blocked"] is False


def test_the_clinic_admin_sets_it_on_the_clinic_settings_form():
    assert "pregnancy_blocks_lumbosacral" in ClinicSettingsForm.base_fields


def test_the_setting_is_asked_a_post_without_it_changes_nothing(world, login):
    from django.urls import reverse

    settings = {"name": world.clinic.name, "time_zone": "America/Chicago",
                "reminder_hours_before": "24", "cancellation_notice_hours": "24",
                "record_retention_years": "10"}
    response = login(world.admin).post(reverse("clinic_admin"), settings)
    assert response.status_code == 400
    world.clinic.refresh_from_db()
    assert world.clinic.pregnancy_blocks_lumbosacral is True
    response = login(world.admin).post(reverse("clinic_admin"),
                                       {**settings, "pregnancy_blocks_lumbosacral": "False"})
    assert response.status_code == 302
    world.clinic.refresh_from_db()
    assert world.clinic.pregnancy_blocks_lumbosacral is False
