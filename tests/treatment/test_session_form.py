"""The session form's written-out parts give the answers the ORM's form gave."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from acuback.accounts.models import Location
from acuback.treatment.forms import SessionForm
from acuback.treatment.models import Session
from tests.factories import make_location, make_session


def form(world, location) -> SessionForm:
    session = make_session(world.patient, world.practitioner_record, world.location)
    return SessionForm({"version": 1, "location": location, "needles_removed": 0},
                       instance=session, patient=world.patient)


def test_the_location_is_one_of_the_patients_clinics_active_locations(world):
    second = make_location(world.clinic, "US-MN")
    chosen = form(world, str(second.pk))
    assert chosen.is_valid(), chosen.errors
    assert chosen.cleaned_data["location"] == second
    assert chosen.cleaned_data["location"].clinic_id == world.clinic.pk
    closed = make_location(world.clinic, "US-IA")
    Location.objects.filter(pk=closed.pk).update(is_active=False)
    elsewhere = Location.objects.exclude(clinic=world.clinic).first()
    for wrong in (str(closed.pk), str(elsewhere.pk), "abc", "-1", "99999999999999999999", "0"):
        refused = form(world, wrong)
        assert not refused.is_valid()
        assert refused.errors["location"] == [
            "Select a valid choice. That choice is not one of the available choices."]
    assert form(world, "").errors["location"] == ["This field is required."]
    # The page offers the same ones.
    offered = [pk for pk, _ in form(world, "").fields["location"].choices if pk]
    assert sorted(int(str(pk)) for pk in offered) == sorted([world.location.pk, second.pk])


def test_the_needle_count_check_holds_unless_the_counts_are_left_out(world):
    session = make_session(world.patient, world.practitioner_record, world.location)
    session.needles_inserted, session.needles_removed = 2, 3
    with pytest.raises(ValidationError, match="removed_not_above_inserted|Constraint"):
        session.validate_constraints()
    session.validate_constraints(exclude={"needles_inserted"})  # as Django: skipped
    session.needles_removed = 2
    session.validate_constraints()
    assert Session.objects.filter(pk=session.pk).exists()
