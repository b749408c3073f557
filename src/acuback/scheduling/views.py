"""The calendar: day and week views, booking, check-in and the other status changes."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from acuback import sql
from acuback.accounts import policy, zones
from acuback.accounts.models import Location, Practitioner
from acuback.audit.services import audit_read
from acuback.billing.selectors import coverage_status
from acuback.digits import ASCII_INTEGER
from acuback.patients.services import patient_matches
from acuback.row_ids import param_id, row_id
from acuback.web.params import EARLIEST, LATEST, parse_date

from . import selectors, services
from .day_rows import day_rows, grid_tables
from .forms import SlotSearchForm, parse_aware
from .models import Appointment


def _clinic(request):
    clinic = policy.home_clinic(request.user)
    if clinic is None or not policy.can(request.user, "schedule.view", clinic):
        raise PermissionDenied
    return clinic


def _day(request, place) -> date:
    """The day asked for; the place's today when none is, or (saying so) when it is not
    a date."""
    asked = request.GET.get("date", "").strip()
    if asked:
        day = parse_date(asked)
        if day is not None:
            return day
        messages.warning(request, f"Date: “{asked[:40]}” is not a date (YYYY-MM-DD) "
                         f"from {EARLIEST.year} to {LATEST.year}, so this is today.")
    return zones.today_at(place)


def _kept_filters(location, practitioner) -> str:
    """The filters as query parameters, for the links to other days and the week: moving
    in time keeps what the user chose to see."""
    return urlencode({name: chosen.pk for name, chosen in
                      (("location", location), ("practitioner", practitioner)) if chosen})


def _filters(request, clinic):
    """The chosen location and practitioner of the clinic; no query for a filter not set."""
    location_pk = row_id(request.GET.get("location"))
    practitioner_pk = row_id(request.GET.get("practitioner"))
    location = (Location.objects.filter(clinic=clinic, pk=location_pk).first()
                if location_pk else None)
    practitioner = (Practitioner.objects.filter(clinic=clinic, pk=practitioner_pk).first()
                    if practitioner_pk else None)
    return location, practitioner


def _filter_options(clinic, location, practitioner) -> dict:
    """The filters' <option>s, the chosen one selected. Written here: through the template
    language a clinic's 25 practitioners cost about 1 ms of every day view."""
    def options(choices, chosen) -> str:
        return format_html_join("", '<option value="{}"{}>{}</option>', (
            (pk, " selected" if chosen is not None and pk == chosen.pk else "", name)
            for pk, name in choices))

    # The two lists written out in SQL too: the ORM spent 0.6 ms building them.
    quote = connection.ops.quote_name
    return {name: options(sql.rows(
        f"SELECT id, {quote(label)} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names from the models  # nosec B608
        f"WHERE clinic_id = %s AND is_active ORDER BY {quote(label)}, id", [clinic.pk]), chosen)
        for name, model, label, chosen in (
            ("location_options", Location, "name", location),
            ("practitioner_options", Practitioner, "display_name", practitioner))}


def _grid_locations(clinic, location) -> list[Location]:
    """The locations whose grids the calendar shows: the one chosen, else every active one."""
    if location is not None:
        return [location]
    return list(Location.objects.filter(clinic=clinic, is_active=True).order_by("name", "pk"))


