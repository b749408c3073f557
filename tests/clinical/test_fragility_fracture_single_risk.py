"""Clinician re-test of issue #26 (item 4): a woman of 75 on long-term corticosteroids,
new back pain, no trauma, was PROCEED. Downie et al. (BMJ 2013;347:f7095) found prolonged
corticosteroid use the history red flag with the highest post-test probability of
fracture (33 %, 95 % CI 10-67 %); safety.md RF-08 lists corticosteroid use and older age
(men over 65, women over 75). Either, with new pain, fires RF-08 without trauma."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import Answers, Outcome, decide

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
ALL_NO = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="female",
                 back_pain_onset_age=40, back_pain_duration_weeks=2.0, first_back_pain_age=18)


def rf08(**answers):
    d = decide(dataclasses.replace(ALL_NO, **answers))
    return next((f for f in d.findings if f.rule_id == "RF-08"), None), d


def test_a_woman_of_75_on_long_term_steroids_with_new_pain_is_flagged():
    finding, d = rf08(age=75, back_pain_onset_age=75, new_episode=True,
                      medication_classes=frozenset({"corticosteroid"}),
                      takes_listed_medicines=True)
    assert finding is not None and finding.outcome is Outcome.SOON
    assert "corticosteroid" in finding.note and finding.acknowledgement
    assert d.outcome >= Outcome.SOON


@given(age=st.integers(18, 100), sex=st.sampled_from(["female", "male"]))
def test_prolonged_corticosteroid_use_with_new_pain_always_fires(age, sex):
    finding, _ = rf08(age=age, back_pain_onset_age=age, sex_at_birth=sex, new_episode=True,
                      medication_classes=frozenset({"corticosteroid"}),
                      takes_listed_medicines=True)
    assert finding is not None


def test_older_age_alone_with_new_pain_fires_as_the_reference_lists_it():
    assert rf08(age=66, back_pain_onset_age=66, sex_at_birth="male", new_episode=True)[0]
    assert rf08(age=76, back_pain_onset_age=76, new_episode=True)[0]
    assert rf08(age=75, back_pain_onset_age=75, new_episode=True)[0] is None  # women > 75


def test_long_standing_unchanged_pain_does_not_fire_on_a_risk_alone():
    assert rf08(age=80, back_pain_onset_age=60, new_episode=False,
                medication_classes=frozenset({"corticosteroid"}),
                takes_listed_medicines=True)[0] is None
