"""Issue #28 §6 and §9: the demo's pages, opened as each role would, speak in words and
can be used without a mouse or without sight.

Each role logs in to the demo clinic and follows the links from its home page (two
clicks deep); every page it reaches must:
- show no internal code, raw key or enum name ("CI-PREGNANCY", "BLOCK_EA",
  "Red_flags changed") and no path to a file;
- have a skip link to the main content;
- label every input, select and text box;
- point every aria-describedby at an element that exists;
- put every group of radio buttons in a fieldset with a legend (the question).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from django.core.management import call_command

ROLES = ("mlin", "frontdesk", "admin", "patient")
# Links that change state or download a file: not pages to read.
SKIP = re.compile(r"/(logout|export|download|pdf|ics|fhir|api|static|media)\b|\.(pdf|ics|csv|json)$")
MAX_PAGES = 80
# Pages left out of the words check, each with why; the next things to fix.
WORDS_EXEMPT = {"/clinic/audit/": "the audit log lists each event's action key verbatim "
                                  "(\"insights.research_export\"); words for every key is "
                                  "its own issue"}

# An internal code: capitals joined by "-" or "_" ("CI-PREGNANCY", "BLOCK_EA"), a raw
# snake_case key ("red_flags", "no_change", "Red_flags changed") or a file path.
CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b|\b[A-Z]{2,}(?:-[A-Z]{3,})+\b")
RAW_KEY = re.compile(r"\b[A-Za-z]+_[a-z]+(?:_[a-z]+)*\b")
# Not words on the page: code, and <cite>, the keys of the published sources a rule rests
# on ("BMJ-CES"), which docs/reference/safety.md lists with their titles (a citation, as in a
# paper; showing each source's title on the page is its own issue).
TEXT_NOT_READ = ("script", "style", "template", "cite")
FILE_PATH = re.compile(r"\b[\w./-]+/[\w.-]+\.(?:md|pdf|txt|py|html|json)\b")


class PageReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.described_by: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict]] = []
        self.radios_outside_fieldset: list[str] = []
        self.fieldsets_without_legend = 0
        self._skip_depth = 0
        self._label_depth = 0
        self._fieldsets: list[bool] = []  # per open fieldset: has it a legend yet
        self.first_link: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if a.get("aria-describedby"):
            self.described_by.extend(a["aria-describedby"].split())
        if tag in TEXT_NOT_READ:
            self._skip_depth += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self.first_link is None:
                self.first_link = a["href"]
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "fieldset":
            self._fieldsets.append(False)
        elif tag == "legend" and self._fieldsets:
            self._fieldsets[-1] = True
        elif tag in ("input", "select", "textarea"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind in ("hidden", "submit", "button", "reset", "image"):
                return
            self.controls.append((tag, {**a, "_wrapped": self._label_depth > 0}))
            if kind == "radio" and not self._fieldsets:
                self.radios_outside_fieldset.append(a.get("name", "?"))

    def handle_endtag(self, tag):
        if tag in TEXT_NOT_READ:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        elif tag == "fieldset" and self._fieldsets and not self._fieldsets.pop():
            self.fieldsets_without_legend += 1

    def handle_data(self, data):
        if not self._skip_depth:
            self.text.append(data)

    def unlabelled(self) -> list[str]:
        return [a.get("name") or a.get("id") or tag for tag, a in self.controls
                if not (a["_wrapped"] or a.get("aria-label") or a.get("aria-labelledby")
                        or a.get("title") or (a.get("id") and a["id"] in self.label_for))]


def read(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader


def plain_word_problems(text: str) -> list[str]:
    return sorted({m.group(0) for pattern in (CODE, RAW_KEY, FILE_PATH)
                   for m in pattern.finditer(text)})


def page_problems(html: str, *, words: bool = True) -> list[str]:
    page = read(html)
    text = " ".join(" ".join(page.text).split()) if words else ""
    problems = [f"shows {token!r} in …{text[max(0, text.find(token) - 60):text.find(token) + 40]}…"
                for token in plain_word_problems(text)]
    if page.first_link != "#main" or "main" not in page.ids:
        problems.append("no skip link to #main first on the page")
    problems += [f"input without a label: {name}" for name in page.unlabelled()]
    problems += [f"aria-describedby points at missing #{i}" for i in page.described_by
                 if i not in page.ids]
    problems += [f"radio group {n} outside a fieldset" for n in
                 dict.fromkeys(page.radios_outside_fieldset)]
    if page.fieldsets_without_legend:
        problems.append(f"{page.fieldsets_without_legend} fieldset(s) without a legend")
    return problems


def crawl(client, starts=()) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    queue = [("/", 0)] + [(url, 1) for url in starts]
    while queue and len(seen) < MAX_PAGES:
        url, depth = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            seen[url] = []
            continue
        html = response.content.decode()
        seen[url] = page_problems(html, words=urlparse(url).path not in WORDS_EXEMPT)
        if depth < 2:
            for href in read(html).links:
                href = urldefrag(href)[0]
                parts = urlparse(href)
                if parts.scheme or parts.netloc or not href.startswith("/") or SKIP.search(href):
                    continue
                queue.append((href, depth + 1))
    return seen


@pytest.fixture
def demo(db, settings):
    from io import StringIO

    call_command("seed_demo", "--if-empty", stdout=StringIO())


def _forms_a_role_fills(client, username: str) -> list[str]:
    """The forms two clicks from home do not reach: registration, and for the practitioner a
    draft session (from the plan) and a draft pre-treatment check for patients whose safety
    profile blocks something (pregnancy, an implanted device, an anticoagulant)."""
    from acuback.accounts.models import Practitioner
    from acuback.patients.models import Patient
    from tests.factories import make_session

    if username == "patient":
        return ["/portal/intake/", "/portal/progress/", "/portal/book/", "/portal/consents/"]
    starts = ["/patients/new/"]
    if username != "mlin":
        return starts
    for family, given in (("Thompson", "Grace"), ("Martinez", "Sofia"), ("Dubois", "Carlos"),
                          ("Dubois", "Helen")):
        patient = Patient.objects.get(family_name=family, given_name=given)
        episode = patient.episodes.order_by("-pk").first()
        response = client.post(f"/patients/{patient.pk}/episodes/{episode.pk}/screenings/")
        assert response.status_code == 302
        starts.append(response["Location"])
        # The draft written directly: starting one needs today's pre-treatment check.
        practitioner = Practitioner.objects.get(user__username="mlin")
        session = make_session(patient, practitioner, patient.clinic.locations.first(),
                               episode=episode)
        starts.append(f"/patients/{patient.pk}/sessions/{session.pk}/")
        # The clinical record shows the safety banner with each blocked point and why.
        starts.append(f"/patients/{patient.pk}/clinical/")
    starts.append(_signed_check_with_changes(client))
    return starts


def _signed_check_with_changes(client) -> str:
    """A signed pre-treatment check whose "since the last visit" answers are on its page."""
    from acuback.patients.models import Patient
    from acuback.screening import services
    from acuback.screening.selectors import latest_signed_screening
    from tests.factories import request_for

    patient = Patient.objects.get(family_name="Martinez", given_name="Sofia")
    last = latest_signed_screening(patient)
    request = request_for(last.signed_by)
    check = services.screening_start(episode=last.episode, kind="pre_treatment", request=request)
    services.screening_sign(screening=check, answers=last.answers, expected_version=check.version,
                            referred_to=last.referred_to or "GP", patient_told="Told",
                            request=request, changes={"medicines": False, "pregnancy": False,
                                                      "symptoms": True, "red_flags": False})
    return f"/patients/{patient.pk}/screenings/{check.pk}/"


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_is_in_plain_words_and_labelled(demo, client, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    pages = crawl(client, _forms_a_role_fills(client, username))
    assert len(pages) > 3, pages
    problems = [f"{url}: {p}" for url, found in pages.items() for p in found]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("text, bad", [
    ("Red_flags changed", "Red_flags"), ("reason CI-PREGNANCY", "CI-PREGNANCY"),
    ("BLOCK_EA", "BLOCK_EA"), ("see docs/clinical-safety.md", "docs/clinical-safety.md"),
])
def test_the_check_finds_codes_keys_and_paths(text, bad):
    assert bad in plain_word_problems(text)


@pytest.mark.parametrize("text", [
    "Oswestry Disability Index", "EX-B2 and GV3, bilateral", "ICD-10-CM M54.50", "US-IL",
    "3 points lower than when you started: a change that matters",
])
def test_the_check_lets_words_and_point_codes_through(text):
    assert plain_word_problems(text) == []


def test_the_crawl_reaches_the_session_form_and_its_needle_table(demo, client):
    """The forms the practitioner fills at the couch are among the pages checked."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="mlin"))
    starts = _forms_a_role_fills(client, "mlin")
    session_pages = [u for u in starts if "/sessions/" in u]
    assert session_pages, starts
    html = client.get(session_pages[0]).content.decode()
    assert 'name="ins-0-point_code"' in html or 'ins-0-' in html
    assert page_problems(html) == []
