"""Clinician re-test of issue #26: after acknowledging "very superficial needling with
fine (0.20 mm) needles" (anticoagulant), BL23 at 40 mm with a 0.35 x 50 mm needle was
saved and signed. A precaution's depth and gauge ceiling is enforced at every save and at
the signature, naming the row."""

from __future__ import annotations

import pytest

from acuback.screening import services as screening_services
from acuback.screening.enforcement import NeedlingRefused
from acuback.treatment import services
from tests.factories import make_signed_screening, request_for
from tests.treatment.test_needle_sites import SET1, save, site, start


@pytest.fixture
def anticoagulated(ready):
    ready.intake = make_signed_screening(ready.patient, ready.practitioner,
                                         episode=ready.episode, takes_listed_medicines=True,
                                         medication_classes=["anticoagulant"])
    screening_services.precautions_acknowledge(
        screening=ready.intake, texts=list(ready.intake.decision["acknowledgements"]),
        request=request_for(ready.practitioner))
    return ready


@pytest.mark.parametrize(("depth", "gauge", "words"), [
    ("40", "0.35", "BL23"), ("40", "0.20", "depth"), ("8", "0.35", "gauge")])
def test_a_needle_beyond_the_precaution_is_refused_naming_the_row(anticoagulated, depth,
                                                                   gauge, words):
    session = start(anticoagulated)
    row = site("BL23", depth_mm=depth, gauge_mm=gauge, length_mm=50)
    with pytest.raises((NeedlingRefused, services.TreatmentError)) as refused:
        save(anticoagulated, session, [row], removed=2)
    assert "BL23" in str(refused.value) and words in str(refused.value)


def test_a_superficial_fine_needle_is_saved(anticoagulated):
    session = start(anticoagulated)
    saved = save(anticoagulated, session, [site("BL23", depth_mm="8", gauge_mm="0.20",
                                                length_mm=25)], removed=2)
    assert saved.needles_inserted == 2


def test_without_the_precaution_the_usual_needle_is_fine(ready):
    session = start(ready)
    saved = save(ready, session, [site("BL23", depth_mm="40", gauge_mm="0.35",
                                       length_mm=50)], removed=2, needle_sets=SET1)
    assert saved.needles_inserted == 2


def test_the_signature_checks_a_draft_saved_before_the_precaution(ready):
    session = start(ready)
    save(ready, session, [site("BL23", depth_mm="40", gauge_mm="0.35", length_mm=50)],
         removed=2)
    intake = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                   takes_listed_medicines=True,
                                   medication_classes=["anticoagulant"])
    screening_services.precautions_acknowledge(
        screening=intake, texts=list(intake.decision["acknowledgements"]),
        request=request_for(ready.practitioner))
    session.refresh_from_db()
    with pytest.raises(NeedlingRefused, match="Row 1 \\(BL23\\): depth 40"):
        services.session_sign(session=session, expected_version=session.version,
                              request=request_for(ready.practitioner))
