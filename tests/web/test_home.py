from __future__ import annotations

from django.urls import reverse

from acuback import signing
from acuback.audit.models import AuditEvent


def test_a_patient_sees_their_own_record_and_consents(world, login):
    page = login(world.patient_user).get(reverse("home")).content.decode()
    assert "Hello, Alice" in page and world.patient.mrn in page
    assert "Bruno" not in page
    assert AuditEvent.objects.filter(action="portal.view_own", patient=world.patient).exists()


def test_a_practitioner_sees_their_credentials(world, login):
    page = login(world.practitioner).get(reverse("home")).content.decode()
    assert "Your credentials" in page and "US-IL" in page


def test_a_clinic_admin_sees_credentials_needing_attention(world, login):
    from tests.factories import make_practitioner

    lapsing = make_practitioner(world.clinic, licence_in="US-IL", expires_in_days=10)
    page = login(world.admin).get(reverse("home")).content.decode()
    assert "Credentials needing attention" in page
    assert lapsing.display_name in page
    assert world.practitioner_record.display_name not in page.split("needing attention")[1].split(
        "Recently registered")[0]


def test_front_desk_home_offers_registration_but_no_admin(world, login):
    page = login(world.front_desk).get(reverse("home")).content.decode()
    assert reverse("patient_create") in page
    assert reverse("admin:index") not in page


def test_the_registry_marks_expired_red_and_expiring_amber(world, login):
    from tests.factories import make_practitioner

    expired = make_practitioner(world.clinic, expires_in_days=-1)
    expiring = make_practitioner(world.clinic, expires_in_days=59)
    response = login(world.front_desk).get(reverse("registry"))
    rows = {r.practitioner.pk: r for r in response.context["rows"]}
    assert rows[expired.pk].worst == "bad" and rows[expired.pk].cleared_at == []
    assert rows[expiring.pk].worst == "warn" and rows[expiring.pk].cleared_at == [world.location]
    assert rows[world.practitioner_record.pk].worst == "ok"
    page = response.content.decode()
    assert 'class="row-bad"' in page and 'class="row-warn"' in page


def test_the_registry_needs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    from tests.factories import make_practitioner

    for _ in range(10):
        make_practitioner(world.clinic)
    client = login(world.front_desk)
    with django_assert_max_num_queries(8):
        client.get(reverse("registry"))


def test_the_home_page_names_the_role_in_words(world, login):
    assert "Clinic admin" in login(world.admin).get(reverse("home")).content.decode()


def _main_nav(page: str) -> str:
    return page.split('<nav aria-label="Main">')[1].split("</nav>")[0]


def test_the_main_navigation_links_what_each_role_may_open_and_marks_the_page(world, login):
    nav = _main_nav(login(world.front_desk).get(reverse("calendar_day")).content.decode())
    assert f'<a href="{reverse("calendar_day")}" aria-current="page">Calendar</a>' in nav
    assert f'<a href="{reverse("patient_list")}">Patients</a>' in nav
    assert reverse("insights_dashboard") not in nav and reverse("admin:index") not in nav
    nav = _main_nav(login(world.admin).get(reverse("home")).content.decode())
    assert f'<a href="{reverse("home")}" aria-current="page">Home</a>' in nav
    assert nav.count("aria-current") == 1
    assert f'<a href="{reverse("api_tokens")}">API tokens</a>' in nav
    assert f'<a href="{reverse("insights_dashboard")}">Outcomes</a>' in nav


def test_the_practitioners_due_questionnaires_cost_the_same_for_more_episodes(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from acuback.outcomes import services as outcomes
    from acuback.outcomes.selectors import due_for, questionnaires_due_for_practitioner
    from acuback.treatment.models import Session
    from tests.factories import make_episode, make_patient, make_session, request_for

    def treat(family_name: str, baseline: bool):
        patient = make_patient(world.clinic, family_name=family_name)
        episode = make_episode(patient, world.practitioner)
        session = make_session(patient, world.practitioner_record, world.location,
                               episode=episode)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
        if baseline:
            outcomes.response_save(patient=patient, episode=episode, instrument_id="nrs",
                                   time_point="baseline", answers={1: 5}, submit=True,
                                   completed_by="staff", request=request_for(world.practitioner))

    client = login(world.practitioner)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    treat("Early", baseline=False)
    count()  # warm
    before = count()
    for k in range(4):
        treat(f"Later{k}", baseline=k % 2 == 0)
    assert count() <= before
    today = timezone.localdate()
    listed = questionnaires_due_for_practitioner(practitioner=world.practitioner_record,
                                                 on=today)
    # The same as asking each episode on its own, which the page did before.
    assert [(e.pk, d) for e, d in listed] == [(e.pk, due_for(e, today)) for e, _ in listed]
    assert {e.patient.family_name for e, _ in listed} >= {"Early", "Later1", "Later3"}
    page = client.get(reverse("home")).content.decode()
    assert "Baseline" in page and "Later1" in page
