"""Every resource acuback produces is valid FHIR R4 (fhir.resources R4B models) and
carries the codes the clinical documents verify."""

from __future__ import annotations

import pytest

from acuback.interop import mapping
from acuback.interop.resources import KINDS
from acuback.interop.services import everything


def _ext(resource, name):
    return [e for e in resource.get("extension", []) if e["url"].endswith("/" + name)]


def test_every_kind_of_resource_validates(record):
    produced = {}
    for kind in KINDS.values():
        rows = list(kind.scoped(record.admin, record.clinic.pk))
        assert rows, f"the fixture has no {kind.name}"
        for row in rows:
            resource = kind.to_fhir(row)  # validates, or raises InvalidResource
            produced.setdefault(kind.name, resource)
    # A Group is read on its own (a practitioner's patients), not through a Kind.
    produced["Group"] = mapping.group(record.practitioner_record, [record.patient.pk])
    assert set(produced) == set(mapping.RESOURCE_TYPES)


def test_the_patient_carries_mrn_birth_sex_and_clinic(record):
    p = mapping.patient(record.patient)
    assert p["identifier"][0]["value"] == record.patient.mrn
    assert p["identifier"][0]["system"].endswith(f"/sid/mrn/{record.clinic.slug}")
    assert p["birthDate"] == "1980-05-17" and p["name"][0]["family"] == "Archer"
    assert p["managingOrganization"]["reference"] == f"Organization/{record.clinic.pk}"


def test_the_condition_has_the_icd10cm_codes(record):
    c = mapping.condition(record.episode)
    codes = [(x["system"], x["code"]) for x in c["code"]["coding"]]
    assert codes == [(mapping.ICD10CM, "M54.50"), (mapping.ICD10CM, "M54.16")]
    assert c["clinicalStatus"]["coding"][0]["code"] == "active"


def test_the_procedure_carries_cpt_codes_and_each_needle(record):
    p = mapping.procedure(record.session, list(record.session.insertions.all()))
    assert sorted(x["code"] for x in p["code"]["coding"]) == ["97813", "97814"]
    assert all(x["system"] == mapping.CPT for x in p["code"]["coding"])
    needles = _ext(p, "needle-insertion")
    assert len(needles) == 2
    parts = {e["url"]: e for e in needles[0]["extension"]}
    assert parts["point"]["valueCoding"]["code"] == "BL23"
    assert parts["depth"]["valueQuantity"] == {"value": 25, "unit": "mm",
                                               "system": mapping.UCUM, "code": "mm"}
    assert parts["retention"]["valueQuantity"]["value"] == 20
    assert parts["stimulation"]["valueCode"] == "electrical"
    assert parts["frequency"]["valueQuantity"]["value"] == 2
    assert _ext(p, "electroacupuncture")[0]["valueBoolean"] is True


def test_observations_use_verified_loinc_codes_only(record):
    odi = mapping.observation(record.odi)
    assert {"system": mapping.LOINC, "code": "97909-6"} in odi["code"]["coding"]
    assert odi["valueQuantity"]["value"] == 40 and odi["valueQuantity"]["code"] == "%"
    nrs = mapping.observation(record.nrs)
    # the NRS LOINC code is not marked verified in instruments.md: local code only
    assert [c["system"] for c in nrs["code"]["coding"]] == [f"{mapping.NS}/CodeSystem/instrument"]


def test_the_questionnaire_response_sends_answers_not_licensed_wording(record):
    qr = mapping.questionnaire_response(record.odi)
    assert len(qr["item"]) == 10 and "text" not in qr["item"][0]
    assert qr["item"][0]["answer"] == [{"valueInteger": 2}]


def test_adverse_event_severity_maps_to_the_fhir_value_set(record):
    ae = mapping.adverse_event(record.event)
    assert ae["severity"]["coding"][0]["code"] == "mild"
    assert ae["seriousness"]["coding"][0]["code"] == "Non-serious"  # R4's case
    assert ae["suspectEntity"][0]["instance"]["reference"] == f"Procedure/{record.session.pk}"


def test_a_withdrawn_consent_is_inactive(record):
    from django.utils import timezone

    record.consent.withdrawn_at = timezone.now()
    assert mapping.consent(record.consent)["status"] == "inactive"


def test_an_invalid_resource_is_refused():
    with pytest.raises(mapping.InvalidResource):
        mapping.validate({"resourceType": "Patient", "birthDate": "17 May 1980"})


def test_everything_holds_the_patient_and_their_record_only(record):
    resources = everything(patient=record.patient, user=record.admin,
                           clinic_id=record.clinic.pk)
    types = [r["resourceType"] for r in resources]
    assert types[0] == "Patient" and "Practitioner" in types and "Coverage" in types
    patient_refs = {r.get("subject", r.get("patient", r.get("beneficiary", {})))
                    .get("reference") for r in resources if r["resourceType"] in (
                        "Condition", "Observation", "Consent", "Coverage", "AdverseEvent")}
    assert patient_refs == {f"Patient/{record.patient.pk}"}


def test_the_server_preloads_a_model_for_every_resource_type_it_writes():
    """`acuback serve` loads these before forking; a name R4B does not know fails here
    rather than in a worker's first FHIR request."""
    import sys

    mapping.load_models()
    for resource_type in mapping.RESOURCE_TYPES:
        assert f"fhir.resources.R4B.{resource_type.lower()}" in sys.modules
