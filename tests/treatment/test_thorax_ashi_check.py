"""Issue #26 clinician re-test: an Ashi point over the upper back was signed without the
pneumothorax symptom check; any needle site over the thorax, named or Ashi, needs it."""

from __future__ import annotations

import pytest

from acuback.treatment import services
from tests.treatment.test_needle_sites import save_and_sign, site, start


def ashi(where: str) -> dict:
    return site("", side="left", point_code="", location_text=where, depth_mm="10",
                angle="oblique")


@pytest.mark.parametrize("where", ["left T6 paraspinal", "right chest wall", "tender spot"])
def test_an_ashi_site_over_the_thorax_needs_the_symptom_check_to_sign(ready, where):
    session = start(ready)
    with pytest.raises(services.NotSigned, match="symptom check"):
        save_and_sign(ready, session, [ashi(where)], removed=1)
    signed = save_and_sign(ready, session, [ashi(where)], removed=1, chest_check="clear")
    assert signed.is_signed


def test_a_lumbar_ashi_site_and_a_lumbar_jiaji_need_no_check(ready):
    session = start(ready)
    jiaji = site("EX-B2", side="bilateral", location_text="L4", depth_mm="15")
    assert save_and_sign(ready, session, [ashi("left L4 paraspinal"), jiaji],
                         removed=3).is_signed
