"""Issue #26 clinician re-test: a platelet count of 10 on the list (no antithrombotic) was
shown at the pre-needling check but needed no acknowledgement, though the lists page says
"the practitioner acknowledges the value". Project rule: any dated INR or platelet result
on the list is acknowledged, with its value and age, before the first needle and before
cupping or gua sha (no deferral threshold is sourced)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import decide
from acuback.screening import services as screening_services
from acuback.screening.enforcement import NeedlingRefused
from acuback.treatment import services
from tests.clinical.test_coded_serious_causes import CLEAR
from tests.factories import clinic_today, request_for
from tests.screening.test_medication_lists_pages import add, check, intake
from tests.screening.test_medication_lists_pages import ready as ready  # noqa: F401
from tests.treatment.test_needle_sites import SET1, data, site, start


@pytest.mark.parametrize(("kind", "value", "shown"), [
    ("platelets", "10", "platelet count 10 x10^9/L (2 days old)"),
    ("inr", "3.8", "INR 3.8 (2 days old)"),
])
def test_a_result_on_the_list_must_be_acknowledged_before_needling_and_cupping(
        ready, login, kind, value, shown):  # noqa: F811
    client = login(ready.practitioner)
    taken = clinic_today(ready.clinic) - timedelta(days=2)
    assert add(client, ready, "result", kind=kind, value=value,
               taken_on=taken).status_code == 302
    screening = intake(ready, takes_listed_medicines=False)
    result = check(ready)
    assert not result.allowed
    assert any(p.startswith("Acknowledge before the first needle: Blood results") and shown in p
               for p in result.problems), result.problems
    # The session gate (start, every save, the signature; needles and cupping alike).
    with pytest.raises(NeedlingRefused, match="Blood results"):
        start(ready)
    with pytest.raises(NeedlingRefused, match="Blood results"):
        check_with_cupping(ready)
    screening_services.precautions_acknowledge(
        screening=screening, texts=list(screening.decision["acknowledgements"]),
        request=request_for(ready.practitioner))
    assert check(ready).allowed
    session = start(ready)
    session.refresh_from_db()
    saved = services.session_save(
        session=session, data=data(0) | {"adjuncts": [{"kind": "cupping",
                                                       "region": "lower_back"}]},
        insertions=[site("BL23")], needle_sets=SET1, expected_version=session.version,
        request=request_for(ready.practitioner))
    assert saved.acknowledgements and shown in saved.acknowledgements[-1]


def check_with_cupping(world):
    from acuback.screening.enforcement import require_needling_allowed

    return require_needling_allowed(
        patient=world.patient, practitioner=world.practitioner_record,
        location=world.location, on=clinic_today(world.location), electroacupuncture=False,
        point_codes=[], adjuncts=[{"kind": "cupping", "region": "lower_back"}])


@given(platelets=st.one_of(st.none(), st.floats(0, 1000, allow_nan=False)),
       inr=st.one_of(st.none(), st.floats(0.5, 12, allow_nan=False)),
       age=st.one_of(st.none(), st.integers(0, 400)))
def test_every_result_on_file_asks_for_its_acknowledgement(platelets, inr, age):
    d = decide(dataclasses.replace(CLEAR, platelet_count=platelets, platelet_age_days=age,
                                   inr=inr, inr_age_days=age))
    acks = [a for a in d.acknowledgements if a.startswith("Blood results")]
    if platelets is None and inr is None:
        assert acks == []
    else:
        assert len(acks) == 1
        if platelets is not None:
            assert f"platelet count {platelets:g}" in acks[0]
        if inr is not None:
            assert f"INR {inr:g}" in acks[0]
