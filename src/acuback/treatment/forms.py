"""Forms for plans, sessions and adverse events; each bad value is named on its field."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms import BaseFormSet, formset_factory

from acuback import sql
from acuback.accounts.models import Location
from acuback.clinical import adjuncts as adjunct_rules
from acuback.clinical import electrodes, points
from acuback.clinical.safety import REGIONS
from acuback.digits import AsciiDigitsMixin, ascii_int

from .models import (
    AdverseEvent,
    Angle,
    Insertion,
    NeedleSet,
    Session,
    Side,
    Stimulation,
    TreatmentPlan,
)


def parse_point(code: str, side: str | None = None) -> tuple[str, str]:
    """(normalised code, side), or ValidationError in words."""
    point = points.lookup(code)
    if point is None:
        raise forms.ValidationError(f"{code} is not a known acupoint code.")
    if point.code == points.ASHI:
        raise forms.ValidationError("“Ashi” is not a point code: record an Ashi site by its "
                                    "location (e.g. “Ashi: left L4 paraspinal”).")
    if side and point.midline and side != Side.MIDLINE:
        raise forms.ValidationError(f"{point.code} lies on the midline: choose Midline.")
    if side == Side.MIDLINE and point.is_standard and not point.midline:
        raise forms.ValidationError(f"{point.code} is not a midline point: choose a side.")
    return point.code, side or (Side.MIDLINE if point.midline else Side.BILATERAL)


# The words a practitioner types for a side (issue #28 §5: "bilat" at the couch). Project
# rule: only abbreviations that cannot be read as another side.
SIDE_WORDS = {
    "left": Side.LEFT, "l": Side.LEFT, "lt": Side.LEFT,
    "right": Side.RIGHT, "r": Side.RIGHT, "rt": Side.RIGHT,
    "bilateral": Side.BILATERAL, "bilat": Side.BILATERAL, "bil": Side.BILATERAL,
    "both": Side.BILATERAL, "b/l": Side.BILATERAL,
    "midline": Side.MIDLINE, "mid": Side.MIDLINE,
}


def side_from_word(word: str) -> str | None:
    """The side a typed word names ("bilat", "L", "Right"), None if it names none."""
    return SIDE_WORDS.get(word.strip().lower().rstrip("."))


def _point_and_side(text: str) -> tuple[str, str]:
    """“BL23 bilateral” or “BL23 bilat” -> ("BL23", "bilateral"); a side left out is ""
    (the same side)."""
    code, *rest = text.split()
    side = (side_from_word(rest[0]) or rest[0].lower()) if rest else ""
    if side and side not in Side.values:
        raise forms.ValidationError(f"“{rest[0]}” is not a side: use left, right, bilateral or "
                                    "midline.")
    point = points.lookup(code)
    if point is None:
        raise forms.ValidationError(f"{code} is not a known acupoint code.")
    if point.midline:
        return point.code, Side.MIDLINE
    return parse_point(code, side)[0], side


# What separates the two ends of a pair. A hyphen may also sit inside a code (EX-B2), so
# each place it appears is tried, and the one where both ends are known codes is taken.
PAIR_SEPARATOR = re.compile(r"\s*(?:-|–|—|↔|\bto\b)\s*(?=[A-Za-z])")


def parse_pair(text: str) -> dict:
    """“GB30 left - BL40 left” or “EX-B2 left - EX-B2 right” as the pair's stored form;
    ValidationError in words."""
    matches = [m for m in PAIR_SEPARATOR.finditer(text)
               if text[:m.start()].strip() and text[m.end():].strip()]
    if not matches:
        raise forms.ValidationError("write a pair as “BL23 bilateral - BL25”.")
    splits = [(text[:m.start()], text[m.end():]) for m in matches]
    known = [(a, b) for a, b in splits
             if points.lookup(a.split()[0]) and points.lookup(b.split()[0])]
    # With an unknown code, the spaced separator is the pair's: the message names the code.
    spaced = [(text[:m.start()], text[m.end():]) for m in matches if m.group().strip() !=
              m.group()]
    first, second = (known or spaced or splits)[0]
    (code, side), (paired, paired_side) = _point_and_side(first), _point_and_side(second)
    return {"code": code, "side": side, "paired_with": paired,
            "paired_side": "" if paired_side == Side.BILATERAL else paired_side}


class AdjunctSitesMixin:
    """The adjunct therapies, each with the body regions it is given over (issue #26 item 9:
    checked against the safety profile as needles are): one group of region boxes per
    adjunct, whose legend names it; exercise advice has no site. `cleaned_data["adjuncts"]`
    holds them as stored, [{"kind": "cupping", "region": "lower_back"}, ...]."""

    ADJUNCT_REGIONS = [(r, r.replace("_", " ").capitalize()) for r in REGIONS]
    adjunct_verb = "given"

    def add_adjunct_fields(self) -> None:
        for kind in adjunct_rules.KINDS:
            label = adjunct_rules.LABELS[kind]
            if kind in adjunct_rules.SITED:
                self.fields[f"adjunct_{kind}"] = forms.MultipleChoiceField(
                    label=f"{label}: where {self.adjunct_verb}", required=False,
                    choices=self.ADJUNCT_REGIONS, widget=forms.CheckboxSelectMultiple)
            else:
                self.fields[f"adjunct_{kind}"] = forms.BooleanField(
                    label=f"{label} {self.adjunct_verb}", required=False)
        if self.instance.pk and not self.is_bound:
            for entry in adjunct_rules.normalise(self.instance.adjuncts):
                name = f"adjunct_{entry['kind']}"
                if name not in self.fields:
                    continue
                if entry["kind"] in adjunct_rules.SITED:
                    # One recorded before regions were asked shows unticked: its region is
                    # chosen again (the save refuses an adjunct without one).
                    if entry["region"]:
                        self.initial.setdefault(name, []).append(entry["region"])
                else:
                    self.initial[name] = True

    def adjuncts_given(self) -> list[dict[str, str]]:
        given = []
        for kind in adjunct_rules.KINDS:
            value = self.cleaned_data.get(f"adjunct_{kind}")
            if kind in adjunct_rules.SITED:
                given += [{"kind": kind, "region": r} for r in value or []]
            elif value:
                given.append({"kind": kind, "region": ""})
        return given


class PlanForm(AdjunctSitesMixin, AsciiDigitsMixin, forms.ModelForm):
    adjunct_verb = "planned"
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    prescription = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One point per line or comma: code and optional side, e.g. “BL23 bilateral”, "
        "“GV4”, “GB30 left”, or “Ashi: left L4 paraspinal”.")
    ea_pairs = forms.CharField(
        label="Electroacupuncture pairs", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One electrode pair per line: a point and side, a dash, the paired point "
        "and side, e.g. “BL23 bilateral - BL25” (each side to its own side) or "
        "“GB30 left - BL40 left”. Pairs across the chest or heart, along the cervical or "
        "thoracic spine, or across the head are refused.")

    acknowledge_cautions = forms.BooleanField(
        required=False, label="I have read the cautions of the prescribed points (listed below) "
        "and will needle them accordingly",
        help_text="Needed once for each prescribed point that carries a caution.")

    class Meta:
        model = TreatmentPlan
        fields = ["style", "style_other", "rationale", "individualisation", "planned_sessions",
                  "sessions_per_week", "prescription", "planned_electroacupuncture", "ea_pairs",
                  "adjunct_other", "goals", "review_date"]
        widgets = {"review_date": forms.DateInput(attrs={"type": "date"}),
                   "rationale": forms.Textarea(attrs={"rows": 3}),
                   "goals": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_adjunct_fields()
        self.order_fields([*self.Meta.fields[:self.Meta.fields.index("adjunct_other")],
                           *(f"adjunct_{k}" for k in adjunct_rules.KINDS)])
        if self.instance.pk and not self.is_bound:
            self.initial["prescription"] = "\n".join(
                f"{i['code']} {i['side']}" if i.get("code") else f"Ashi: {i['location']}"
                for i in self.instance.prescription)
            self.initial["ea_pairs"] = "\n".join(
                f"{p['code']} {p['side']} - {p['paired_with']} {p.get('paired_side') or ''}"
                .strip() for p in self.instance.ea_pairs)
            self.initial["version"] = self.instance.version

    def clean_prescription(self) -> list[dict]:
        items, errors = [], []
        for raw in self.cleaned_data["prescription"].replace(",", "\n").splitlines():
            text = raw.strip()
            if not text:
                continue
            if text.lower().startswith("ashi"):
                location = text.split(":", 1)[1].strip() if ":" in text else ""
                if not location:
                    errors.append("An Ashi point needs its location, e.g. “Ashi: left L4”.")
                items.append({"location": location, "side": Side.LEFT
                              if "left" in location.lower() else Side.RIGHT
                              if "right" in location.lower() else Side.MIDLINE})
                continue
            code, *rest = text.split()
            side = rest[0].lower() if rest else None
            if side and side not in Side.values:
                errors.append(f"“{rest[0]}” is not a side: use left, right, bilateral or "
                              "midline.")
                continue
            try:
                code, side = parse_point(code, side)
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
                continue
            items.append({"code": code, "side": side})
        if errors:
            raise forms.ValidationError(errors)
        if not items:
            raise forms.ValidationError("Prescribe at least one point.")
        return items

    def clean_ea_pairs(self) -> list[dict]:
        pairs, errors = [], []
        for raw in self.cleaned_data["ea_pairs"].splitlines():
            text = raw.strip()
            if not text:
                continue
            try:
                pairs.append(parse_pair(text))
            except forms.ValidationError as exc:
                errors.extend(f"“{text}”: {m}" for m in exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return pairs

    def plan_data(self) -> dict:
        """What the plan service saves: the model's fields, and the caution points the
        planner acknowledged by ticking the box."""
        data = {k: self.cleaned_data[k] for k in [*self.Meta.fields, "adjuncts"]}
        # What was acknowledged before stays so; the box acknowledges the points listed
        # now (the page lists the prescription's cautions once it has been entered).
        earlier = list(self.instance.caution_acknowledgements) if self.instance.pk else []
        now = points.caution_codes(i.get("code") for i in data["prescription"]) \
            if self.cleaned_data.get("acknowledge_cautions") else []
        data["caution_acknowledgements"] = list(dict.fromkeys(earlier + now))
        return data

    def clean(self):
        cleaned = super().clean()
        cleaned["adjuncts"] = self.adjuncts_given()
        if cleaned.get("style") == "other" and not cleaned.get("style_other"):
            self.add_error("style_other", "Name the style.")
        return cleaned


class ClinicLocationField(forms.ModelChoiceField):
    """One of the clinic's active locations (its `queryset`), the chosen one read in
    written-out SQL: the ORM spent 0.4 ms building that read on every session save."""

    def __init__(self, clinic_id: int, **kwargs):
        super().__init__(**kwargs)
        self.clinic_id = clinic_id

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            pk = ascii_int(value)
        except (TypeError, ValueError):
            pk = 0
        found = sql.fetch(Location, "t0.id = %s AND t0.clinic_id = %s AND t0.is_active",
                          [pk, self.clinic_id]) if 0 < pk < 2**63 else []
        if not found:
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice", params={"value": value})
        return found[0]


class SessionForm(AdjunctSitesMixin, AsciiDigitsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Session
        fields = ["location", "subjective", "objective", "assessment", "plan_notes",
                  "deviation_from_plan", "patient_information_given", "pain_before",
                  "pain_after", "needles_removed", "chest_check"]
        # and "adjuncts", from one group of region boxes per adjunct (AdjunctSitesMixin)
        widgets = {name: forms.Textarea(attrs={"rows": 2}) for name in (
            "subjective", "objective", "assessment", "plan_notes", "deviation_from_plan",
            "patient_information_given")}
        labels = {"pain_before": "Pain now, before treatment (0–10)",
                  "pain_after": "Pain after treatment (0–10)",
                  "needles_removed": "Needles removed (count them)",
                  "chest_check": "Pneumothorax symptom check, before the patient leaves"}
        help_texts = {"chest_check": "Needed after any chest-wall, upper-back or "
                      "supraclavicular point. Ask about chest pain, breathlessness and cough, "
                      "and give the written advice to seek care if they appear later. "
                      "Symptoms open a suspected-pneumothorax adverse event."}

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"] = ClinicLocationField(
            patient.clinic_id, queryset=Location.objects.filter(clinic_id=patient.clinic_id,
                                                                is_active=True),
            label=self.fields["location"].label)
        self.add_adjunct_fields()
        self.order_fields([*self.Meta.fields[:self.Meta.fields.index("needles_removed")],
                           *(f"adjunct_{k}" for k in adjunct_rules.KINDS)])

    def clean(self):
        cleaned = super().clean()
        cleaned["adjuncts"] = self.adjuncts_given()
        return cleaned

    def _get_validation_exclusions(self):
        # The field above already read the location from the clinic's active ones, a
        # narrower check than the model's: its foreign-key check would read it again.
        return super()._get_validation_exclusions() | {"location"}


class OptionsSelect(forms.Select):
    """A select some of whose options are shown but cannot be chosen (`disabled_values`);
    the page says why beside it."""

    disabled_values: frozenset[str] = frozenset()

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        if str(option["value"]) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


def block_electrical(insertions, needle_sets) -> None:
    """Electroacupuncture is not allowed for this patient: its options are shown disabled
    (the services refuse it anyway; this says so before the practitioner tries)."""
    for form in [*insertions.forms, insertions.empty_form]:
        form.fields["stimulation"].widget.disabled_values = frozenset({Stimulation.ELECTRICAL})
    for form in [*needle_sets.forms, needle_sets.empty_form]:
        form.fields["electrical"].widget.attrs.update(disabled=True,
                                                      **{"aria-describedby": "ea-blocked"})


class InsertionForm(AsciiDigitsMixin, forms.ModelForm):
    # The fields filled at every needle site, always in view; the rest open per row.
    EVERY_TIME = ("needle_set", "point_code", "side", "depth_mm", "angle", "gauge_mm",
                  "length_mm", "retention_minutes")

    def every_time_fields(self):
        return [f for f in self.visible_fields() if f.name in self.EVERY_TIME]

    def more_fields(self):
        return [f for f in self.visible_fields() if f.name not in self.EVERY_TIME]

    def _typed_side(self) -> str | None:
        """The side typed after the code in the point box ("BL23 bilat"), if any."""
        words = str(self.cleaned_data.get("point_code") or "").split()
        return side_from_word(words[1]) if len(words) == 2 else None

    def clean_side(self) -> str:
        chosen, typed = self.cleaned_data.get("side") or "", self._typed_side()
        if typed and chosen and chosen != typed:
            raise forms.ValidationError(f"The point box says {typed} but the side says "
                                        f"{chosen}: choose one.")
        if not (typed or chosen):
            raise forms.ValidationError(self.fields["side"].error_messages["required"])
        return typed or chosen

    def more_in_use(self) -> bool:
        """Open "More" when the row has an error its caution acknowledgement resolves (a
        depth or angle past a point's caution) or an error inside it, or electrical
        stimulation, an Ashi location or an acknowledged caution (values the practitioner
        must see); manual stimulation is the default and keeps it closed."""
        resolved_inside = ("depth_mm", "angle", "__all__")  # by the caution acknowledgement
        return bool(any(self.errors.get(name) for name in resolved_inside)
                    or any(f.errors for f in self.more_fields())
                    or self["stimulation"].value() == Stimulation.ELECTRICAL
                    or self["location_text"].value() or self["caution_acknowledged"].value())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's <datalist id="acupoints"> offers every code with its pinyin.
        self.fields["point_code"].widget.attrs["list"] = "acupoints"
        self.fields["paired_with"].widget.attrs["list"] = "acupoints"
        # The model's range first, so a depth of 101 mm is named as out of range rather
        # than compared with the needle.
        self.fields["depth_mm"].validators += Insertion._meta.get_field("depth_mm").validators
        # Every site records its angle (safety.md §5, §7); old rows may lack it.
        self.fields["angle"].required = True
        self.fields["angle"].choices = [("", "—"), *Angle.choices]
        # A side may be typed with the point ("BL23 bilat"): clean_side requires one of both,
        # and the box takes the code and the word (clean() keeps the known code only).
        self.fields["side"].required = False
        code_field = self.fields["point_code"]
        code_field.max_length = 30
        code_field.validators = [v for v in code_field.validators
                                 if not isinstance(v, MaxLengthValidator)] + [MaxLengthValidator(30)]
        code_field.widget.attrs["maxlength"] = "30"
        self.fields["stimulation"].widget = OptionsSelect(
            choices=self.fields["stimulation"].choices)

    class Meta:
        model = Insertion
        fields = ["needle_set", "point_code", "location_text", "side", "depth_mm", "angle",
                  "caution_acknowledged", "gauge_mm", "length_mm", "material",
                  "response_sought", "response_obtained", "stimulation", "manual_technique",
                  "frequency_hz", "intensity", "paired_with", "paired_side",
                  "retention_minutes"]
        labels = {"point_code": "Point", "location_text": "or Ashi location",
                  "depth_mm": "Depth (mm)", "gauge_mm": "Ø (mm)", "length_mm": "Length (mm)",
                  "retention_minutes": "Retention (min)", "frequency_hz": "Hz",
                  "response_obtained": "Obtained", "response_sought": "Response sought",
                  "needle_set": "Set", "caution_acknowledged": "Caution acknowledged",
                  "paired_with": "Paired with", "paired_side": "Pair side"}

    def clean(self):
        cleaned = super().clean()
        code, where = cleaned.get("point_code", "").strip(), cleaned.get("location_text", "")
        if self._typed_side() is not None:
            code = code.split()[0]  # "BL23 bilat": clean_side took the side
        if points.is_ashi(code):
            # "Ashi" typed as a code is an Ashi site: checked by its location, kept.
            code = cleaned["point_code"] = ""
            if not where.strip():
                self.add_error("location_text", "An Ashi point needs its location in “or "
                               "Ashi location”, e.g. “left L4 paraspinal”.")
        if code:
            try:
                cleaned["point_code"], _ = parse_point(code, cleaned.get("side"))
            except forms.ValidationError as exc:
                self.add_error("point_code", exc)
        elif not where.strip() and "location_text" not in self.errors:
            self.add_error("point_code", "Give a point code, or an Ashi location.")
        if cleaned.get("stimulation") == Stimulation.ELECTRICAL:
            if cleaned.get("frequency_hz") is None:
                self.add_error("frequency_hz", "Electrical stimulation needs its frequency.")
            if not cleaned.get("paired_with"):
                self.add_error("paired_with", "Say which point the electrode is paired with.")
        if cleaned.get("paired_with"):
            paired = points.lookup(cleaned["paired_with"])
            if paired is None:
                self.add_error("paired_with", f"{cleaned['paired_with']} is not a known code.")
            else:
                cleaned["paired_with"] = paired.code
        if "point_code" not in self.errors:
            point = points.site_point(cleaned.get("point_code"))
            for problem in points.site_problems(
                    point=point, side=cleaned.get("side"), depth_mm=cleaned.get("depth_mm"),
                    angle=cleaned.get("angle"), length_mm=cleaned.get("length_mm"),
                    acknowledged=bool(cleaned.get("caution_acknowledged")),
                    location=cleaned.get("location_text", "")):
                if problem.field not in self.errors:
                    self.add_error(problem.field, problem.message)
        return cleaned


class BaseInsertionFormSet(BaseFormSet):
    def clean(self):
        """Electrode pairs refer to other rows: checked across the whole set of sites."""
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        for problem in electrodes.pair_problems([f.cleaned_data for f in filled]):
            filled[problem.row].add_error(problem.field, problem.message)


class NeedleSetForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = NeedleSet
        fields = ["order", "position", "face_to_face_minutes", "electrical"]
        labels = {"face_to_face_minutes": "Face-to-face minutes",
                  "electrical": "Electrical stimulation"}


InsertionFormSet = formset_factory(InsertionForm, formset=BaseInsertionFormSet, extra=4,
                                   can_delete=True, max_num=60)
NeedleSetFormSet = formset_factory(NeedleSetForm, extra=1, can_delete=True, max_num=6)


def formset_rows(formset) -> list[dict]:
    """The filled rows of a valid formset, without deleted or empty ones."""
    return [{k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def check_needle_sets(formset) -> list[str]:
    orders = [row["order"] for row in formset_rows(formset)]
    problems = []
    if not orders:
        problems.append("Record at least the first needle set.")
    if len(set(orders)) != len(orders):
        problems.append("Two needle sets have the same number.")
    if orders and sorted(orders) != list(range(1, len(orders) + 1)):
        problems.append("Number the needle sets 1, 2, 3… in the order they were inserted.")
    return problems


class AddendumForm(AsciiDigitsMixin, forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Addendum",
                           max_length=5000)


class IncidentForm(AsciiDigitsMixin, forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                  label="What was searched, and what was found")
    severity = forms.ChoiceField(choices=AdverseEvent._meta.get_field("severity").choices)


class AdverseEventForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = ["type", "severity", "causality", "reporter", "onset_at", "duration_days",
                  "description", "action_taken", "outcome"]
        widgets = {"onset_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
                   "description": forms.Textarea(attrs={"rows": 3}),
                   "action_taken": forms.Textarea(attrs={"rows": 2})}

    def clean_onset_at(self):
        from django.utils import timezone

        value = self.cleaned_data["onset_at"]
        if value > timezone.now():
            raise forms.ValidationError("The onset cannot be in the future.")
        return value
