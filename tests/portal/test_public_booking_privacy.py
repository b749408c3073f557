"""The public booking form does not tell a stranger whether an e-mail address is known to
the clinic (issue #25 §9): a known and an unknown address get the same answer, and the
link that books goes to the address, not to the person at the form (the slot held alike
for both: tests/portal/test_booking_hold.py)."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from acuback.patients.models import Patient
from acuback.scheduling.models import Appointment
from tests.factories import make_appointment
from tests.portal.test_portal import CHICAGO, bookable, new_patient_data  # noqa: F401


def _answer(response) -> str:
    """What the page says, without the parts that differ on every request."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    text = re.sub(r"nonce-[^\s\"';]+|nonce=\"[^\"]*\"", "", text)
    return re.sub(r"\b\d\d:\d\d\b", "HH:MM", text)  # each page restates its own time


def _book(client, bookable, email, hour=10):  # noqa: F811
    start = datetime.combine(bookable.day, time(hour), tzinfo=CHICAGO).isoformat()
    return client.post(reverse("public_book", args=[bookable.clinic.slug]),
                       new_patient_data(bookable, email=email, start=start))


def test_a_known_address_gets_the_same_answer_as_a_new_one(bookable, client):  # noqa: F811
    Patient.objects.filter(pk=bookable.patient.pk).update(email="alice@example.com")
    patients = Patient.objects.count()
    unknown = _book(client, bookable, "nia@example.com", hour=10)
    mail.outbox.clear()
    known = _book(client, bookable, "ALICE@example.com", hour=11)
    assert known.status_code == unknown.status_code == 200
    assert _answer(known) == _answer(unknown)
    # nothing booked or created before the link in the e-mail is used
    assert Appointment.objects.count() == 0 and Patient.objects.count() == patients
    # the owner gets the link, with only the clinic's words in it
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "/portal/book/confirm/" in message.body
    assert "Nia" not in message.body  # what the stranger typed is not passed on


def test_an_address_with_an_account_gets_the_same_answer_too(bookable, client):  # noqa: F811
    get_user_model().objects.create_user(username="staff@example.com",
                                         email="staff@example.com")
    unknown = _book(client, bookable, "nia@example.com", hour=10)
    known = _book(client, bookable, "staff@example.com", hour=11)
    assert _answer(known) == _answer(unknown)
    assert not Patient.objects.filter(email="staff@example.com").exists()


def test_a_slot_that_cannot_be_booked_is_said_alike_for_both(bookable, client):  # noqa: F811
    Patient.objects.filter(pk=bookable.patient.pk).update(email="alice@example.com")
    make_appointment(bookable, start=datetime.combine(bookable.day, time(10), tzinfo=CHICAGO))
    mail.outbox.clear()
    unknown = _book(client, bookable, "nia@example.com")
    known = _book(client, bookable, "alice@example.com")
    assert known.status_code == unknown.status_code == 400
    assert known.context["problem"] == unknown.context["problem"]
    assert "already have a record" not in _answer(known)
    assert _answer(known) == _answer(unknown)
    assert mail.outbox == []
