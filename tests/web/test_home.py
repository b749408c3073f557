from __future__ import annotations

from django.urls import reverse

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
