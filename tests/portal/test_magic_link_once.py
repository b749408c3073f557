"""A login link is claimed before it logs anyone in: two requests with the same link
(a double click, a mail scanner racing the patient) give one session, not two."""

from __future__ import annotations

import pytest

from acuback.portal import services


def test_two_uses_of_one_link_before_either_logs_in_give_one_session(world):
    token = services.magic_link_token(world.patient_user)
    assert services.magic_link_user(token) == world.patient_user  # the first request …
    with pytest.raises(services.PortalError, match="already been used"):
        services.magic_link_user(token)  # … and the second, before the first has logged in
