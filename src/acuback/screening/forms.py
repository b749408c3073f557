"""Forms of the screening pages. Every impossible answer is named on its field."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from acuback import input_bounds
from acuback.accounts.models import Location
from acuback.clinical import diagnoses, medications, points
from acuback.clinical import episodes as episode_rules
from acuback.clinical.safety import (
    DEVICE_KINDS,
    LIST_QUESTIONS,
    MAX_GESTATIONAL_WEEKS,
    MEDICATION_CLASSES,
    REGIONS,
    Device,
    InvalidAnswer,
    answers_from_json,
    answers_to_json,
)
from acuback.digits import AsciiDigitsMixin
from acuback.patients import body_map
from acuback.patients.models import EpisodeOfCare, Patient

from .models import (
    Allergy,
    AllergyCategory,
    ClearanceAllows,
    ClearanceKind,
    LabResult,
    Medication,
    MedicationKind,
    Problem,
)
from .questions import GROUPS, QUESTION_TEXT, TODAY_ONLY, YES_NO_FIELDS
from .selectors import finding_text

YES_NO = [("yes", "Yes"), ("no", "No")]
REGION_CHOICES = [(r, r.replace("_", " ").capitalize()) for r in REGIONS]
MEDICATION_LABELS = {
    "anticoagulant": "Blood thinner (anticoagulant), e.g. warfarin",
    "antiplatelet": "Antiplatelet medicine, e.g. aspirin or clopidogrel",
    "corticosteroid": "Steroid tablets or injections (corticosteroid)",
    "immunosuppressant": "Medicine that suppresses the immune system",
}
DEVICE_LABELS = {
    "pacemaker": "Pacemaker", "icd": "Implanted defibrillator (ICD)",
    "neurostimulator": "Nerve or spinal-cord stimulator", "pump": "Implanted pump",
    "other_electrical": "Other implanted electrical device",
    "other_non_electrical": "Other implant (not electrical)",
}
DEVICE_SLOTS = (1, 2)
# The region questions of LIST_QUESTIONS (medicines and devices have their own widgets).
REGION_QUESTIONS = {q: listed for q, listed in LIST_QUESTIONS.items() if listed.endswith(
    "_regions")}


def _to_bool(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _from_bool(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "")


def _question(name: str) -> forms.ChoiceField:
    """A yes/no question in front of a list: blank stays "not asked"."""
    return forms.ChoiceField(label=QUESTION_TEXT[name], required=False, choices=YES_NO,
                             widget=forms.RadioSelect)


class IntakeForm(AsciiDigitsMixin, forms.Form):
    """The screening questions. Blank means "not asked yet": a draft may be partial."""

    # Questions, not tick boxes alone: left blank, "none" would be read as "no" (issue #26).
    takes_listed_medicines = _question("takes_listed_medicines")
    has_implanted_device = _question("has_implanted_device")
    has_skin_problem = _question("has_skin_problem")
    has_tumour = _question("has_tumour")
    has_lymphoedema = _question("has_lymphoedema")
    has_sensation_loss = _question("has_sensation_loss")
    medication_classes = forms.MultipleChoiceField(
        label="If yes, which", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(m, MEDICATION_LABELS[m]) for m in MEDICATION_CLASSES])
    pregnant = forms.ChoiceField(label="Are you pregnant, or could you be?", required=False,
                                 choices=YES_NO, widget=forms.RadioSelect)
    gestational_weeks = forms.IntegerField(label="If pregnant: weeks of pregnancy",
                                           required=False, min_value=0,
                                           max_value=MAX_GESTATIONAL_WEEKS)
    first_back_pain_age = forms.IntegerField(
        label="How old were you when you first had back pain (any back pain, ever)?",
        required=False, min_value=0, max_value=130)
    skin_problem_regions = forms.MultipleChoiceField(
        label="If yes, in which areas", required=False, widget=forms.CheckboxSelectMultiple,
        choices=REGION_CHOICES)
    tumour_regions = forms.MultipleChoiceField(
        label="If yes, in which areas", required=False, widget=forms.CheckboxSelectMultiple,
        choices=REGION_CHOICES)
    sensation_loss_regions = forms.MultipleChoiceField(
        label="If yes, in which areas", required=False, widget=forms.CheckboxSelectMultiple,
        choices=REGION_CHOICES)
    lymphoedema_regions = forms.MultipleChoiceField(
        label="If yes, which limb", required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[c for c in REGION_CHOICES if c[0] in ("upper_limb", "lower_limb")])

    def __init__(self, *args, stored: dict | None = None, for_patient: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_patient = for_patient
        for group in GROUPS:
            for q in group.questions:
                if for_patient and q.clinician:
                    continue
                self.fields[q.field] = forms.ChoiceField(
                    label=q.text, required=False, choices=YES_NO, widget=forms.RadioSelect)
        for n in DEVICE_SLOTS:
            self.fields[f"device_{n}_kind"] = forms.ChoiceField(
                label=f"Implanted device {n}", required=False,
                choices=[("", "None")] + [(k, DEVICE_LABELS[k]) for k in sorted(DEVICE_KINDS)])
            self.fields[f"device_{n}_region"] = forms.ChoiceField(
                label="Where it sits", required=False, choices=[("", "—")] + REGION_CHOICES)
            self.fields[f"device_{n}_implanted_on"] = forms.DateField(
                label="Implanted on", required=False,
                widget=forms.DateInput(attrs={"type": "date"}))
            self.fields[f"device_{n}_removed_on"] = forms.DateField(
                label="Removed on (if removed)", required=False,
                widget=forms.DateInput(attrs={"type": "date"}))
        if stored is not None and not self.is_bound:
            self.initial = self.initial_from(stored)
        if self.is_bound:
            self.data = self._none_of_these(self.data)

    def _none_of_these(self, data):
        """A group's "None of these" answers No to each of its questions not yet answered;
        an answer already given stays (issue #28 §5)."""
        ticked = [g for n, g in enumerate(GROUPS) if data.get(f"none-{n}")]
        if not ticked:
            return data
        data = data.copy()
        for group in ticked:
            for q in group.questions:
                if q.field in self.fields and not data.get(q.field):
                    data[q.field] = "no"
        return data

    @staticmethod
    def initial_from(stored: dict) -> dict:
        answers = answers_from_json(stored)
        initial: dict = {name: _from_bool(getattr(answers, name)) for name in YES_NO_FIELDS}
        initial.update(
            medication_classes=sorted(answers.medication_classes),
            takes_listed_medicines=_from_bool(answers.takes_listed_medicines),
            has_implanted_device=_from_bool(answers.has_implanted_device),
            **{q: _from_bool(getattr(answers, q)) for q in REGION_QUESTIONS},
            pregnant=_from_bool(answers.pregnant), gestational_weeks=answers.gestational_weeks,
            first_back_pain_age=answers.first_back_pain_age,
            skin_problem_regions=sorted(answers.skin_problem_regions),
            tumour_regions=sorted(answers.tumour_regions),
            sensation_loss_regions=sorted(answers.sensation_loss_regions),
            lymphoedema_regions=sorted(answers.lymphoedema_regions))
        for n, device in zip(DEVICE_SLOTS, answers.devices, strict=False):
            initial.update({f"device_{n}_kind": device.kind,
                            f"device_{n}_region": device.region or "",
                            f"device_{n}_implanted_on": device.implanted_on,
                            f"device_{n}_removed_on": device.removed_on})
        return initial

    def groups(self):
        """The yes/no fields in their groups, for the template."""
        return [(g, [(self[q.field], q) for q in g.questions if q.field in self.fields],
                 f"none-{n}") for n, g in enumerate(GROUPS)]

    def device_rows(self):
        return [[self[f"device_{n}_{part}"] for part in ("kind", "region", "implanted_on",
                                                         "removed_on")] for n in DEVICE_SLOTS]

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for n in DEVICE_SLOTS:
            kind = cleaned.get(f"device_{n}_kind")
            implanted = cleaned.get(f"device_{n}_implanted_on")
            removed = cleaned.get(f"device_{n}_removed_on")
            if not kind and (implanted or removed or cleaned.get(f"device_{n}_region")):
                self.add_error(f"device_{n}_kind", "Say which device this is.")
            if implanted and removed and removed < implanted:
                self.add_error(f"device_{n}_removed_on",
                               "The removal date is before the implant date.")
            for name, value in ((f"device_{n}_implanted_on", implanted),
                                (f"device_{n}_removed_on", removed)):
                if value and value > today:
                    self.add_error(name, "This date is in the future.")
        if cleaned.get("takes_listed_medicines") == "no" and cleaned.get("medication_classes"):
            self.add_error("medication_classes", "Medicines are ticked, but the answer to "
                           "“any of these medicines” is No.")
        if cleaned.get("takes_listed_medicines") == "yes" and \
                not cleaned.get("medication_classes"):
            self.add_error("medication_classes", "Tick which medicines, or answer No.")
        for question, listed in REGION_QUESTIONS.items():
            if cleaned.get(question) == "no" and cleaned.get(listed):
                self.add_error(listed, "Areas are ticked, but the answer to the question "
                               "above is No.")
            if cleaned.get(question) == "yes" and not cleaned.get(listed):
                self.add_error(listed, "Tick which areas, or answer No.")
        any_device = any(cleaned.get(f"device_{n}_kind") for n in DEVICE_SLOTS)
        if cleaned.get("has_implanted_device") == "no" and any_device:
            self.add_error("device_1_kind", "A device is named, but the answer to "
                           "“any implanted device” is No.")
        if cleaned.get("has_implanted_device") == "yes" and not any_device:
            self.add_error("device_1_kind", "Say which device, or answer No.")
        if cleaned.get("gestational_weeks") is not None and cleaned.get("pregnant") == "no":
            self.add_error("gestational_weeks",
                           "Weeks of pregnancy given, but the answer to pregnancy is No.")
        return cleaned

    def answers_json(self, *, patient: Patient, episode: EpisodeOfCare, on: date) -> dict:
        """The stored form of the answers, with what the chart already knows."""
        data = self.cleaned_data
        values: dict = {name: _to_bool(data.get(name, "")) for name in YES_NO_FIELDS}
        devices = []
        for n in DEVICE_SLOTS:
            if data.get(f"device_{n}_kind"):
                devices.append(Device(kind=data[f"device_{n}_kind"],
                                      region=data.get(f"device_{n}_region") or None,
                                      implanted_on=data.get(f"device_{n}_implanted_on"),
                                      removed_on=data.get(f"device_{n}_removed_on")))
        values.update(
            medication_classes=frozenset(data.get("medication_classes") or []),
            takes_listed_medicines=_to_bool(data.get("takes_listed_medicines", "")),
            has_implanted_device=_to_bool(data.get("has_implanted_device", "")),
            **{q: _to_bool(data.get(q, "")) for q in REGION_QUESTIONS},
            pregnant=_to_bool(data.get("pregnant", "")),
            gestational_weeks=data.get("gestational_weeks"),
            first_back_pain_age=data.get("first_back_pain_age"),
            skin_problem_regions=frozenset(data.get("skin_problem_regions") or []),
            tumour_regions=frozenset(data.get("tumour_regions") or []),
            sensation_loss_regions=frozenset(data.get("sensation_loss_regions") or []),
            lymphoedema_regions=frozenset(data.get("lymphoedema_regions") or []),
            devices=tuple(devices),
        )
        values.update(derived_answers(patient=patient, episode=episode, on=on))
        from acuback.clinical.safety import Answers

        return answers_to_json(Answers(**values))


def derived_answers(*, patient: Patient, episode: EpisodeOfCare, on: date) -> dict:
    onset = min(episode.onset_date, on)
    return {
        "age": patient.age_on(on),
        "sex_at_birth": patient.sex_at_birth or None,
        "leg_pain": episode.radiating_leg_pain,
        "back_pain_onset_age": patient.age_on(onset),
        "back_pain_duration_weeks": round(episode_rules.weeks_since(onset, on), 1),
        # A coded serious cause raises its safety rule (clinical.diagnoses.safety_rule).
        "diagnosis_codes": frozenset(c for c in episode.diagnosis_codes
                                     if c in diagnoses.BY_CODE),
        # The clinic's setting for the pregnancy rule's regional part (CI-PREGNANCY).
        "pregnancy_lumbosacral_blocked": patient.clinic.pregnancy_blocks_lumbosacral,
    }


def reset_today_only(stored: dict) -> dict:
    """A new check starts from the last answers, except those about the day."""
    return {**stored, **dict.fromkeys(TODAY_ONLY)}


def raise_on_field(form: forms.Form, error: InvalidAnswer) -> None:
    name = error.field if error.field in form.fields else None
    if error.field == "diagnosis_codes":
        form.add_error(None, f"Episode diagnosis codes: {error.message}")
        return
    if error.field == "devices":
        name = "device_1_kind"
    form.add_error(name, error.message)


class ChangesForm(AsciiDigitsMixin, forms.Form):
    """The pre-treatment check's opening questions: has anything changed?"""

    QUESTIONS = {
        "medicines": "New or changed medicines since the last visit?",
        "pregnancy": "Any change in pregnancy (pregnant now, or could be)?",
        "symptoms": "New or changed symptoms since the last visit?",
        "red_flags": "Any red flag: bladder, bowel, saddle numbness, leg weakness, fever, "
                     "new injury?",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in self.QUESTIONS.items():
            self.fields[f"changed_{name}"] = forms.ChoiceField(
                label=text, required=False, choices=YES_NO, widget=forms.RadioSelect)

    def rows(self):
        return [self[f"changed_{name}"] for name in self.QUESTIONS]

    def as_json(self) -> dict:
        return {name: _to_bool(self.cleaned_data.get(f"changed_{name}", ""))
                for name in self.QUESTIONS}



class SignForm(AsciiDigitsMixin, forms.Form):
    referred_to = forms.CharField(
        label="Referred to", required=False, max_length=200,
        help_text="Where the patient was sent: emergency department, GP, rheumatology…")
    patient_told = forms.CharField(
        label="What the patient was told", required=False,
        widget=forms.Textarea(attrs={"rows": 3}))



class EpisodeForm(AsciiDigitsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    pain_regions = forms.MultipleChoiceField(
        label="Where does it hurt?", required=False, choices=body_map.CHOICES,
        widget=forms.CheckboxSelectMultiple)
    diagnosis_codes = forms.CharField(
        label="ICD-10-CM diagnosis codes", required=False,
        help_text=f"Separate with commas, e.g. M54.50, M54.41. Checked against the "
                  f"{diagnoses.CODE_SET}.")

    class Meta:
        model = EpisodeOfCare
        fields = ["onset_date", "pain_regions", "radiating_leg_pain", "cause",
                  "related_to_surgery", "related_to_pregnancy", "diagnosis_codes",
                  "referral_source", "goals", "status", "discharge_reason"]
        widgets = {"onset_date": forms.DateInput(attrs={"type": "date"}),
                   "goals": forms.Textarea(attrs={"rows": 3})}
        labels = {"radiating_leg_pain": "Pain radiates into a leg",
                  "related_to_surgery": "Related to surgery",
                  "related_to_pregnancy": "Related to pregnancy"}

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        if not self.instance.pk:
            # A new episode is open; status and discharge belong to later edits.
            del self.fields["status"], self.fields["discharge_reason"]
        if self.instance.pk and not self.is_bound:
            self.initial["diagnosis_codes"] = ", ".join(self.instance.diagnosis_codes)
            self.initial["version"] = self.instance.version

    def clean_onset_date(self) -> date:
        onset = self.cleaned_data["onset_date"]
        if onset > timezone.localdate():
            raise forms.ValidationError("The onset date cannot be in the future.")
        if onset < self.patient.date_of_birth:
            raise forms.ValidationError("The onset date is before the patient's date of birth.")
        return onset

    def clean_diagnosis_codes(self) -> list[str]:
        raw = self.cleaned_data.get("diagnosis_codes", "")
        codes = [diagnoses.normalise(c) for c in raw.replace(";", ",").split(",") if c.strip()]
        problems = [m for m in (diagnoses.check(c) for c in codes) if m]
        if problems:
            raise forms.ValidationError(problems)
        return list(dict.fromkeys(codes))

    def clean(self):
        cleaned = super().clean()
        codes = cleaned.get("diagnosis_codes") or []
        if cleaned.get("cause") == "nonspecific" and any(
                diagnoses.BY_CODE[c].specific_cause for c in codes):
            self.add_error("cause", "A specific-cause diagnosis code is listed: choose "
                           "“Specific cause identified”.")
        status = cleaned.get("status")
        if status == "discharged" and not cleaned.get("discharge_reason", "").strip():
            self.add_error("discharge_reason", "Give the reason for discharge.")
        if status and status != "discharged" and cleaned.get("discharge_reason"):
            self.add_error("discharge_reason", "Only a discharged episode has a discharge "
                           "reason.")
        return cleaned


class ClearanceForm(AsciiDigitsMixin, forms.Form):
    """Clears open findings that block needling (selectors.finding_clearances)."""

    rules = forms.MultipleChoiceField(label="Findings this clearance answers",
                                      widget=forms.CheckboxSelectMultiple)
    kind = forms.ChoiceField(choices=ClearanceKind.choices, label="How it was cleared",
                             help_text="Red flags and conditions that need a doctor's "
                             "assessment are cleared only by a medical clearance, with its "
                             "letter.")
    cleared_by_name = forms.CharField(label="Cleared by (name and role)", max_length=200)
    cleared_on = forms.DateField(label="Date of the assessment or decision",
                                 widget=forms.DateInput(attrs={"type": "date"}))
    letter = forms.CharField(label="The clearance letter (author, date, what it says, where "
                             "it is filed)", required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    allows = forms.ChoiceField(choices=ClearanceAllows.choices, label="What it allows")
    note = forms.CharField(label="Details (what they found, or your reasoning)",
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, open_findings: list[dict] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = [(f["rule"], finding_text(f)) for f in open_findings]
        self.fields["rules"].initial = [f["rule"] for f in open_findings
                                        if f["outcome"] in ("URGENT", "EMERGENCY")]

    def clean_cleared_on(self):
        day = self.cleaned_data["cleared_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("This date is in the future.")
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ClearanceKind.MEDICAL_CLEARANCE and \
                not cleaned.get("letter", "").strip():
            self.add_error("letter", "A medical clearance needs its letter.")
        return cleaned


class NeedlingCheckForm(AsciiDigitsMixin, forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    electroacupuncture = forms.BooleanField(required=False, label="Electroacupuncture planned")
    points = forms.CharField(label="Points planned", required=False,
                             help_text="WHO codes separated by commas or spaces, e.g. BL23, "
                             "GV4, UB40 (aliases accepted).")

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(
            clinic_id=patient.clinic_id, is_active=True)

    def clean_points(self) -> list[str]:
        raw = self.cleaned_data.get("points", "")
        tokens = [t for t in raw.replace(",", " ").split() if t]
        unknown = [t for t in tokens if points.lookup(t) is None]
        if unknown:
            raise forms.ValidationError(f"Unknown point code: {', '.join(unknown)}.")
        if any(points.is_ashi(t) for t in tokens):
            raise forms.ValidationError("“Ashi” is not a point code: an Ashi site is checked "
                                        "by where it is, recorded with its location on the "
                                        "plan or the session.")
        return list(dict.fromkeys(points.lookup(t).code for t in tokens))


# --- The medication, allergy and problem lists and results (issue #26 item 4) ---

_DATE = forms.DateInput(attrs={"type": "date"})


class _ListEntryForm(AsciiDigitsMixin, forms.ModelForm):
    """Dates within the accepted range and not in the future, naming the field."""

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, date):
                if not input_bounds.in_range(value):
                    self.add_error(name, input_bounds.OUT_OF_RANGE)
                elif value > self.today:
                    self.add_error(name, "This date is in the future.")
        return data


class MedicationForm(_ListEntryForm):
    class Meta:
        model = Medication
        fields = ["kind", "name", "dose", "started_on", "prescribed_by_clinic", "chosen_class"]
        widgets = {"started_on": _DATE}
        labels = {"prescribed_by_clinic": "A herb this clinic prescribes",
                  "chosen_class": "Its class, if the name is not recognised"}
        help_texts = {"name": "Generic or brand name, e.g. warfarin, Eliquis, dan shen.",
                      "chosen_class": "Needed only for a medicine the table does not know "
                      "(a misspelling, a new or rare drug): which class of the safety rules "
                      "it belongs to, or none of these."}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the medicine's name.")
        return name

    def clean(self):
        data = super().clean()
        name = (data.get("name") or "").strip()
        if name and data.get("kind") == MedicationKind.MEDICINE:
            known = medications.drug_for(name)
            if known is not None:
                data["chosen_class"] = ""  # the table decides
            elif not data.get("chosen_class"):
                # Never read as harmless (issue #26): the clinician says which class.
                self.add_error("chosen_class", f"“{name}” is not in the medicine table (check "
                               "the spelling): choose its class, or “None of these classes”.")
        elif data.get("kind") == MedicationKind.HERB:
            data["chosen_class"] = ""
        if data.get("prescribed_by_clinic") and data.get("kind") != MedicationKind.HERB:
            self.add_error("prescribed_by_clinic", "Only a herb is prescribed by the clinic "
                           "here: choose 'Herb or herbal product'.")
        return data


class AllergyForm(_ListEntryForm):
    class Meta:
        model = Allergy
        fields = ["category", "substance", "reaction"]

    def clean(self):
        data = super().clean()
        if data.get("category") in (AllergyCategory.OTHER, AllergyCategory.HERBS) \
                and not (data.get("substance") or "").strip():
            self.add_error("substance", "Name the substance.")
        return data


class ProblemForm(_ListEntryForm):
    class Meta:
        model = Problem
        fields = ["description", "icd10_code", "onset_on"]
        widgets = {"onset_on": _DATE}
        labels = {"icd10_code": "ICD-10-CM code (where known)"}

    def clean_icd10_code(self):
        code = self.cleaned_data["icd10_code"].strip()
        if not code:
            return ""
        problem = diagnoses.check(code)
        if problem:
            raise forms.ValidationError(problem)
        return diagnoses.normalise(code)


class LabResultForm(_ListEntryForm):
    class Meta:
        model = LabResult
        fields = ["kind", "value", "taken_on"]
        widgets = {"taken_on": _DATE}
        labels = {"taken_on": "Sample taken on"}

    def clean_value(self):
        value = self.cleaned_data["value"]
        if value is not None and value <= 0:
            raise forms.ValidationError("A result is greater than zero.")
        return value


class StopEntryForm(AsciiDigitsMixin, forms.Form):
    on = forms.DateField(label="Stopped / resolved on", widget=_DATE)

    def clean_on(self):
        value = self.cleaned_data["on"]
        if not input_bounds.in_range(value):
            raise forms.ValidationError(input_bounds.OUT_OF_RANGE)
        return value


class EnteredInErrorForm(AsciiDigitsMixin, forms.Form):
    reason = forms.CharField(label="Why is it in error?", max_length=300)