@login_required
def calendar_day(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    location, practitioner = _filters(request, clinic)
    day = _day(request, location or clinic)
    tz = zones.zone_of(location or clinic)
    entries = selectors.day_calendar(clinic_id=clinic.pk, location=location,
                                     practitioner=practitioner, day=day, tz=tz)
    grids = selectors.calendar_grids(locations=_grid_locations(clinic, location), days=[day],
                                     entries=entries, practitioner=practitioner)
    return render(request, "scheduling/day.html", {
        "clinic": clinic, "day": day, "entries": entries, "location": location,
        "grids": grid_tables(grids, may_move=policy.can(request.user, "schedule.book", clinic)),
        "rows": day_rows(entries, get_token(request), timezone.now()),
        "practitioner": practitioner, **_filter_options(clinic, location, practitioner),
        "previous": date.fromordinal(day.toordinal() - 1),
        "next": date.fromordinal(day.toordinal() + 1), "tz": tz,
        "kept": _kept_filters(location, practitioner),
    })


@login_required
def calendar_week(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    location, practitioner = _filters(request, clinic)
    day = _day(request, location or clinic)
    tz = zones.zone_of(location or clinic)
    days = selectors.week_days(day)
    start, _ = selectors.day_bounds(days[0], tz)
    _, end = selectors.day_bounds(days[-1], tz)
    appointments = (Appointment.objects.filter(clinic=clinic, start__gte=start, start__lt=end)
                    .select_related("patient", "practitioner", "location", "type"))
    if location:
        appointments = appointments.filter(location=location)
    if practitioner:
        appointments = appointments.filter(practitioner=practitioner)
    by_day: dict[date, list] = {d: [] for d in days}
    grids = ""
    if practitioner is not None:  # one practitioner's week: seven day columns per location
        # A day either side: a location in another zone than the one the week is cut in.
        entries = selectors.day_calendar(clinic_id=clinic.pk, location=location,
                                         practitioner=practitioner,
                                         day=days[0] - timedelta(days=1), tz=tz, days=9)
        grids = grid_tables(selectors.calendar_grids(
            locations=_grid_locations(clinic, location), days=days, entries=entries,
            practitioner=practitioner),
            may_move=policy.can(request.user, "schedule.book", clinic), week=True,
            kept=_kept_filters(location, practitioner))
    else:
        for a in appointments:
            local = zones.local(a.start, a.location)
            # Text, not a datetime: the template would convert it to the user's zone.
            by_day.setdefault(local.date(), []).append((local.strftime("%H:%M"), a))
    return render(request, "scheduling/week.html", {
        "clinic": clinic, "day": day, "by_day": by_day.items(), "location": location,
        "grids": grids,
        "practitioner": practitioner, **_filter_options(clinic, location, practitioner),
        "previous": date.fromordinal(days[0].toordinal() - 7),
        "next": date.fromordinal(days[0].toordinal() + 7),
        "kept": _kept_filters(location, practitioner),
    })


SEARCH_FIELDS = ("patient", "location", "type", "day")  # practitioner is optional
CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


def _chosen_time(request) -> str:
    """The time chosen on the calendar's grid ("09:30", the location's clock), which the
    free times then preselect; empty when none, or (saying so) when it is not a time."""
    asked = (request.GET.get("time") or request.POST.get("time") or "").strip()
    if asked and not CLOCK.fullmatch(asked):
        messages.warning(request, f"Time: “{asked[:20]}” is not a time (HH:MM); choose one "
                         "from the free times.")
        return ""
    return asked


def _booking_form(request, clinic) -> SlotSearchForm:
    """A POST, or a GET naming every search field, is a search; a GET naming only some
    (``?patient=71`` from the chart's "Book") presets them on an empty form."""
    if request.method == "POST":
        return SlotSearchForm(request.POST, clinic=clinic)
    finding = request.GET.get("patient_q", "").strip() and not request.GET.get("patient")
    if all(name in request.GET for name in SEARCH_FIELDS) and not finding:
        return SlotSearchForm(request.GET, clinic=clinic)
    # As written: an id with spaces or a leading zero names no row (acuback/row_ids.py).
    preset = {name: request.GET[name] for name in (*SEARCH_FIELDS, "practitioner")
              if request.GET.get(name, "").strip()}
    return SlotSearchForm(initial=preset, clinic=clinic)


def _chosen_slot(request, form):
    """The practitioner and start of the time chosen: a "next available" button (``slot``:
    "practitioner-id start"), or a time of the chosen practitioner's day (``start``).
    None for either when the post does not say."""
    practitioner = form.cleaned_data["practitioner"]
    text = request.POST.get("slot", "")
    if text:
        pk, _, text = text.partition(" ")
        practitioner = Practitioner.objects.filter(
            clinic=form.clinic, is_active=True, pk=param_id(pk)).first()
    else:
        text = request.POST.get("start", "")
    return practitioner, parse_aware(text)


def _patient_finder(request, form) -> dict:
    """The booking page's patient finder, which works without JavaScript: the chosen
    patient, or the matches of the search typed (``patient_q``) as links choosing one,
    the other fields kept."""
    chosen = form["patient"].value()
    patient = (form.fields["patient"].queryset.filter(pk=param_id(chosen)).first()
               if chosen else None)
    query = request.GET.get("patient_q", "").strip()[:100] if patient is None else ""
    matches = patient_matches(request, query, via="booking") if query else []
    kept = {name: value for name in ("practitioner", "time", *SEARCH_FIELDS)
            if name != "patient" and (value := request.GET.get(name, "").strip())}
    return {"chosen_patient": patient, "patient_q": query,
            "patient_matches": [(p, urlencode({**kept, "patient": p.pk})) for p in matches],
            "change_patient": urlencode(kept)}


def _preset_patient_problem(request, form, finder) -> str | None:
    """A ``?patient=`` (a link from a chart) that names no patient of the clinic is said,
    not dropped for an empty patient (issue #28 §2); a bound form says it as its error."""
    asked = request.GET.get("patient", "") if request.method == "GET" else ""
    if not asked.strip() or form.is_bound or finder["chosen_patient"] is not None:
        return None
    if not ASCII_INTEGER.fullmatch(asked.strip()):
        return f"Patient: {asked[:40]!r} is not a patient number; find the patient below."
    return f"Patient: No patient {asked} in this clinic; find the patient below."


@login_required
@require_http_methods(["GET", "POST"])
def appointment_book(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    policy.require(request.user, "schedule.book", clinic)
    form = _booking_form(request, clinic)
    searched = form.is_bound and form.is_valid()
    finder = _patient_finder(request, form)
    problem = _preset_patient_problem(request, form, finder)
    if searched and request.method == "POST":
        c = form.cleaned_data
        practitioner, start = _chosen_slot(request, form)
        if start is None or practitioner is None:
            problem = "Choose a time from the list."
        else:
            try:
                appointment = services.appointment_book(
                    patient=c["patient"], practitioner=practitioner, location=c["location"],
                    type=c["type"], start=start, request=request)
            except services.BookingRefused as exc:
                problem = str(exc)
            else:
                where = appointment.location
                messages.success(request, f"Booked {appointment.patient.full_name} with "
                                 f"{appointment.practitioner.display_name}, "
                                 f"{zones.local_text(appointment.start, where)} at "
                                 f"{where.name}.")
                return redirect(f"/calendar/?date="
                                f"{zones.local(appointment.start, where).date().isoformat()}")
    free, soonest, coverage = [], [], None
    if searched:
        c = form.cleaned_data
        if c["practitioner"] is not None:
            free = selectors.slot_choices(selectors.free_slots(
                c["practitioner"], c["location"], c["type"], c["day"]), c["location"])
        if not free:  # anyone cleared (or the one chosen) on the next days with time
            soonest = selectors.next_available(location=c["location"], type=c["type"],
                                               day=c["day"], practitioner=c["practitioner"])
        coverage = coverage_status(patient=c["patient"], on=c["day"])
    chosen_time = _chosen_time(request)
    return render(request, "scheduling/book.html", {
        "coverage": coverage, "form": form, "free": free, "soonest": soonest, **finder,
        "chosen_time": chosen_time,
        "chosen_time_taken": bool(chosen_time and free and
                                  chosen_time not in {label for _, label in free}),
        "problem": problem, "searched": searched, "next_days": selectors.NEXT_AVAILABLE_DAYS,
    }, status=400 if problem or (form.is_bound and form.errors) else 200)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_move(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    """Move a booked visit (staff), without JavaScript: choose a date (and practitioner),
    then one of the free times offered, as when booking."""
    appointment = get_object_or_404(Appointment.objects.visible_to(request.user)
                                    .select_related("patient", "location", "type",
                                                    "practitioner"), pk=appointment_pk)
    policy.require(request.user, "schedule.book", appointment.clinic_id)
    audit_read(request, appointment.patient)
    where = appointment.location
    day = parse_date(request.GET.get("day", "")) or zones.local(appointment.start, where).date()
    cleared = selectors.cleared_practitioners(where, day)
    chosen = cleared.filter(pk=param_id(request.GET.get("practitioner"))).first()
    problem = None
    # The calendar's drag and drop (calendar-grid.js) posts this form asking for JSON.
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST":
        pk, _, text = request.POST.get("slot", "").partition(" ")
        practitioner = Practitioner.objects.filter(clinic_id=appointment.clinic_id,
                                                   pk=param_id(pk)).first()
        start = parse_aware(text)
        asked_location = request.POST.get("location", "").strip()
        location = (Location.objects.filter(clinic_id=appointment.clinic_id,
                                            pk=param_id(asked_location)).first()
                    if asked_location else None)
        if practitioner is None or start is None:
            problem = "Choose a time from the list."
        elif asked_location and location is None:
            problem = "Location: no such location in this clinic."
        else:
            try:
                moved = services.appointment_move(appointment=appointment,
                                                  practitioner=practitioner, start=start,
                                                  request=request, location=location)
            except services.BookingRefused as exc:
                problem = str(exc)
            else:
                done = (f"Moved {moved.patient.full_name} to "
                        f"{zones.local_text(moved.start, where)} with "
                        f"{moved.practitioner.display_name}.")
                if wants_json:
                    return JsonResponse({"moved": True, "message": done,
                                         "appointment": moved.pk})
                messages.success(request, done)
                return redirect(f"/calendar/?date={zones.local(moved.start, where).date()}")
        if wants_json:
            return JsonResponse({"moved": False, "message": problem}, status=400)
    soonest = selectors.next_available(location=where, type=appointment.type, day=day,
                                       practitioner=chosen)
    return render(request, "scheduling/move.html", {
        "appointment": appointment, "when": zones.local_text(appointment.start, where),
        "day": day, "cleared": cleared, "chosen": chosen, "soonest": soonest,
        "problem": problem,
    }, status=400 if problem else 200)


@login_required
@require_POST
def appointment_action(request: HttpRequest, appointment_pk: int, action: str) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.visible_to(request.user)
                                    .select_related("patient", "location"), pk=appointment_pk)
    policy.require(request.user, "schedule.book", appointment.clinic_id)
    try:
        services.appointment_transition(appointment=appointment, action=action, request=request,
                                        reason=request.POST.get("reason", ""))
    except services.BookingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{appointment.patient.full_name}: "
                         f"{appointment.get_status_display().lower()}.")
    local = zones.local(appointment.start, appointment.location)
    return redirect(f"/calendar/?date={local.date().isoformat()}")
