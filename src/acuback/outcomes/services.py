"""Writes: responses (drafts, submissions, corrections), links, licensed wording, alerts."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from acuback import sql
from acuback.audit.services import audit_record
from acuback.base_url import absolute_url
from acuback.clinical import instruments
from acuback.clinical.instruments.phq import self_harm_alert

from . import measures
from .models import (
    AlertKind,
    Channel,
    CollectionLink,
    InstrumentText,
    OutcomeAlert,
    QuestionnaireResponse,
    ResponseStatus,
)
from .schedule import CLINICIAN_ONLY, patient_answerable, schedule_for
from .tasks import charts_draw_later

LINK_SALT = "acuback.outcomes.link"


class OutcomeError(Exception):
    """A write refused; the message is for the user."""


class LinkInvalid(OutcomeError):
    pass


def wording_for(clinic, instrument_id: str) -> tuple[str, dict, str]:
    """("full" | "licensed" | "paraphrase", {item number: text}, copyright notice)."""
    instrument = instruments.get(instrument_id)
    # Written out (acuback.sql): each questionnaire page and submission reads it.
    loaded = next(iter(sql.fetch(InstrumentText, "t0.clinic_id = %s AND t0.instrument = %s",
                                 [clinic.pk, instrument_id])), None)  # one per clinic
    if loaded is not None:
        texts = {int(k): v.get("text", "") for k, v in loaded.items.items()}
        return "licensed", texts, loaded.copyright
    texts = {item.number: item.topic for item in instrument.items}
    return ("full" if instrument.ship_text else "paraphrase"), texts, ""


def open_draft(*, episode_id: int, instrument_id: str, time_point: str,
               link_id: int | None = None, supersedes_id: int | None = None,
               lock: bool = False) -> QuestionnaireResponse | None:
    """The draft of this questionnaire still open, or None; with `lock`, held until the
    transaction ends (where the database locks rows: PostgreSQL).

    ``QuestionnaireResponse.objects.filter(..., status=DRAFT).first()`` written out: the
    questionnaire page and its submission each read it, and the ORM spent 0.4 ms
    building it."""
    condition = ["t0.episode_id = %s", "t0.instrument = %s", "t0.time_point = %s",
                 "t0.status = %s"]
    params: list = [episode_id, instrument_id, time_point, ResponseStatus.DRAFT]
    for column, value in (("link_id", link_id), ("supersedes_id", supersedes_id)):
        if value is None:
            condition.append(f"t0.{column} IS NULL")
        else:
            condition.append(f"t0.{column} = %s")
            params.append(value)
    tail = "ORDER BY t0.id LIMIT 1"  # the first, as .first() took it
    if lock and connection.features.has_select_for_update:
        tail += " FOR UPDATE"
    found = sql.fetch(QuestionnaireResponse, " AND ".join(condition), params, tail=tail)
    return found[0] if found else None


def response_save(*, patient, episode, instrument_id: str, time_point: str, answers: dict,
                  submit: bool, completed_by: str, request: HttpRequest | None,
                  link: CollectionLink | None = None, item_labels: dict | None = None,
                  supersedes: QuestionnaireResponse | None = None,
                  correction_reason: str = "", wording: str | None = None,
                  ) -> QuestionnaireResponse:
    """Save a draft or submit. Answers are checked (ValueError names the item); a
    submitted response never changes; a correction supersedes the old one. `wording`: the
    wording mode the form was shown in (``wording_for``), when the caller knows it."""
    instrument = instruments.get(instrument_id)
    instruments.validate(instrument, answers)
    if supersedes is not None and supersedes.corrections.exists():
        raise OutcomeError("That response has already been corrected: correct the newer one.")
    user = request.user if request is not None and request.user.is_authenticated else None
    with transaction.atomic():
        draft = open_draft(episode_id=episode.pk, instrument_id=instrument_id,
                           time_point=time_point, link_id=link.pk if link else None,
                           supersedes_id=supersedes.pk if supersedes else None, lock=True)
        response = draft or QuestionnaireResponse(
            patient=patient, episode=episode, instrument=instrument_id, time_point=time_point,
            link=link, supersedes=supersedes)
        if wording is None:
            wording, _, _ = wording_for(patient.clinic, instrument_id)
        response.answers = {str(k): v for k, v in answers.items() if v is not None}
        response.item_labels = item_labels or {}
        response.instrument_version = instrument.version
        response.wording = wording
        response.completed_by = completed_by
        response.entered_by = user
        # Who invited the patient and how the answers came in (issue #25).
        response.invited_by_id = link.created_by_id if link else None
        response.channel = link.delivery if link else Channel.STAFF
        response.correction_reason = correction_reason
        if submit:
            result = instruments.score(instrument_id, answers)
            response.status = ResponseStatus.SUBMITTED
            response.total, response.subscores = result.total, result.subscores
            response.band, response.score_note = result.band or "", result.note
            response.scorer_version = result.version
            response.submitted_at = timezone.now()
        else:
            response.scorer_version = instruments.SCORER_VERSION
        sql.save(response)  # written out: the ORM's save spent 0.6 ms building it
        if submit:
            measures.refresh(episode_id=episode.pk, instrument=instrument_id)
            charts_draw_later(episode.pk)
        if instrument_id == "phq9" and self_harm_alert(
                {int(k): v for k, v in answers.items()}, submitted=submit):
            alert_raise(patient=patient, kind=AlertKind.SELF_HARM, response=response,
                        request=request)
        audit_record(request=request, action="outcome.submit" if submit else "outcome.draft",
                     patient=patient, target=response, actor=user,
                     detail={"instrument": instrument_id, "by": completed_by})
    return response


FOLLOW_UPS = {"phq2": "phq9", "gad2": "gad7"}


def follow_up_for(response: QuestionnaireResponse) -> str | None:
    """PHQ-2 or GAD-2 at or above its threshold offers the full PHQ-9 or GAD-7."""
    if response.status == ResponseStatus.SUBMITTED and response.band == "positive screen":
        follow = FOLLOW_UPS.get(response.instrument)
        # A patient on a link is offered it only where its wording can be shown.
        if follow and response.link_id is not None and not patient_answerable(
                response.patient.clinic, [follow]):
            return None
        return follow
    return None


def link_add(link: CollectionLink, instrument_id: str) -> None:
    if instrument_id not in link.instruments:
        link.instruments = [*link.instruments, instrument_id]
        CollectionLink.objects.filter(pk=link.pk).update(instruments=link.instruments)


# --- links -----------------------------------------------------------------------------

def link_token(link: CollectionLink) -> str:
    return signing.dumps({"link": link.pk}, salt=LINK_SALT)


def link_url(request: HttpRequest | None, link: CollectionLink) -> str:
    """The link the patient is sent, on ACUBACK_BASE_URL (never the request's Host);
    without a request, the path alone (the worker adds the base)."""
    path = reverse("questionnaire_link", args=[link_token(link)])
    return absolute_url(path) if request is not None else path


def link_create(*, episode, instrument_ids: list[str], time_point: str, request: HttpRequest,
                delivery: str) -> CollectionLink:
    """A link, recorded with who made it and how it reaches the patient: EMAIL to the
    address on the patient's record (never one typed in), IN_PERSON (handed over by its
    maker), PORTAL (the patient's own log-in). Sending the e-mail is `link_email`'s."""
    unknown = [i for i in instrument_ids if i not in instruments.REGISTRY]
    if unknown or not instrument_ids:
        raise OutcomeError("Choose at least one known questionnaire.")
    if delivery not in (Channel.EMAIL, Channel.IN_PERSON, Channel.PORTAL):
        raise OutcomeError(f"Unknown delivery {delivery!r}.")
    patient = episode.patient
    if delivery == Channel.EMAIL and not patient.email:
        raise OutcomeError(f"There is no e-mail address on {patient.given_name}'s record.")
    maker = request.user if request is not None and request.user.is_authenticated else None
    if delivery == Channel.IN_PERSON and maker is None:
        raise OutcomeError("A link handed over in person needs the person handing it over.")
    answerable = patient_answerable(patient.clinic, instrument_ids)
    refused = [i for i in instrument_ids if i not in answerable]
    if refused:
        raise OutcomeError("Not sent: " + "; ".join(
            f"{instruments.get(i).name} is a clinician's measurement" if i in CLINICIAN_ONLY
            else f"{instruments.get(i).name} has no licensed wording loaded (a patient "
                 "cannot answer a paraphrase)" for i in refused) + ".")
    days = schedule_for(patient.clinic).link_valid_days
    with transaction.atomic():
        link = CollectionLink.objects.create(
            patient=patient, episode=episode, instruments=instrument_ids,
            time_point=time_point, expires_at=timezone.now() + timedelta(days=days),
            sent_to=patient.email if delivery == Channel.EMAIL else "", delivery=delivery,
            created_by=maker)
        audit_record(request=request, action="outcome.link.create", patient=patient,
                     target=link, detail={"instruments": instrument_ids, "delivery": delivery})
    return link


def link_email(*, link: CollectionLink, request: HttpRequest | None) -> None:
    """E-mail an EMAIL link to the address it was made for (the patient's record)."""
    if link.delivery != Channel.EMAIL or not link.sent_to:
        raise OutcomeError("This link is not one to e-mail.")
    patient, clinic = link.patient, link.patient.clinic
    days = schedule_for(clinic).link_valid_days
    send_mail(
        subject=f"{clinic.name}: a few questions before your next visit",
        message=(f"Hello {patient.preferred_name or patient.given_name},\n\n"
                 f"Please answer a few short questions about your back:\n"
                 f"{link_url(request, link)}\n\n"
                 f"The link works once and expires in {days} days.\n\n{clinic.name}"),
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[link.sent_to])


def link_open(token: str) -> CollectionLink:
    """The link behind a token, or LinkInvalid saying why (tampered, expired, used)."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        link = CollectionLink.objects.select_related("patient__clinic", "episode").get(
            pk=data["link"])
    except (signing.BadSignature, KeyError, TypeError, CollectionLink.DoesNotExist):
        raise LinkInvalid("This link is not valid. Ask the clinic for a new one.") from None
    if link.used_at is not None:
        raise LinkInvalid("This link has already been used. Thank you — your answers are "
                          "with the clinic.")
    if link.expires_at < timezone.now():
        raise LinkInvalid("This link has expired. Ask the clinic for a new one.")
    return link


def link_instruments(link: CollectionLink) -> tuple[str, ...]:
    """What the link asks the patient: its questionnaires whose wording can be shown
    (a link made before the clinic's wording changed may name others)."""
    return patient_answerable(link.patient.clinic, link.instruments)


def link_finish_if_done(link: CollectionLink) -> bool:
    submitted = set(link.responses.filter(status=ResponseStatus.SUBMITTED)
                    .values_list("instrument", flat=True))
    if set(link_instruments(link)) <= submitted:
        CollectionLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now())
        return True
    return False


# --- alerts and wording ----------------------------------------------------------------

ALERT_TEXT = {
    AlertKind.SELF_HARM: "A patient's PHQ-9 answer to item 9 (thoughts of self-harm) needs "
                         "same-day follow-up under the clinic's crisis protocol.",
    AlertKind.INTAKE_EMERGENCY: "A patient's intake answered at home reports an emergency "
                                "red flag: contact the patient now.",
}


def alert_raise(*, patient, kind: str, request: HttpRequest | None, response=None,
                screening=None) -> OutcomeAlert:
    """Open a safety alert once per response or intake, and notify the responsible
    clinician at once by e-mail and SMS through the outbox (safety.md §2)."""
    from acuback.scheduling.notifications import plan_safety_alert
    from acuback.scheduling.tasks import notifications_send_soon

    from .selectors import clinic_admins, responsible_clinicians

    # A response alerts once (its item 9 was followed up); an intake the patient sends
    # again after the follow-up is a new report and alerts again.
    existing = OutcomeAlert.objects.filter(patient=patient, kind=kind, response=response,
                                           screening=screening)
    if screening is not None:
        existing = existing.filter(acknowledged_at__isnull=True)
    if (found := existing.first()) is not None:
        return found
    recipients = responsible_clinicians(patient)
    # A practitioner with neither e-mail nor mobile cannot be reached: the admins are told.
    if not any(u.email or u.mobile_phone for u in recipients):
        recipients += [u for u in clinic_admins(patient.clinic_id) if u not in recipients]
    user = request.user if request is not None and request.user.is_authenticated else None
    with transaction.atomic():
        alert = OutcomeAlert.objects.create(patient=patient, kind=kind, response=response,
                                            screening=screening,
                                            responsible=recipients[0] if recipients else None)
        sent = plan_safety_alert(
            clinic=patient.clinic, patient=patient, recipients=recipients,
            subject=f"{patient.clinic.name}: urgent safety alert", text=ALERT_TEXT[kind],
            link=reverse("patient_outcomes", args=[patient.pk]))
        audit_record(request=request, action=f"outcome.alert.{kind}", patient=patient,
                     target=alert, actor=user,
                     detail={"notified": [u.pk for u in recipients], "messages": sent})
        notifications_send_soon()
    return alert


def alert_acknowledge(*, alert: OutcomeAlert, note: str, request: HttpRequest) -> None:
    if not note.strip():
        raise OutcomeError("Record the follow-up (who spoke to the patient, and the plan).")
    with transaction.atomic():
        OutcomeAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=request.user,
            follow_up_note=note.strip())
        audit_record(request=request, action="outcome.alert.acknowledge", patient=alert.patient,
                     target=alert)


def text_load(*, clinic, data: dict) -> InstrumentText:
    """Load a clinic's licensed wording (docs/outcomes.md gives the JSON format)."""
    instrument_id = data.get("instrument")
    instrument = instruments.get(instrument_id)  # ValueError on an unknown instrument
    items = data.get("items")
    if not isinstance(items, dict) or not items:
        raise ValueError("'items' must map item numbers to {\"text\": ...}")
    numbers = {item.number for item in instrument.items}
    for key, value in items.items():
        if not re.fullmatch(r"[0-9]+", str(key)) or int(key) not in numbers:  # not isdigit()
            raise ValueError(f"item {key!r} is not an item of {instrument_id}")
        if not isinstance(value, dict) or not str(value.get("text", "")).strip():
            raise ValueError(f"item {key}: give its \"text\"")
    missing = numbers - {int(k) for k in items}
    if missing:
        raise ValueError(f"items missing: {', '.join(map(str, sorted(missing)))}")
    text, _ = InstrumentText.objects.update_or_create(
        clinic=clinic, instrument=instrument_id,
        defaults={"version": str(data.get("version", instrument.version)),
                  "language": str(data.get("language", "en")),
                  "copyright": str(data.get("copyright", "")), "items": items})
    return text
