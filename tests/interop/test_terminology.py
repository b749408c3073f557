"""Issue 30 §4, terminology: HL7 code systems in their exact case, Attachment.hash as R4
defines it."""

from __future__ import annotations

import hashlib
from base64 import b64encode

import pytest

from acuback.interop import mapping

# R4 4.0.1's CodeSystem adverse-event-seriousness (case-sensitive): the two top codes,
# "Non-serious" and "Serious" (later terminology releases lower-cased them; R4 did not).
R4_SERIOUSNESS = {"Non-serious", "Serious"}
# R4 4.0.1's CodeSystem adverse-event-severity (case-sensitive).
R4_SEVERITY = {"mild", "moderate", "severe"}


@pytest.mark.parametrize("severity, seriousness", [
    ("minor", "Non-serious"), ("needed_treatment", "Non-serious"), ("serious", "Serious")])
def test_adverse_event_seriousness_uses_the_r4_codes_in_their_case(record, severity,
                                                                   seriousness):
    record.event.severity = severity
    ae = mapping.adverse_event(record.event)
    codings = {c["system"]: c["code"] for c in ae["seriousness"]["coding"]}
    assert codings == {
        "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness": seriousness}
    assert seriousness in R4_SERIOUSNESS
    hl7 = [c for c in ae["severity"]["coding"] if "terminology.hl7.org" in c["system"]]
    assert [c["code"] for c in hl7] == [mapping.AE_SEVERITY[severity]]
    assert hl7[0]["code"] in R4_SEVERITY


def test_a_consent_attachment_hash_is_sha1_and_the_sha256_is_kept_beside_it(record):
    consent = mapping.consent(record.consent)
    attachment = consent["sourceAttachment"]
    body = record.consent.form.body.encode()
    # R4 Attachment.hash: "The calculated hash of the data using SHA-1. Represented using
    # base64."
    assert attachment["hash"] == b64encode(hashlib.sha1(body, usedforsecurity=False).digest()).decode()
    sha256 = [e for e in attachment["extension"] if e["url"].endswith("/sha256")]
    assert sha256 == [{"url": f"{mapping.EXT}/sha256",
                       "valueBase64Binary": b64encode(hashlib.sha256(body).digest()).decode()}]


def test_a_phq9_observation_carries_its_loinc_total_code(record):
    from acuback.outcomes import services as outcomes
    from tests.factories import request_for

    response = outcomes.response_save(
        patient=record.patient, episode=record.episode, instrument_id="phq9",
        time_point="baseline", answers=dict.fromkeys(range(1, 10), 1), submit=True,
        completed_by="patient", request=request_for(record.practitioner))
    observation = mapping.observation(response)
    codings = observation["code"]["coding"]
    # 44261-6: "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]" (loinc.org)
    assert codings[0] == {"system": "http://loinc.org", "code": "44261-6"}
    assert codings[1]["code"] == "phq9"  # the local code stays beside it
    assert observation["valueQuantity"]["value"] == 9
