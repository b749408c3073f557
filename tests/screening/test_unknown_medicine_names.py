"""Issue #26 clinician re-test: a medicine name the table does not know (a misspelt
"warfrin") was accepted onto the list and silently read as harmless. The form asks the
clinician to choose its class, or "none of these classes", and records the choice; the
rules read it like the table's."""

from __future__ import annotations

import pytest

from acuback.audit.models import AuditEvent
from acuback.clinical.safety import InvalidAnswer
from acuback.screening.models import Medication
from tests.factories import make_signed_screening
from tests.screening.test_medication_lists_pages import intake, medicine, ready  # noqa: F401


def test_an_unknown_name_is_refused_until_its_class_is_chosen(ready, login):  # noqa: F811
    client = login(ready.practitioner)
    response = medicine(client, ready, "warfrin")
    assert response.status_code == 400
    assert "is not in the medicine table" in response.content.decode()
    assert not Medication.objects.filter(patient=ready.patient).exists()


def test_the_chosen_class_is_recorded_audited_and_read_by_the_rules(ready, login):  # noqa: F811
    client = login(ready.practitioner)
    assert medicine(client, ready, "warfrin", chosen_class="anticoagulant").status_code == 302
    entry = Medication.objects.get(patient=ready.patient)
    assert entry.chosen_class == "anticoagulant"
    assert AuditEvent.objects.filter(action="medication.add").exists()
    screening = intake(ready)
    assert "CI-ANTICOAG" in {f["rule"] for f in screening.decision["findings"]}


def test_none_of_these_is_recorded_and_the_medicines_question_is_still_asked(ready,  # noqa: F811
                                                                             login):
    client = login(ready.practitioner)
    assert medicine(client, ready, "paracetamol", chosen_class="none").status_code == 302
    assert Medication.objects.get(patient=ready.patient).chosen_class == "none"
    screening = intake(ready, takes_listed_medicines=False)
    assert not {"CI-ANTICOAG", "CI-ANTIPLATELET"} & {f["rule"] for f in
                                                     screening.decision["findings"]}


def test_a_known_name_needs_no_class_and_keeps_none(ready, login):  # noqa: F811
    client = login(ready.practitioner)
    assert medicine(client, ready, "Humira", chosen_class="none").status_code == 302
    assert Medication.objects.get(patient=ready.patient).chosen_class == ""
    screening = intake(ready)
    assert "CI-IMMUNO" in {f["rule"] for f in screening.decision["findings"]}


def test_an_unclassed_name_listed_before_the_rule_is_refused_at_the_screening(ready):  # noqa: F811
    Medication.objects.create(patient=ready.patient, name="warfrin",
                              recorded_by=ready.practitioner)
    with pytest.raises(InvalidAnswer) as refused:
        make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                              takes_listed_medicines=None)
    assert refused.value.field == "takes_listed_medicines" and "warfrin" in refused.value.message
