"""Slot holds cannot be hoarded (issue #25 re-test): with 30-minute holds and 60 requests
an hour, one client could keep about 30 slots of a clinic held. Unconfirmed holds are
limited per e-mail address and per client address (ACUBACK_BOOKING_HOLDS_PER_EMAIL,
ACUBACK_BOOKING_HOLDS_PER_CLIENT; a project rule), with the same answer whether or not the
address is known to the clinic."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from acuback.patients.models import Patient
from acuback.scheduling.models import SlotHold
from tests.portal.test_portal import CHICAGO, bookable, new_patient_data  # noqa: F401

KNOWN = "alice@example.com"
NEW = "nia@example.com"


@pytest.fixture
def limited(bookable, settings):  # noqa: F811
    settings.ACUBACK_BOOKING_HOLDS_PER_EMAIL = 2
    settings.ACUBACK_BOOKING_HOLDS_PER_CLIENT = 3
    Patient.objects.filter(pk=bookable.patient.pk).update(email=KNOWN)
    return bookable


def _post(client, w, email, hour, later=0, address="10.1.1.1"):
    """A request for `hour` on the test's day, or `later` days after it."""
    day = w.day + timedelta(days=later)
    start = datetime.combine(day, time(hour), tzinfo=CHICAGO).isoformat()
    return client.post(reverse("public_book", args=[w.clinic.slug]),
                       {**new_patient_data(w, email=email, start=start),
                        "day": day.isoformat()}, REMOTE_ADDR=address)


def _answer(response) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    text = re.sub(r"nonce-[^\s\"';]+|nonce=\"[^\"]*\"", "", text)
    return text.replace(KNOWN, "<email>").replace(NEW, "<email>")


@pytest.mark.parametrize("email", [KNOWN, NEW])
def test_one_address_holds_at_most_its_share(limited, client, email):
    assert _post(client, limited, email, 9, address="10.1.1.1").status_code == 200
    assert _post(client, limited, email.upper(), 10, address="10.1.1.2").status_code == 200
    refused = _post(client, limited, email, 11, address="10.1.1.3")
    assert refused.status_code == 400
    assert "waiting for confirmation" in refused.content.decode()
    assert SlotHold.objects.live().count() == 2


def test_one_client_holds_at_most_its_share_whatever_the_addresses(limited, client):
    for n, hour in enumerate((9, 10, 11)):
        assert _post(client, limited, f"p{n}@example.com", hour).status_code == 200
    refused = _post(client, limited, "p9@example.com", 9, later=1)
    assert refused.status_code == 400 and "waiting for confirmation" in refused.content.decode()
    assert SlotHold.objects.live().count() == 3
    # another client is still served
    assert _post(client, limited, "p9@example.com", 9, later=1,
                 address="10.9.9.9").status_code == 200


def test_the_refusal_is_the_same_for_a_known_and_an_unknown_address(limited, client):
    answers = {}
    for email, hours, address in ((KNOWN, (9, 10, 11), "10.2.0."), (NEW, (9, 10, 11), "10.3.0.")):
        SlotHold.objects.all().delete()
        for n, hour in enumerate(hours[:2]):
            _post(client, limited, email, hour, address=address + str(n))
        answers[email] = _post(client, limited, email, hours[2], address=address + "9")
    assert answers[KNOWN].status_code == answers[NEW].status_code == 400
    assert _answer(answers[KNOWN]) == _answer(answers[NEW])


def test_an_expired_or_confirmed_hold_no_longer_counts(limited, client):
    _post(client, limited, NEW, 9)
    _post(client, limited, NEW, 10)
    first = SlotHold.objects.order_by("pk").first()
    SlotHold.objects.filter(pk=first.pk).update(expires_at=first.created_at - timedelta(
        minutes=1))
    assert _post(client, limited, NEW, 11).status_code == 200
