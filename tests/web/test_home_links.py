"""Issue #28 §3: every link on a role's home page is one that role may follow. The front
desk's "Questionnaires" beside an arrival led to the outcomes page, which needs the
clinical record: a 403."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urldefrag

import pytest
import time_machine
from django.core.management import call_command

from tests.web.test_home_day import day  # noqa: F401, F811 (the fixture: two visits today)

# Links that leave the page for another kind of thing: not pages to open here.
NOT_PAGES = re.compile(r"^(?!/)|/(logout|static|media)/|\.(pdf|ics|csv|json)$|/(pdf|ics)/")


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--if-empty", stdout=StringIO())


@pytest.mark.parametrize("username", ["mlin", "jporter", "frontdesk", "admin", "patient"])
def test_every_link_on_a_roles_home_page_answers_200_for_that_role(demo, client, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    assert _links_not_200(client) == {}


def _links_not_200(client) -> dict[str, int]:
    from tests.web.test_pages_in_plain_words import read

    home = client.get("/")
    assert home.status_code == 200
    links = {urldefrag(h)[0] for h in read(home.content.decode()).links}
    pages = sorted(h for h in links if h and not NOT_PAGES.search(h))
    assert len(pages) > 2, pages
    return {h: s for h, s in ((h, client.get(h).status_code) for h in pages) if s != 200}


@pytest.mark.parametrize("user", ["front_desk", "practitioner", "admin"])
def test_every_action_beside_todays_visits_answers_200_for_that_role(day, login, user):  # noqa: F811
    """Today's visits need consent, an episode, an intake and questionnaires, and one patient
    has an open safety alert: each need's link must be one the role may follow."""
    from acuback.outcomes.models import OutcomeAlert
    from tests.factories import make_episode

    make_episode(day.patient, day.practitioner)  # open episode: baseline questionnaires due
    OutcomeAlert.objects.create(patient=day.other_patient, kind="self_harm",
                                responsible=day.practitioner)
    with time_machine.travel(day.at, tick=False):
        client = login(getattr(day, user))
        html = client.get("/").content.decode()
        assert 'class="plain needs"' in html
        assert _links_not_200(client) == {}
