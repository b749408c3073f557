"""Links in e-mails and the resources a PDF loads never depend on the request's Host
header (issue #25 §9): links come from ACUBACK_BASE_URL; a PDF reads the project's static
files from disk and fetches nothing over the network or from a file:// path in text."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.outcomes import services as outcome_services
from acuback.treatment.models import Session
from acuback.web import pdf
from tests.factories import make_episode, make_session, make_signed_screening, request_for
from tests.portal.test_portal import bookable, new_patient_data  # noqa: F401 (fixture)
from tests.queued_tasks import run_queued_tasks

BASE = "https://clinic.example.org"
EVIL = "evil.example"
PAYLOAD = '<img src="file:///etc/passwd"> http://169.254.169.254/latest/meta-data'


@pytest.fixture
def forged_host(settings):
    """A deployment that answers any Host (a wildcard behind a proxy), reached with a
    forged one."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.ACUBACK_BASE_URL = BASE
    return {"HTTP_HOST": EVIL}


def _links(body: str) -> list[str]:
    return [word for word in body.split() if "://" in word]


def test_the_magic_link_e_mail_links_to_the_configured_address(world, client, forged_host):
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    client.post(reverse("portal_login"), {"email": "alice@example.com"}, **forged_host)
    run_queued_tasks()
    [message] = mail.outbox
    links = _links(message.body)
    assert links and all(link.startswith(BASE + "/portal/magic/") for link in links)
    assert EVIL not in message.body


def test_the_new_patient_e_mail_links_to_the_configured_address(bookable, client,  # noqa: F811
                                                                 forged_host):
    response = client.post(reverse("public_book", args=[bookable.clinic.slug]),
                           new_patient_data(bookable), **forged_host)
    assert response.status_code == 200
    [request_mail] = mail.outbox
    [link] = _links(request_mail.body)  # the link that confirms the held slot
    assert link.startswith(BASE + "/portal/book/confirm/") and EVIL not in request_mail.body
    client.post(link.removeprefix(BASE), **forged_host)
    booked_mail = mail.outbox[-1]
    links = _links(booked_mail.body)
    assert len(links) == 2 and all(link.startswith(BASE + "/") for link in links)
    assert EVIL not in booked_mail.body


def test_the_questionnaire_link_e_mail_links_to_the_configured_address(world, login,
                                                                        forged_host):
    episode = make_episode(world.patient, world.practitioner)
    world.patient.email = "alice@example.com"  # links go only to the record's address
    world.patient.save(update_fields=["email"])
    login(world.practitioner).post(
        reverse("link_send", args=[world.patient.pk, episode.pk]),
        {"instruments": ["nrs"], "time_point": "baseline", "delivery": "email"},
        **forged_host)
    [message] = mail.outbox
    links = _links(message.body)
    assert links and all(link.startswith(BASE + "/q/") for link in links)
    assert EVIL not in message.body


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint's own fetcher (network, file://) is asked for, and every URL
    the PDF fetcher serves or refuses."""
    from weasyprint.urls import URLFetcher

    seen = {"network": [], "served": [], "refused": []}
    real_fetch, real_static = URLFetcher.fetch, pdf.static_only_fetcher

    def network(self, url, headers=None):
        seen["network"].append(url)
        return real_fetch(self, url, headers)

    def static(url):
        try:
            response = real_static(url)
        except pdf.ResourceRefused:
            seen["refused"].append(url)
            raise
        seen["served"].append(url)
        return response

    monkeypatch.setattr(URLFetcher, "fetch", network)
    monkeypatch.setattr(pdf, "static_only_fetcher", static)
    return seen


def _every_pdf(world):
    """The URL of each PDF the system makes, for a patient whose text carries the payload."""
    from datetime import date

    from acuback.billing.models import CoveragePlan, Payer

    world.patient.family_name = PAYLOAD
    world.patient.save()
    screening = make_signed_screening(world.patient, world.practitioner, saddle_numbness=True,
                                      referred_to=PAYLOAD, patient_told=PAYLOAD)
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"],
                           goals=PAYLOAD)
    session = make_session(world.patient, world.practitioner_record, world.location,
                           episode=episode, subjective=PAYLOAD)
    with signing.signing():  # arranging a note signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now(),
                                                     cpt_codes={"97810": 1})
    payer = Payer.objects.create(clinic=world.clinic, name=PAYLOAD, kind="commercial")
    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="M-1",
                                effective_from=date(2025, 1, 1))
    outcome_services.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                                   time_point="baseline", answers={1: 6}, submit=True,
                                   completed_by="staff", request=request_for(world.practitioner))
    return [reverse("referral_letter", args=[world.patient.pk, screening.pk]),
            reverse("patient_superbill", args=[world.patient.pk]),
            reverse("episode_report", args=[world.patient.pk, episode.pk, "progress"]),
            reverse("episode_report", args=[world.patient.pk, episode.pk, "discharge"])]


def test_every_pdf_loads_only_static_files_from_disk(world, login, forged_host, fetched):
    client = login(world.admin)
    urls = _every_pdf(world)
    for url in urls:
        response = client.get(url, {"format": "pdf"}, **forged_host)
        assert response["Content-Type"] == "application/pdf", url
    assert fetched["network"] == []  # nothing through WeasyPrint's own fetcher
    assert fetched["served"] and all(u.startswith(BASE + "/static/") for u in fetched["served"])
    assert not any(EVIL in u or "passwd" in u for u in fetched["served"])


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://169.254.169.254/latest/meta-data",
    f"http://{EVIL}/static/acuback/site.css", BASE + "/static/../../../../etc/passwd",
    BASE + "/static/%2e%2e/%2e%2e/etc/passwd", BASE + "/static/acuback/nothing.css",
    BASE + "/patients/1/", "ftp://example.org/x"])
def test_the_pdf_fetcher_refuses_everything_but_static_files(settings, url):
    settings.ACUBACK_BASE_URL = BASE
    with pytest.raises(pdf.ResourceRefused):
        pdf.static_only_fetcher(url)


def test_the_pdf_fetcher_serves_the_stylesheet_from_disk(settings):
    settings.ACUBACK_BASE_URL = BASE
    response = pdf.static_only_fetcher(BASE + "/static/acuback/site.css")
    assert response.content_type == "text/css" and b"{" in response.read()


def test_markup_in_a_pdf_page_fetches_no_file_and_no_network(settings, fetched):
    from weasyprint import HTML

    settings.ACUBACK_BASE_URL = BASE
    HTML(string='<link rel="stylesheet" href="/static/acuback/site.css">'
                '<img src="file:///etc/passwd"><img src="http://169.254.169.254/x.png">'
                '<link rel="attachment" href="file:///etc/passwd">',
         base_url=BASE + "/", url_fetcher=pdf.static_only_fetcher).write_pdf()
    assert fetched["network"] == []
