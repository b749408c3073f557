"""Issue #26 item 4 on the chart: the lists are recorded, stopped or marked entered in
error (never deleted), audited, read by the rules at every screening, and a change after
the last screening holds needling until the next check reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.clinical.safety import InvalidAnswer
from acuback.patients.models import ConsentKind
from acuback.screening import services
from acuback.screening.enforcement import needling_check
from acuback.screening.models import EntryStatus, LabResult, ListReview, Medication
from acuback.screening.selectors import safety_profile
from tests.factories import (
    clinic_today,
    make_consent,
    make_episode,
    make_signed_screening,
    request_for,
)


@pytest.fixture
def ready(world):
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    world.episode = make_episode(world.patient, world.practitioner)
    return world


def add(client, world, which, **fields):
    return client.post(reverse("list_entry_add", args=[world.patient.pk, which]),
                       {f"{which}-{k}": v for k, v in fields.items()})


def medicine(client, world, name, **fields):
    return add(client, world, "medication", kind="medicine", name=name, **fields)


def intake(world, **answers):
    # The medicines question left to the list (a listed medicine answers it).
    return make_signed_screening(world.patient, world.practitioner, episode=world.episode,
                                 **{"takes_listed_medicines": None, **answers})


def check(world):
    return needling_check(patient=world.patient, practitioner=world.practitioner_record,
                          location=world.location, on=clinic_today(world.location),
                          electroacupuncture=False, point_codes=[])


def test_warfarin_aspirin_clopidogrel_on_the_list_escalate_at_the_check(ready, login):
    client = login(ready.practitioner)
    for name in ("Warfarin", "aspirin 75 mg", "Plavix"):
        assert medicine(client, ready, name).status_code == 302
    screening = intake(ready)
    rules = {f["rule"] for f in screening.decision["findings"]}
    assert {"CI-ANTICOAG", "CI-ANTIPLATELET", "CI-ANTITHROMBOTIC-2"} <= rules
    result = check(ready)
    assert not result.allowed
    # In words (issue #28 §6): the finding's title, not its rule id.
    assert any(p.startswith("Two or more antithrombotic medicines") and
               "aspirin, clopidogrel, warfarin" in p
               for p in result.problems)


@pytest.mark.parametrize("inr", ["4.5", "2.0"])
def test_the_inr_and_its_age_are_shown_at_the_pre_needling_check(ready, login, inr):
    client = login(ready.practitioner)
    medicine(client, ready, "warfarin", dose="5 mg")
    taken = clinic_today(ready.clinic) - timedelta(days=3)
    assert add(client, ready, "result", kind="inr", value=inr, taken_on=taken).status_code == 302
    intake(ready)
    page = client.get(reverse("needling_check", args=[ready.patient.pk])).content.decode()
    shown = f"INR {float(inr):g} (3 days old)"
    assert shown in page
    other = "INR 2 (3 days old)" if inr == "4.5" else "INR 4.5 (3 days old)"
    assert other not in page
    profile = safety_profile(patient=ready.patient, on=clinic_today(ready.clinic))
    assert any(shown in a for a in profile.missing_acknowledgements)


def test_a_list_change_after_the_screening_holds_needling_until_the_next_check(ready, login):
    client = login(ready.practitioner)
    intake(ready, takes_listed_medicines=False)
    assert check(ready).allowed
    medicine(client, ready, "apixaban")
    result = check(ready)
    assert not result.allowed
    assert any("medication list changed after the last screening" in p for p in result.problems)
    # The next check reads it: the "no" is contradicted by the list and refused, naming it.
    with pytest.raises(InvalidAnswer) as refused:
        intake(ready, takes_listed_medicines=False)
    assert refused.value.field == "takes_listed_medicines"
    screening = intake(ready)
    assert "CI-ANTICOAG" in {f["rule"] for f in screening.decision["findings"]}
    assert ListReview.objects.filter(screening=screening).exists()


def test_stop_and_entered_in_error_keep_the_row_and_are_audited(ready, login):
    client = login(ready.practitioner)
    medicine(client, ready, "warfarin", started_on=clinic_today(ready.clinic) - timedelta(days=30))
    medicine(client, ready, "aspirn", chosen_class="antiplatelet")  # not in the table
    warfarin, typo = Medication.objects.order_by("pk")
    url = reverse("list_entry_change", args=[ready.patient.pk, "medication", warfarin.pk, "stop"])
    assert client.post(url, {"on": clinic_today(ready.clinic)}).status_code == 302
    url = reverse("list_entry_change", args=[ready.patient.pk, "medication", typo.pk, "error"])
    assert client.post(url, {"reason": ""}).status_code == 400  # a reason is needed
    assert client.post(url, {"reason": "Misspelt; re-entered"}).status_code == 302
    warfarin.refresh_from_db()
    typo.refresh_from_db()
    assert warfarin.status == EntryStatus.STOPPED and warfarin.stopped_on
    assert typo.status == EntryStatus.ENTERED_IN_ERROR and typo.error_reason
    assert Medication.objects.count() == 2
    actions = set(AuditEvent.objects.filter(patient=ready.patient).values_list("action",
                                                                               flat=True))
    assert {"medication.add", "medication.stop", "medication.entered_in_error"} <= actions
    # A stopped medicine no longer answers for its class.
    screening = intake(ready, takes_listed_medicines=False)
    assert "CI-ANTICOAG" not in {f["rule"] for f in screening.decision["findings"]}


def test_bad_input_is_refused_on_the_field(ready, login):
    client = login(ready.practitioner)
    tomorrow = clinic_today(ready.clinic) + timedelta(days=1)
    r = add(client, ready, "result", kind="inr", value="2.5", taken_on=tomorrow)
    assert r.status_code == 400 and "This date is in the future." in r.content.decode()
    r = add(client, ready, "result", kind="inr", value="-1", taken_on=clinic_today(ready.clinic))
    assert r.status_code == 400 and "greater than zero" in r.content.decode()
    r = add(client, ready, "problem", description="Back", icd10_code="M54")
    assert r.status_code == 400 and "category header" in r.content.decode()
    r = add(client, ready, "problem", description="Back", icd10_code="ZZZ.9")
    assert r.status_code == 400 and "not an ICD-10-CM code" in r.content.decode()
    r = add(client, ready, "allergy", category="other", substance="")
    assert r.status_code == 400 and "Name the substance." in r.content.decode()
    r = add(client, ready, "medication", kind="medicine", name="   ")
    assert r.status_code == 400
    r = medicine(client, ready, "warfarin", started_on="1800-01-01")
    assert r.status_code == 400
    assert client.post(reverse("list_entry_add", args=[ready.patient.pk, "x"])).status_code \
        == 404
    assert not LabResult.objects.exists() and not Medication.objects.exists()
    result = LabResult.objects.create(patient=ready.patient, kind="inr", value=2,
                                      taken_on=clinic_today(ready.clinic),
                                      recorded_by=ready.practitioner)
    url = reverse("list_entry_change", args=[ready.patient.pk, "result", result.pk, "stop"])
    assert client.post(url, {"on": clinic_today(ready.clinic)}).status_code == 400


def test_the_care_rule_applies(ready, login):
    client = login(ready.front_desk)
    assert medicine(client, ready, "warfarin").status_code == 403
    assert client.get(reverse("patient_lists", args=[ready.patient.pk])).status_code == 403
    client = login(ready.outsider)
    assert medicine(client, ready, "warfarin").status_code == 404
    assert not Medication.objects.exists()


def test_the_screening_page_shows_the_lists_with_their_last_review(ready, login):
    client = login(ready.practitioner)
    add(client, ready, "allergy", category="latex", substance="gloves")
    add(client, ready, "problem", description="Atrial fibrillation", icd10_code="I48.91")
    screening = intake(ready, takes_listed_medicines=False)
    page = client.get(reverse("screening_detail", args=[ready.patient.pk, screening.pk])
                      ).content.decode()
    assert "Latex: gloves" in page and "I48.91 Atrial fibrillation" in page
    assert "Last reviewed" in page
    services.lists_review(patient=ready.patient, request=request_for(ready.practitioner))
    assert ListReview.objects.filter(patient=ready.patient).count() == 2


def test_list_entries_refuse_a_raw_delete_and_a_review_refuses_an_update(ready, login):
    from django.db import DatabaseError, IntegrityError, connection, transaction

    client = login(ready.practitioner)
    medicine(client, ready, "warfarin")
    add(client, ready, "allergy", category="latex")
    add(client, ready, "problem", description="Atrial fibrillation")
    add(client, ready, "result", kind="inr", value="2.5", taken_on=clinic_today(ready.clinic))
    services.lists_review(patient=ready.patient, request=request_for(ready.practitioner))
    for statement in ("DELETE FROM screening_medication", "DELETE FROM screening_allergy",
                      "DELETE FROM screening_problem", "DELETE FROM screening_labresult",
                      "DELETE FROM screening_listreview",
                      "UPDATE screening_listreview SET reviewed_at = reviewed_at"):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)
    assert Medication.objects.count() == 1 and LabResult.objects.count() == 1
