"""Red-flag triage and contraindication screening.

Pure Python. Every rule is a row of RULES with its id, inputs, action and
source keys; the source keys point to docs/reference/safety.md ("Sources").
`decide(answers)` runs them all and returns a Decision naming every finding.
docs/clinical-safety.md is generated from RULES (`rules_markdown`) and a test
keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

from acuback.clinical import adjuncts, diagnoses, medications

RULESET_VERSION = "safety-2026.4"

# RF-05 counts age above this as a weaker cancer feature (configurable per
# safety.md §1.2; some UK pathways use 55).
DEFAULT_AGE_THRESHOLD = 50
# RF-05: back pain starting before this age is a weaker feature too (safety.md §1.2,
# "or < 20").
YOUNG_ONSET_AGE = 20


class Outcome(IntEnum):
    """Ordered so that max() gives the most urgent."""

    PROCEED = 0
    PRECAUTIONS = 1  # proceed with precautions
    SOON = 2  # routine referral
    URGENT = 3  # medical assessment within days
    EMERGENCY = 4  # same day

    @property
    def label(self) -> str:
        return {
            0: "Proceed",
            1: "Proceed with precautions",
            2: "SOON: routine referral",
            3: "URGENT referral",
            4: "EMERGENCY referral",
        }[self.value]

    @property
    def is_referral(self) -> bool:
        return self >= Outcome.SOON


class Action(StrEnum):
    """safety.md §3.1."""

    @property
    def words(self) -> str:
        """The action as a page says it (issue #28 §6: never the enum's name)."""
        return ACTION_WORDS[self]

    DEFER_REFER = "DEFER_REFER"
    BLOCK_NEEDLING = "BLOCK_NEEDLING"
    BLOCK_EA = "BLOCK_EA"
    BLOCK_POINTS = "BLOCK_POINTS"
    REQUIRE_ACK = "REQUIRE_ACK"


ACTION_WORDS = {
    Action.DEFER_REFER: "defer needling and refer",
    Action.BLOCK_NEEDLING: "no needling",
    Action.BLOCK_EA: "no electroacupuncture",
    Action.BLOCK_POINTS: "some points or regions not to be needled",
    Action.REQUIRE_ACK: "precautions to acknowledge before needling",
}

ELECTRICAL_DEVICES = frozenset({"pacemaker", "icd", "neurostimulator", "pump",
                                "other_electrical"})
DEVICE_KINDS = ELECTRICAL_DEVICES | {"other_non_electrical"}
REGIONS = adjuncts.REGIONS
MEDICATION_CLASSES = ("anticoagulant", "antiplatelet", "corticosteroid", "immunosuppressant")

# safety.md §4: default pregnancy block set (named points).
PREGNANCY_BLOCKED_POINTS = ("LI4", "SP6", "BL60", "BL67", "BL31", "BL32", "BL33", "BL34", "GB21")
# safety.md §4 (WHO 1999): lumbosacral points are avoided in every trimester. Blocked unless
# the clinic's setting lifts it (Clinic.pregnancy_blocks_lumbosacral).
PREGNANCY_LUMBOSACRAL = frozenset({"lower_back", "sacral"})
# safety.md §3.2 "prohibited sites": nipple (ST17 lies at the nipple) and umbilicus
# (CV8 lies at the umbilicus); never needled, not overridable.
PROHIBITED_POINTS = ("ST17", "CV8")


@dataclass(frozen=True)
class Device:
    kind: str
    region: str | None = None  # body region over the device
    implanted_on: date | None = None
    removed_on: date | None = None

    @property
    def electrical(self) -> bool:
        return self.kind in ELECTRICAL_DEVICES

    @property
    def active(self) -> bool:
        return self.removed_on is None


@dataclass(frozen=True)
class Answers:
    """Structured intake answers. None means "not answered"."""

    age: int | None = None
    sex_at_birth: str | None = None
    # Back-pain history
    leg_pain: bool | None = None
    back_pain_onset_age: int | None = None  # age at the onset of this episode
    back_pain_duration_weeks: float | None = None  # of this episode
    first_back_pain_age: int | None = None  # age at the first back pain ever (NG65)
    new_episode: bool | None = None  # new (or newly changed) back pain
    medically_assessed: bool | None = None  # this episode already assessed by a physician
    no_improvement_after_month: bool | None = None
    # RF-01 cauda equina (all asked as "new")
    bladder_disturbance: bool | None = None
    bowel_disturbance: bool | None = None
    saddle_numbness: bool | None = None
    sexual_dysfunction: bool | None = None
    bilateral_leg_pain: bool | None = None
    bilateral_leg_weakness: bool | None = None  # severe/progressive, or new gait disturbance
    # RF-02 neurology
    progressive_weakness: bool | None = None
    multi_root_motor_deficit: bool | None = None
    limb_weakness: bool | None = None
    sensory_change: bool | None = None
    # RF-03..05 malignancy
    history_of_cancer: bool | None = None
    unexplained_weight_loss: bool | None = None
    night_pain: bool | None = None
    pain_multiple_sites: bool | None = None
    structural_deformity: bool | None = None
    thoracic_pain: bool | None = None
    # RF-06 infection
    fever_or_chills: bool | None = None
    systemically_unwell: bool | None = None
    iv_drug_use: bool | None = None
    immunosuppression: bool | None = None
    recent_bacterial_infection: bool | None = None
    penetrating_wound: bool | None = None
    # RF-07/08 fracture
    major_trauma: bool | None = None
    minor_trauma: bool | None = None
    osteoporosis: bool | None = None
    abrupt_midline_pain_eased_lying: bool | None = None
    # RF-09 aortic aneurysm
    abdominal_or_flank_pain: bool | None = None
    collapse: bool | None = None
    pulsatile_abdominal_mass: bool | None = None
    # RF-10 axial spondyloarthritis (NG65)
    wakes_second_half_of_night: bool | None = None
    buttock_pain: bool | None = None
    improves_with_movement: bool | None = None
    nsaid_response_48h: bool | None = None
    family_spondyloarthritis: bool | None = None
    arthritis_history: bool | None = None
    enthesitis_history: bool | None = None
    psoriasis_history: bool | None = None
    # §3.2 conditions
    unstable_condition: bool | None = None
    bleeding_disorder: bool | None = None
    severe_neutropenia: bool | None = None
    damaged_heart_valve: bool | None = None
    spinal_instability: bool | None = None
    involuntary_movements: bool | None = None
    cannot_consent: bool | None = None
    needle_phobia: bool | None = None
    epilepsy: bool | None = None
    nickel_allergy: bool | None = None
    diabetes: bool | None = None
    lymphoedema_regions: frozenset[str] = frozenset()
    tumour_regions: frozenset[str] = frozenset()
    skin_problem_regions: frozenset[str] = frozenset()
    # Numbness or reduced feeling in the skin, by region: heat and moxibustion are not
    # felt there (issue #26 item 9; CI-SENSATION).
    sensation_loss_regions: frozenset[str] = frozenset()
    medication_classes: frozenset[str] = frozenset()
    devices: tuple[Device, ...] = ()
    # The questions in front of those lists: an empty list is "none" only after a "no".
    takes_listed_medicines: bool | None = None
    has_implanted_device: bool | None = None
    has_skin_problem: bool | None = None
    has_tumour: bool | None = None
    has_lymphoedema: bool | None = None
    has_sensation_loss: bool | None = None
    # ICD-10-CM codes of the episode (from the chart) and of the patient's problem list
    diagnosis_codes: frozenset[str] = frozenset()
    # From the patient's medication list and results (issue #26 item 4; with_lists)
    antithrombotic_agents: frozenset[str] = frozenset()  # generic names
    bleeding_herbs: frozenset[str] = frozenset()  # medications.BLEEDING_HERBS names
    inr: float | None = None
    inr_age_days: int | None = None
    platelet_count: float | None = None  # x10^9/L
    platelet_age_days: int | None = None
    # Pregnancy
    pregnant: bool | None = None
    gestational_weeks: int | None = None
    # The clinic's setting (from the chart, not asked): block the lower back and sacrum in
    # pregnancy (WHO 1999, the default) or leave them to the practitioner's care.
    pregnancy_lumbosacral_blocked: bool = True
    # Today
    hungry_or_exhausted_today: bool | None = None
    intoxicated_today: bool | None = None
    fainted_with_needling_before: bool | None = None

    @property
    def corticosteroid_use(self) -> bool:
        return "corticosteroid" in self.medication_classes

    @property
    def immunosuppressed(self) -> bool:
        return bool(self.immunosuppression) or "immunosuppressant" in self.medication_classes


class InvalidAnswer(ValueError):
    """An impossible answer; `field` names the question."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


MAX_GESTATIONAL_WEEKS = 42


def validate(answers: Answers) -> None:
    """Reject impossible or contradictory answers, naming the field."""
    if answers.age is not None and not 0 <= answers.age <= 130:
        raise InvalidAnswer("age", "Age must be between 0 and 130.")
    if answers.gestational_weeks is not None:
        if not 0 <= answers.gestational_weeks <= MAX_GESTATIONAL_WEEKS:
            raise InvalidAnswer("gestational_weeks",
                                f"Weeks of pregnancy must be between 0 and {MAX_GESTATIONAL_WEEKS}.")
        if answers.pregnant is False:
            raise InvalidAnswer("gestational_weeks",
                                "Weeks of pregnancy given, but the patient is not pregnant.")
    if answers.pregnant and answers.sex_at_birth == "male":
        raise InvalidAnswer("pregnant", "Pregnancy is recorded, but the patient's sex at birth "
                            "is male: check the answer or the patient's record.")
    if answers.back_pain_onset_age is not None and answers.age is not None \
            and answers.back_pain_onset_age > answers.age:
        raise InvalidAnswer("back_pain_onset_age", "Back pain cannot start after today's age.")
    if answers.back_pain_duration_weeks is not None and answers.back_pain_duration_weeks < 0:
        raise InvalidAnswer("back_pain_duration_weeks", "Duration cannot be negative.")
    first = answers.first_back_pain_age
    if first is not None:
        if first < 0 or (answers.age is not None and first > answers.age):
            raise InvalidAnswer("first_back_pain_age",
                                "The age at the first back pain must be between 0 and today's "
                                "age.")
        if answers.back_pain_onset_age is not None and first > answers.back_pain_onset_age:
            raise InvalidAnswer("first_back_pain_age",
                                "The first back pain cannot start after this episode began.")
    unknown_codes = [c for c in sorted(answers.diagnosis_codes) if diagnoses.check(c)]
    if unknown_codes:
        raise InvalidAnswer("diagnosis_codes",
                            f"Not on the diagnosis code list: {', '.join(unknown_codes)}.")
    for question, codes in diagnoses.contradictions(answers.diagnosis_codes).items():
        if getattr(answers, question) is False:
            raise InvalidAnswer(question, f"The patient's diagnoses include {', '.join(codes)}: "
                                "the answer cannot be no. Review the diagnosis or the answer.")
    if answers.sex_at_birth == "male" and _coded_pregnancy(answers):
        raise InvalidAnswer("diagnosis_codes", "A pregnancy code is recorded, but the patient's "
                            "sex at birth is male: check the code or the patient's record.")
    for name in ("lymphoedema_regions", "tumour_regions", "skin_problem_regions",
                 "sensation_loss_regions"):
        unknown = set(getattr(answers, name)) - set(REGIONS)
        if unknown:
            raise InvalidAnswer(name, f"Unknown body region: {', '.join(sorted(unknown))}.")
    unknown_meds = set(answers.medication_classes) - set(MEDICATION_CLASSES)
    if unknown_meds:
        raise InvalidAnswer("medication_classes",
                            f"Unknown medication class: {', '.join(sorted(unknown_meds))}.")
    # A name the table does not know is an antithrombotic the clinician classed as one.
    unknown_agents = [n for n in sorted(answers.antithrombotic_agents)
                      if medications.class_of(n) not in (*medications.ANTITHROMBOTIC_CLASSES,
                                                         None)]
    if unknown_agents:
        raise InvalidAnswer("antithrombotic_agents",
                            f"Not an antithrombotic medicine: {', '.join(unknown_agents)}.")
    unknown_herbs = [n for n in sorted(answers.bleeding_herbs) if not medications.bleeding_herb(n)]
    if unknown_herbs:
        raise InvalidAnswer("bleeding_herbs", f"Unknown herb: {', '.join(unknown_herbs)}.")
    for name in ("inr", "platelet_count", "inr_age_days", "platelet_age_days"):
        value = getattr(answers, name)
        if value is not None and value < 0:
            raise InvalidAnswer(name, "A result or its age cannot be negative.")
    for device in answers.devices:
        if device.kind not in DEVICE_KINDS:
            raise InvalidAnswer("devices", f"Unknown device kind: {device.kind}.")
        if device.region is not None and device.region not in REGIONS:
            raise InvalidAnswer("devices", f"Unknown body region: {device.region}.")
        if device.implanted_on and device.removed_on and device.removed_on < device.implanted_on:
            raise InvalidAnswer("devices", "A device's removal date is before its implant date.")


@dataclass(frozen=True)
class Effect:
    outcome: Outcome = Outcome.PROCEED
    actions: frozenset[Action] = frozenset()
    blocked_points: frozenset[str] = frozenset()
    blocked_regions: frozenset[str] = frozenset()
    acknowledgement: str = ""  # what the practitioner acknowledges, with technique adjustments
    note: str = ""  # why, in the case at hand
    questions: tuple[str, ...] = ()  # ASK: the unanswered questions (Answers fields)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    inputs: str  # what the rule reads, in words (for the docs)
    action: str  # what it does, in words (for the docs)
    sources: tuple[str, ...]
    evaluate: Callable[[Answers, int], Effect | None] = field(repr=False)
    project_rule: str = ""  # what in it is a project rule, not a source's


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    outcome: Outcome
    actions: frozenset[Action]
    note: str
    sources: tuple[str, ...]
    acknowledgement: str = ""
    questions: tuple[str, ...] = ()  # ASK: the unanswered questions (Answers fields)
    # What this finding blocks, so that each blocked point shows its own reason.
    blocked_points: frozenset[str] = frozenset()
    blocked_regions: frozenset[str] = frozenset()
    # The adjunct therapies it refuses, and where (clinical.adjuncts).
    adjunct_blocks: tuple[adjuncts.Block, ...] = ()


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    findings: tuple[Finding, ...]
    needling_allowed: bool
    electroacupuncture_allowed: bool
    blocked_points: frozenset[str]
    blocked_regions: frozenset[str]
    acknowledgements: tuple[str, ...]
    rule_version: str = RULESET_VERSION

    @property
    def outcome_words(self) -> str:
        return outcome_words(self.outcome, self.needling_allowed)

    @property
    def reasons(self) -> list[str]:
        return [f"{f.title}: {f.note}" for f in self.findings]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.name,
            "needling_allowed": self.needling_allowed,
            "electroacupuncture_allowed": self.electroacupuncture_allowed,
            "blocked_points": sorted(self.blocked_points),
            "blocked_regions": sorted(self.blocked_regions),
            "acknowledgements": list(self.acknowledgements),
            "rule_version": self.rule_version,
            "findings": [
                {"rule": f.rule_id, "title": f.title, "outcome": f.outcome.name,
                 "actions": sorted(a.value for a in f.actions), "note": f.note,
                 "sources": list(f.sources), "acknowledgement": f.acknowledgement,
                 "questions": list(f.questions),
                 "blocked_points": sorted(f.blocked_points),
                 "blocked_regions": sorted(f.blocked_regions),
                 "adjunct_blocks": [{"adjunct": b.adjunct, "region": b.region, "why": b.why}
                                    for b in f.adjunct_blocks]}
                for f in self.findings
            ],
        }


def _yes(*values: bool | None) -> list[bool]:
    return [v is True for v in values]


def _names(pairs: list[tuple[bool | None, str]]) -> list[str]:
    return [label for value, label in pairs if value is True]


def _coded(a: Answers, rule_id: str) -> list[str]:
    """The episode's diagnosis codes that raise `rule_id`, each with its description."""
    return [f"coded {d.code} {d.description}"
            for d in diagnoses.coded_for(a.diagnosis_codes, rule_id)]


def _coded_effect(a: Answers, rule_id: str, outcome: Outcome) -> Effect | None:
    """A coded serious cause raises its rule at the rule's tier and blocks needling until
    cleared (project rule: a confirmed cause is not weaker than a suspected one)."""
    coded = _coded(a, rule_id)
    if not coded:
        return None
    actions = {Action.BLOCK_NEEDLING} | ({Action.DEFER_REFER}
                                         if outcome >= Outcome.EMERGENCY else set())
    return Effect(outcome, frozenset(actions), note="; ".join(coded))


# --- red flags (safety.md §1.2) --------------------------------------------------

CES_ITEMS = (
    ("bladder_disturbance", "new bladder disturbance"),
    ("bowel_disturbance", "new bowel disturbance"),
    ("saddle_numbness", "new saddle numbness or tingling"),
    ("sexual_dysfunction", "new sexual dysfunction"),
    ("bilateral_leg_pain", "bilateral radicular leg pain"),
    ("bilateral_leg_weakness", "severe or progressive weakness of both legs / new gait disturbance"),
)
# safety.md §1.1: the questions that feed an EMERGENCY rule must be asked and
# recorded before the first needling.
MUST_ASK = ("bladder_disturbance", "bowel_disturbance", "saddle_numbness",
            "bilateral_leg_weakness")


def _rf01(a: Answers, _: int) -> Effect | None:
    present = [label for name, label in CES_ITEMS if getattr(a, name) is True]
    if not present:
        return _coded_effect(a, "RF-01", Outcome.EMERGENCY)
    return Effect(Outcome.EMERGENCY, frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING}),
                  note="; ".join(present + _coded(a, "RF-01")) + ". Retention with overflow "
                  "is a late sign: its absence does not reassure.")


def _rf01_unasked(a: Answers, _: int) -> Effect | None:
    missing = [label for name, label in CES_ITEMS if name in MUST_ASK and getattr(a, name) is None]
    if not missing:
        return None
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.BLOCK_NEEDLING}),
                  note="not yet answered: " + "; ".join(missing) + ". Ask in person and record "
                  "before the first needling.")


def _rf02(a: Answers, _: int) -> Effect | None:
    present = _names([(a.progressive_weakness, "progressive motor weakness"),
                      (a.multi_root_motor_deficit, "motor deficit at more than one root level")])
    if not present:
        return _coded_effect(a, "RF-02", Outcome.EMERGENCY)
    return Effect(Outcome.EMERGENCY, frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING}),
                  note="; ".join(present + _coded(a, "RF-02")))


def _neuro_symptoms(a: Answers) -> list[str]:
    return _names([(a.limb_weakness, "limb weakness"), (a.sensory_change, "sensory change"),
                   (a.bladder_disturbance, "bladder change"), (a.bowel_disturbance, "bowel change")])


def _cancer_with_back_pain(a: Answers) -> list[str]:
    """History of cancer with new back pain, or a coded spinal malignancy (whose back
    pain is its own, new or not)."""
    reasons = ["history of cancer and new back pain"] if (a.history_of_cancer
                                                          and a.new_episode) else []
    return reasons + _coded(a, "RF-04")


def _rf03(a: Answers, _: int) -> Effect | None:
    cancer = _cancer_with_back_pain(a)
    neuro = _neuro_symptoms(a)
    if not (cancer and neuro):
        return None
    return Effect(Outcome.EMERGENCY, frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING}),
                  note="; ".join(cancer) + ", with " + ", ".join(neuro))


def _rf04(a: Answers, _: int) -> Effect | None:
    cancer = _cancer_with_back_pain(a)
    if not cancer or _neuro_symptoms(a):
        return None
    return Effect(Outcome.URGENT, frozenset({Action.BLOCK_NEEDLING}), note="; ".join(cancer))


def _rf05(a: Answers, age_threshold: int) -> Effect | None:
    unassessed_no_improvement = bool(a.no_improvement_after_month and a.new_episode
                                     and a.medically_assessed is not True)
    onset_age = a.back_pain_onset_age if a.back_pain_onset_age is not None else a.age
    features = _names([
        (a.age is not None and a.age > age_threshold, f"age over {age_threshold}"),
        (onset_age is not None and onset_age < YOUNG_ONSET_AGE,
         f"onset before {YOUNG_ONSET_AGE}"),
        (a.unexplained_weight_loss, "unexplained weight loss"),
        (a.night_pain, "persistent night pain"),
        (a.pain_multiple_sites, "pain at several sites"),
        (a.structural_deformity, "structural deformity"),
        (a.thoracic_pain, "thoracic pain"),
        (unassessed_no_improvement, "no improvement after about a month, not yet assessed"),
    ])
    if len(features) >= 2:
        return Effect(Outcome.URGENT, frozenset({Action.BLOCK_NEEDLING}),
                      note="several weaker cancer features: " + ", ".join(features))
    if len(features) == 1 and not features[0].startswith(("age over", "onset before")):
        return Effect(Outcome.SOON, frozenset({Action.REQUIRE_ACK}),
                      acknowledgement="One weaker cancer feature: re-check at 4 weeks.",
                      note=features[0] + "; re-check at 4 weeks")
    return None


def _rf06(a: Answers, _: int) -> Effect | None:
    systemic = _names([(a.fever_or_chills, "fever, chills or rigors"),
                       (a.systemically_unwell, "systemically unwell")])
    if systemic:
        return Effect(Outcome.EMERGENCY, frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING}),
                      note="back pain with " + ", ".join(systemic))
    coded = _coded_effect(a, "RF-06", Outcome.URGENT)
    if coded:
        return coded
    risks = _names([(a.iv_drug_use, "IV drug use"), (a.immunosuppressed, "immunosuppression"),
                    (a.recent_bacterial_infection, "recent bacterial infection"),
                    (a.penetrating_wound, "penetrating wound")])
    if not risks:
        return None
    if a.new_episode:
        return Effect(Outcome.URGENT, frozenset({Action.BLOCK_NEEDLING}),
                      note="new or changed back pain with an infection risk factor: "
                      + ", ".join(risks))
    # A risk factor with long-standing, unchanged pain and no systemic feature is a
    # precaution, not a referral (project rule).
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement="Infection risk factor: strict asepsis; re-screen at once if "
                  "the pain becomes new or worse, or fever or feeling unwell appears.",
                  note="infection risk factor (" + ", ".join(risks) + ") with unchanged back "
                  "pain and no systemic feature")


def _rf07(a: Answers, _: int) -> Effect | None:
    if not a.major_trauma:
        return _coded_effect(a, "RF-07", Outcome.EMERGENCY)
    return Effect(Outcome.EMERGENCY, frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING}),
                  note="; ".join(["major trauma with back pain"] + _coded(a, "RF-07")))


def _older_for_fracture(a: Answers) -> bool:
    # ACP as cited in safety.md: men over 65, women over 75.
    if a.age is None:
        return False
    if a.sex_at_birth == "male":
        return a.age > 65
    if a.sex_at_birth == "female":
        return a.age > 75
    return a.age > 65  # sex not recorded: the lower threshold, conservatively


def _fragility_risks(a: Answers) -> list[str]:
    return _names([(_older_for_fracture(a), "older age"), (a.osteoporosis, "osteoporosis"),
                   (a.corticosteroid_use, "corticosteroid use")])


def _rf08(a: Answers, _: int) -> Effect | None:
    reasons = []
    if a.minor_trauma and (a.osteoporosis or a.corticosteroid_use):
        reasons.append("minor trauma with osteoporosis or corticosteroid use")
    if a.minor_trauma and _older_for_fracture(a):
        reasons.append("minor trauma at older age")
    # A fragility fracture needs no trauma. Prolonged corticosteroid use is the history red
    # flag with the highest post-test probability (Downie 2013: 33 %), and safety.md RF-08
    # lists older age (men > 65, women > 75) on its own: either, with new pain, fires;
    # osteoporosis counts with one of them (RF-08 lists it only with trauma).
    risks = _fragility_risks(a)
    if a.new_episode and not a.minor_trauma and (a.corticosteroid_use
                                                 or _older_for_fracture(a)):
        reasons.append("new back pain without trauma, with " + " and ".join(risks))
    if a.abrupt_midline_pain_eased_lying:
        reasons.append("abrupt severe midline pain that settles lying flat")
    coded = _coded(a, "RF-08")
    if coded:
        # A coded vertebral fracture is no longer a suspicion: blocked until cleared.
        return Effect(Outcome.SOON, frozenset({Action.REQUIRE_ACK, Action.BLOCK_NEEDLING}),
                      acknowledgement="Vertebral fracture: no pressure or deep needling over "
                      "the spine.", note="; ".join(coded + reasons))
    if not reasons:
        return None
    return Effect(Outcome.SOON, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement="Possible fragility fracture: X-ray / medical assessment "
                  "requested; no pressure or deep needling over the spine.",
                  note="; ".join(reasons))


def _rf09(a: Answers, _: int) -> Effect | None:
    # safety.md RF-09: abdominal and/or back or flank pain. Every patient screened here
    # has back pain, so the signs alone decide.
    signs = _names([(a.collapse, "collapse or loss of consciousness"),
                    (a.pulsatile_abdominal_mass, "pulsatile abdominal mass")])
    if not signs:
        # A coded aortic aneurysm in a patient with back pain: symptomatic until assessed.
        return _coded_effect(a, "RF-09", Outcome.EMERGENCY)
    pain = "abdominal or flank and back pain" if a.abdominal_or_flank_pain else "back pain"
    return Effect(Outcome.EMERGENCY, frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING}),
                  note="; ".join([f"{pain} with " + ", ".join(signs)] + _coded(a, "RF-09")))


def _first_onset(a: Answers) -> tuple[int | None, float | None]:
    """(age at the first back pain, weeks of back pain since then, at least).

    NG65 counts from the first onset of back pain, not from this episode's."""
    onset, weeks, first = a.back_pain_onset_age, a.back_pain_duration_weeks, \
        a.first_back_pain_age
    if first is None:
        return onset, weeks
    if onset is None:
        return first, weeks
    if first >= onset:
        return onset, weeks
    # Ages are whole years: the first pain began at least (onset - first - 1) whole
    # years before this episode did.
    earlier = (onset - first - 1) * 52.0
    if weeks is None and not earlier:
        return first, None
    return first, (weeks or 0.0) + earlier


def _rf10(a: Answers, _: int) -> Effect | None:
    # NICE NG65 (safety.md §1.3): back pain that began before 45 and has lasted more
    # than 3 months.
    coded = _coded(a, "RF-10")
    if coded:
        # Already diagnosed: the rheumatology follow-up, not a new referral (NG65).
        return Effect(Outcome.SOON, frozenset({Action.REQUIRE_ACK}),
                      acknowledgement="Known axial spondyloarthritis: confirm rheumatology "
                      "follow-up; refer if not under rheumatology care.",
                      note="; ".join(coded))
    onset, weeks = _first_onset(a)
    if onset is None or weeks is None:
        return None
    if not (onset < 45 and weeks > 13):
        return None
    features = _names([
        (onset < 35, "onset before 35"),
        (a.wakes_second_half_of_night, "wakes in the second half of the night"),
        (a.buttock_pain, "buttock pain"),
        (a.improves_with_movement, "improves with movement"),
        (a.nsaid_response_48h, "improves within 48 h of an NSAID"),
        (a.family_spondyloarthritis, "first-degree relative with spondyloarthritis"),
        (a.arthritis_history, "arthritis"),
        (a.enthesitis_history, "enthesitis"),
        (a.psoriasis_history, "psoriasis"),
    ])
    if len(features) >= 4:
        return Effect(Outcome.SOON, frozenset({Action.REQUIRE_ACK}),
                      acknowledgement="Refer to rheumatology (possible axial spondyloarthritis).",
                      note=f"{len(features)} features: " + ", ".join(features)
                      + ". Refer to rheumatology.")
    if len(features) == 3:
        return Effect(Outcome.SOON, frozenset({Action.REQUIRE_ACK}),
                      acknowledgement="Request HLA-B27 via a physician; refer if positive.",
                      note="3 features: " + ", ".join(features)
                      + ". Request HLA-B27 via a physician; refer if positive.")
    return None


# --- contraindications and precautions (safety.md §3.2, §4) ------------------------

def _flag(attr: str, effect: Effect) -> Callable[[Answers, int], Effect | None]:
    def evaluate(a: Answers, _: int) -> Effect | None:
        return effect if getattr(a, attr) is True else None

    return evaluate


def _anticoagulant(a: Answers, _: int) -> Effect | None:
    coded = _coded(a, "CI-ANTICOAG")
    if "anticoagulant" not in a.medication_classes and not coded:
        return None
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement="Anticoagulant: very superficial needling with fine (0.20 mm) "
                  "needles; no intracapsular points.",
                  note="; ".join(["takes an anticoagulant"] + coded))


def _antiplatelet(a: Answers, _: int) -> Effect | None:
    if "antiplatelet" not in a.medication_classes:
        return None
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement="Antiplatelet: superficial needling with fine needles; "
                  "watch for bleeding.", note="takes an antiplatelet medicine")


def _antithrombotic_count(a: Answers) -> int:
    """Antithrombotic agents: those on the medication list, or at least one per class the
    screening's medicines question names."""
    return max(len(a.antithrombotic_agents),
               len(medications.ANTITHROMBOTIC_CLASSES & a.medication_classes))


def _combined_antithrombotics(a: Answers, _: int) -> Effect | None:
    count = _antithrombotic_count(a)
    if count < 2:
        return None
    agents = ", ".join(sorted(a.antithrombotic_agents)) if len(a.antithrombotic_agents) >= 2 \
        else "an anticoagulant and an antiplatelet"
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.BLOCK_NEEDLING, Action.REQUIRE_ACK}),
                  acknowledgement="Two or more antithrombotic medicines: very superficial "
                  "needling with fine (0.20 mm) needles only, after the prescriber's "
                  "clearance; press every site after withdrawal.",
                  note=f"{count} antithrombotic medicines together: {agents}")


def _herb_interaction(a: Answers, _: int) -> Effect | None:
    classes = sorted(medications.ANTITHROMBOTIC_CLASSES & a.medication_classes)
    if not a.bleeding_herbs or not classes:
        return None
    herbs = ", ".join(sorted(a.bleeding_herbs))
    with_what = " and ".join(f"an {c}" for c in classes)
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement=f"{herbs.capitalize()} with {with_what}: raised bleeding "
                  "risk; tell the prescriber; very superficial needling with fine needles.",
                  note=f"takes {herbs} with {with_what}")


def _age(days: int | None) -> str:
    return "date unknown" if days is None else "today" if days == 0 else \
        f"{days} day{'s' if days != 1 else ''} old"


def _blood_results(a: Answers, _: int) -> Effect | None:
    """Every INR or platelet result on file, with its age, and a vitamin K antagonist
    without an INR. No deferral threshold ships: the sources give none for acupuncture,
    so the value is shown and the practitioner acknowledges it (project rule: any result
    on file, with or without an antithrombotic; a platelet count of 10 needed nothing)."""
    parts = []
    vka = sorted(n for n in a.antithrombotic_agents
                 if (d := medications.drug_for(n)) and d.atc_group == "B01AA")
    if a.inr is not None:
        parts.append(f"INR {a.inr:g} ({_age(a.inr_age_days)})")
    elif vka:
        parts.append(f"no INR on record for {', '.join(vka)}")
    if a.platelet_count is not None:
        parts.append(f"platelet count {a.platelet_count:g} x10^9/L "
                     f"({_age(a.platelet_age_days)})")
    if not parts:
        return None
    shown = "; ".join(parts)
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement=f"Blood results: {shown}. Reviewed before needling (no "
                  "deferral threshold is set: none is sourced).", note=shown)


def _devices(a: Answers, _: int) -> Effect | None:
    electrical = [d for d in a.devices if d.active and d.electrical]
    coded = _coded(a, "CI-DEVICE")
    if coded and not any(d.kind == "pacemaker" for d in electrical):
        # Coded, not on the device list: its site is not known, so it is asked for.
        return Effect(Outcome.PRECAUTIONS, frozenset({Action.BLOCK_EA, Action.REQUIRE_ACK}),
                      acknowledgement="Cardiac pacemaker: no electroacupuncture; record the "
                      "device and its site on the device list, and do not needle over it.",
                      note="; ".join(coded) + ": no electroacupuncture; site not recorded")
    if not electrical:
        return None
    regions = frozenset(d.region for d in electrical if d.region)
    kinds = ", ".join(sorted({d.kind.replace("_", " ") for d in electrical}))
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.BLOCK_EA, Action.BLOCK_POINTS}),
                  blocked_regions=regions,
                  note=f"implanted {kinds}: no electroacupuncture; no needling over the device")


def _coded_pregnancy(a: Answers) -> list[str]:
    return _coded(a, "CI-PREGNANCY")


def _pregnancy(a: Answers, _: int) -> Effect | None:
    if a.pregnant is not True and not _coded_pregnancy(a):
        return None
    weeks = a.gestational_weeks
    # safety.md §4: ≤ 12 weeks lower abdomen + lumbosacral; > 12 weeks upper
    # abdomen + lumbosacral. The catalogue has one "abdomen" region, so both
    # trimesters block it; weeks unknown blocks the union. The lumbosacral part is a
    # clinic setting (project rule): off, the lower back and sacrum need an
    # acknowledgement instead; the named points (BL31-BL34 among them) stay blocked.
    regions = {"abdomen"} | (PREGNANCY_LUMBOSACRAL if a.pregnancy_lumbosacral_blocked
                             else set())
    when = "weeks unknown" if weeks is None else f"{weeks} weeks"
    ack = ("Pregnant: needle only with real need and great caution; no strong stimulation, "
           "no electroacupuncture.")
    if not a.pregnancy_lumbosacral_blocked:
        ack += (" The clinic allows the lower back and sacrum: WHO 1999 advises keeping off "
                "lumbosacral points throughout pregnancy; gentle, shallow needling only, and "
                "never the named forbidden points.")
    return Effect(Outcome.PRECAUTIONS,
                  frozenset({Action.REQUIRE_ACK, Action.BLOCK_POINTS, Action.BLOCK_EA}),
                  blocked_points=frozenset(PREGNANCY_BLOCKED_POINTS),
                  blocked_regions=frozenset(regions), acknowledgement=ack,
                  note="; ".join([f"pregnant ({when})"] + _coded_pregnancy(a)))


def _regions(attr: str, note: str, ack: str = "") -> Callable[[Answers, int], Effect | None]:
    def evaluate(a: Answers, _: int) -> Effect | None:
        regions = frozenset(getattr(a, attr))
        if not regions:
            return None
        actions = {Action.BLOCK_POINTS} | ({Action.REQUIRE_ACK} if ack else set())
        return Effect(Outcome.PRECAUTIONS, frozenset(actions), blocked_regions=regions,
                      acknowledgement=ack,
                      note=f"{note}: {', '.join(sorted(r.replace('_', ' ') for r in regions))}")

    return evaluate


def _sensation_loss(a: Answers, _: int) -> Effect | None:
    if not a.sensation_loss_regions:
        return None
    where = ", ".join(sorted(r.replace("_", " ") for r in a.sensation_loss_regions))
    return Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK}),
                  acknowledgement=f"Reduced feeling ({where}): no moxibustion or heat there; "
                  "the patient would not feel a burn.",
                  note=f"reduced feeling in the skin: {where}")


def _prohibited(a: Answers, _: int) -> Effect:
    return Effect(Outcome.PROCEED, frozenset({Action.BLOCK_POINTS}),
                  blocked_points=frozenset(PROHIBITED_POINTS),
                  note="nipple (ST17) and umbilicus (CV8) are never needled")


def _bleeding_disorder(a: Answers, _: int) -> Effect | None:
    reasons = (["bleeding disorder"] if a.bleeding_disorder else []) + _coded(a, "CI-BLEEDING")
    if not reasons:
        return None
    # The clearance lifts the hold, not the bleeding risk: the precaution (and its needle
    # ceilings, NEEDLE_LIMITS) stays in force after it.
    return Effect(Outcome.PRECAUTIONS, BLOCK | ACK,
                  acknowledgement="Bleeding disorder: only after the physician's clearance; "
                  "very superficial needling with fine (0.20 mm) needles; press every site "
                  "after withdrawal.",
                  note="; ".join(reasons) + ": physician clearance needed")


def _spinal_instability(a: Answers, _: int) -> Effect | None:
    reasons = (["spinal instability"] if a.spinal_instability else []) + _coded(a, "CI-SPINE")
    if not reasons:
        return None
    return Effect(Outcome.PRECAUTIONS, BLOCK | ACK,
                  acknowledgement="Spinal instability: only after the specialist's clearance "
                  "and within what the letter allows; no deep needling or pressure over the "
                  "unstable segment; re-screen at once on any new neurological symptom.",
                  note="; ".join(reasons) + ": specialist clearance needed")


BLOCK = frozenset({Action.BLOCK_NEEDLING})
DEFER_BLOCK = frozenset({Action.DEFER_REFER, Action.BLOCK_NEEDLING})
ACK = frozenset({Action.REQUIRE_ACK})

RULES: tuple[Rule, ...] = (
    Rule("RF-01", "Cauda equina syndrome",
         "back or leg pain with any new: bladder or bowel disturbance, saddle numbness, sexual "
         "dysfunction, bilateral radicular leg pain, severe/progressive weakness of both legs; "
         "or a coded cauda equina syndrome (G83.4)",
         "EMERGENCY; needling blocked until cleared", ("Glos", "Cornwall-BASS", "BMJ-CES",
                                                      "ACP2011"), _rf01,
         project_rule="a coded cause raises its rule until cleared"),
    Rule("RF-01-ASK", "Cauda equina questions not answered",
         "bladder, bowel, saddle sensation or leg weakness question left unanswered",
         "needling blocked until asked in person and recorded", ("CKS",), _rf01_unasked,
         project_rule="safety.md §1.1 project rule"),
    Rule("ASK", "Questions not answered",
         "any other question left blank whose answer could change the decision for this "
         "patient (pregnancy unless the sex at birth is male; the follow-up questions of a "
         "yes)", "needling blocked until each is answered; the check lists and links them",
         ("CKS",), lambda a, t: _unanswered(a, t),
         project_rule="extends the §1.1 rule to every question: a blank is unknown, not no"),
    Rule("RF-02", "Severe or progressive neurological deficit",
         "progressive motor weakness, or motor deficit at more than one root level; or a "
         "coded cord compression (G95.2-)",
         "EMERGENCY; needling blocked", ("ACP2011", "NHS-slide"), _rf02,
         project_rule="a coded cord compression counts as RF-02's severe neurological cause"),
    Rule("RF-03", "Suspected metastatic spinal cord compression",
         "history of cancer and new back pain (or a coded spinal malignancy: C41.2, C41.4, "
         "C72.0, C72.1, C79.5-, C90.0-) and any neurological symptom",
         "EMERGENCY; needling blocked", ("NG234", "Glos", "HeyNeuro"), _rf03),
    Rule("RF-04", "Known cancer, new back pain",
         "history of cancer and new back pain, or a coded spinal malignancy (C41.2, C41.4, "
         "C72.0, C72.1, C79.5-, C90.0-, pathological fracture in neoplastic disease "
         "M84.58-); no neurological symptom",
         "URGENT; needling blocked until cleared", ("ACP2011", "Glos"), _rf04,
         project_rule="a coded spinal malignancy counts whether the pain is new or not"),
    Rule("RF-05", "Weaker cancer features",
         "count of: age over 50 (configurable), onset of this back pain before 20, unexplained "
         "weight loss, night pain, pain at several sites, structural deformity, thoracic pain, "
         "no improvement after a month in a new episode not yet assessed",
         "2 or more: URGENT, needling blocked; 1 other than age: SOON with acknowledgement; "
         "age (over 50 or onset before 20) alone: nothing", ("ACP2011", "Glos", "HeyNeuro"),
         _rf05,
         project_rule="the count of 2, the age-alone exception and the not-yet-assessed condition"),
    Rule("RF-06", "Spinal infection",
         "back pain with fever/chills or systemically unwell; or with IV drug use, "
         "immunosuppression, recent bacterial infection or penetrating wound; or a coded spinal "
         "infection (M46.2- to M46.5-, G06.1, A18.01)",
         "systemic features: EMERGENCY; a risk factor with new or changed pain, or a coded "
         "infection: URGENT, needling blocked until cleared; a risk factor with unchanged pain: "
         "precaution with acknowledgement",
         ("Glos", "ACP2011", "NHS-slide"), _rf06,
         project_rule="the split between the tiers; a risk factor alone is a precaution"),
    Rule("RF-07", "Fracture after major trauma",
         "major trauma with back pain, or a coded vertebral fracture at its initial encounter "
         "(S12.0- to S12.6-, S12.9-, S22.0-, S32.0-, S32.1-, S32.2-; 7th character A or B)",
         "EMERGENCY; needling blocked until cleared", ("Glos", "NHS-slide"), _rf07,
         project_rule="a coded cause raises its rule until cleared"),
    Rule("RF-08", "Suspected fragility fracture",
         "minor trauma with osteoporosis or corticosteroid use, or at older age (men over 65, "
         "women over 75); new pain without trauma with prolonged corticosteroid use or at "
         "older age; abrupt severe midline pain that settles lying flat; or a coded "
         "vertebral fracture: collapsed vertebra (M48.5-), osteoporotic (M80.08-, M80.88-), "
         "or traumatic at a later encounter (7th character D, G, K or S), or pathological "
         "(M84.48-)",
         "SOON with acknowledgement; a coded fracture also blocks needling until cleared",
         ("Glos", "ACP2011", "NHS-slide", "Williams2013", "Downie2013"), _rf08,
         project_rule="new pain for 'without trauma'; osteoporosis without trauma only with "
         "another risk"),
    Rule("RF-09", "Symptomatic abdominal aortic aneurysm",
         "back pain (every patient here), with or without abdominal or flank pain, with "
         "collapse or a pulsatile abdominal mass; or a coded abdominal or thoracoabdominal "
         "aortic aneurysm (I71.3- to I71.6-) or aortic dissection (I71.0-)",
         "EMERGENCY; needling blocked", ("BMJ-AAA", "Relias"), _rf09,
         project_rule="age, smoking, sex and family history do not fire alone; a coded "
         "aneurysm with back pain counts as symptomatic until cleared; a coded dissection "
         "is RF-09's vascular emergency"),
    Rule("RF-10", "Axial spondyloarthritis (NICE NG65)",
         "first back pain ever before 45 and back pain for more than 3 months since (the age "
         "at the first back pain is asked; this episode's onset when it is the first); count "
         "of the nine NG65 features; or a coded ankylosing spondylitis (M45-)",
         "4 or more: SOON, refer to rheumatology; 3: SOON, HLA-B27 via a physician; coded: "
         "SOON, confirm rheumatology follow-up", ("NG65", "NHSL-axSpA", "BJGP"), _rf10,
         project_rule="a coded diagnosis asks for the rheumatology follow-up"),
    Rule("CI-UNSTABLE", "Medical emergency or unstable/undiagnosed condition",
         "unstable or undiagnosed condition (e.g. unexplained syncope or seizures, septic or very "
         "weak)", "DEFER_REFER and BLOCK_NEEDLING",
         ("WHO1999-TOC", "AIM-contra", "Sierpina"),
         _flag("unstable_condition", Effect(Outcome.SOON, DEFER_BLOCK,
                                            note="unstable or undiagnosed condition"))),
    Rule("CI-BLEEDING", "Haemophilia or severe coagulopathy",
         "bleeding disorder, or a coded one: the ICD-10-CM block D65-D69 (coagulation "
         "defects, purpura and other haemorrhagic conditions) whole, and pancytopenia "
         "(D61.81-)",
         "BLOCK_NEEDLING until physician clearance; after it, REQUIRE_ACK and the "
         "anticoagulant's needle ceilings (0.20 mm, 10 mm)",
         ("WHO1999-TOC", "Sierpina", "Cochrane-GERAC", "Cochrane-Cherkin", "BAcC-anticoag"),
         _bleeding_disorder,
         project_rule="a clearance lifts the hold, never the precaution: the anticoagulant's "
         "superficial, fine-needle precaution applies to a cleared bleeding disorder; the "
         "coded block D65-D69 is mapped whole and pancytopenia with it"),
    Rule("CI-ANTICOAG", "Anticoagulant therapy", "medication class anticoagulant, or a "
         "coded long-term anticoagulant use (Z79.01)",
         "REQUIRE_ACK: superficial, fine needles, no intracapsular points; every needle at "
         "most 0.20 mm gauge and 10 mm deep, enforced at save and signature",
         ("BAcC-anticoag", "AACP-list", "Rapson"), _anticoagulant,
         project_rule="the 10 mm depth for 'very superficial'"),
    Rule("CI-ANTIPLATELET", "Antiplatelet therapy", "medication class antiplatelet",
         "REQUIRE_ACK: superficial, fine needles; the anticoagulant's needle ceilings",
         ("BAcC-anticoag",), _antiplatelet,
         project_rule="extends the anticoagulant caution and its ceilings to antiplatelets"),
    Rule("CI-ANTITHROMBOTIC-2", "Two or more antithrombotic medicines",
         "two or more antithrombotic medicines on the medication list, or both an "
         "anticoagulant and an antiplatelet named at the screening",
         "BLOCK_NEEDLING until a medical clearance (the prescriber); REQUIRE_ACK; the "
         "anticoagulant's needle ceilings", ("BAcC-anticoag",), _combined_antithrombotics,
         project_rule="the escalation: no source grades combined antithrombotic therapy"),
    Rule("CI-HERB-BLEED", "Herb that raises bleeding risk with an antithrombotic",
         "dan shen, dong quai or ginkgo taken with an anticoagulant or antiplatelet",
         "REQUIRE_ACK", ("Tsai2013", "Samuels2005"), _herb_interaction),
    Rule("CI-BLOOD-RESULTS", "Blood results on file",
         "any INR or platelet count on the list, with its date; a vitamin K antagonist "
         "without an INR",
         "REQUIRE_ACK before the first needle and before cupping or gua sha: the value and "
         "its age are shown; no deferral threshold",
         ("BAcC-anticoag",), _blood_results,
         project_rule="every result on file is acknowledged, with or without an "
         "antithrombotic; no threshold is sourced"),
    Rule("CI-DEVICE", "Implanted electrical device",
         "pacemaker, ICD, neurostimulator, pump or other implanted electrical device, not removed;"
         " or a coded cardiac pacemaker (Z95.0)",
         "BLOCK_EA and BLOCK_POINTS over the device; coded without a listed device: BLOCK_EA "
         "and REQUIRE_ACK (record its site)",
         ("Sierpina", "BAcC-pacemaker", "Cummings2011"), _devices),
    Rule("CI-PREGNANCY", "Pregnancy", "pregnant (or possibly pregnant), gestational weeks, or "
         "a coded pregnant state (Z33.1)",
         "REQUIRE_ACK, BLOCK_POINTS (LI4, SP6, BL60, BL67, BL31-BL34, GB21; abdomen; lower back "
         "and sacral unless the clinic's setting lifts them) and BLOCK_EA",
         ("WHO1999-2.1", "AACP", "ShenNong"), _pregnancy,
         project_rule="BLOCK_EA, the default block set, and the clinic setting for the lower "
         "back and sacrum"),
    Rule("CI-SKIN", "Local skin problem",
         "skin infection, ulcer, burn, wound, scar, varicosity or inflamed tissue, by region",
         "BLOCK_POINTS in the affected regions", ("Sierpina", "NZASA", "Rapson"),
         _regions("skin_problem_regions", "skin problem")),
    Rule("CI-TUMOUR", "Malignant tumour", "tumour site by region",
         "BLOCK_POINTS over the tumour and REQUIRE_ACK", ("WHO1999-TOC", "NZASA"),
         _regions("tumour_regions", "tumour", "Do not needle over the tumour site.")),
    Rule("CI-NEUTROPENIA", "Severe neutropenia", "severe neutropenia",
         "DEFER_REFER and BLOCK_NEEDLING", ("Physiopedia", "AIM-contra"),
         _flag("severe_neutropenia", Effect(Outcome.SOON, DEFER_BLOCK | ACK,
                                            note="severe neutropenia",
                                            acknowledgement="Severe neutropenia: only after "
                                            "the medical clearance; strict asepsis.")),
         project_rule="after clearance, the immunosuppression precaution (strict asepsis)"),
    Rule("CI-IMMUNO", "Immunosuppression", "immunosuppression or an immunosuppressant",
         "REQUIRE_ACK", ("Physiopedia", "AIM-contra", "AACP-list"),
         lambda a, _: Effect(Outcome.PRECAUTIONS, ACK, note="immunosuppressed",
                             acknowledgement="Immunosuppressed: strict asepsis.")
         if a.immunosuppressed else None),
    Rule("CI-VALVE", "Damaged heart valves", "damaged heart valve (endocarditis risk)",
         "REQUIRE_ACK", ("Physiopedia", "AIM-contra", "AACP-list"),
         _flag("damaged_heart_valve", Effect(Outcome.PRECAUTIONS, ACK,
                                             note="damaged heart valve",
                                             acknowledgement="Damaged heart valve: endocarditis "
                                             "risk; strict asepsis, no indwelling needles."))),
    Rule("CI-SPINE", "Spinal instability", "spinal instability, or a coded spinal instability "
         "(M53.2-, M43.3, M43.4)",
         "BLOCK_NEEDLING until specialist clearance; after it, REQUIRE_ACK (no deep "
         "needling or pressure over the unstable segment)", ("AACP-list",),
         _spinal_instability,
         project_rule="the precaution kept after clearance (AACP's reason: relaxing "
         "protective muscle could risk cord compression)"),
    Rule("CI-SENSATION", "Reduced feeling in the skin",
         "numbness or reduced feeling (e.g. neuropathy), by region",
         "REQUIRE_ACK; no moxibustion or heat over those regions",
         ("Houghton2010",), _sensation_loss,
         project_rule="asked as a question with its regions; blank blocks needling like the "
         "other lists"),
    Rule("CI-LYMPH", "Lymphoedema", "limb with, or at risk of, lymphoedema",
         "BLOCK_POINTS on that limb", ("AACP-list", "Goldfields"),
         _regions("lymphoedema_regions", "lymphoedema")),
    Rule("CI-MOVEMENT", "Uncontrolled involuntary movements", "involuntary movements",
         "BLOCK_NEEDLING", ("AACP-list", "Goldfields"),
         _flag("involuntary_movements", Effect(Outcome.PRECAUTIONS, BLOCK,
                                               note="uncontrolled involuntary movements"))),
    Rule("CI-CONSENT", "Cannot give informed consent", "unable to consent (e.g. confused)",
         "BLOCK_NEEDLING until valid consent is recorded", ("Sierpina", "AACP-list"),
         _flag("cannot_consent", Effect(Outcome.PRECAUTIONS, BLOCK,
                                        note="cannot give informed consent"))),
    Rule("CI-PHOBIA", "Needle phobia or unable to keep still", "needle phobia",
         "REQUIRE_ACK", ("Sierpina", "Goldfields"),
         _flag("needle_phobia", Effect(Outcome.PRECAUTIONS, ACK, note="needle phobia",
                                       acknowledgement="Needle phobia: treat lying down, few "
                                       "needles, stop if distressed."))),
    Rule("CI-EPILEPSY", "Epilepsy", "epilepsy", "REQUIRE_ACK and BLOCK_EA",
         ("AACP-list", "EA-clinic", "Cochrane-GERAC", "Cochrane-Cherkin"),
         _flag("epilepsy", Effect(Outcome.PRECAUTIONS, frozenset({Action.REQUIRE_ACK,
                                                                   Action.BLOCK_EA}),
                                  note="epilepsy", acknowledgement="Epilepsy: no "
                                  "electroacupuncture; treat lying down.")),
         project_rule="BLOCK_EA"),
    Rule("CI-NICKEL", "Metal (nickel) allergy", "nickel allergy", "REQUIRE_ACK",
         ("Nickel",),
         _flag("nickel_allergy", Effect(Outcome.PRECAUTIONS, ACK, note="nickel allergy",
                                        acknowledgement="Nickel allergy: consider another "
                                        "needle material (e.g. titanium)."))),
    Rule("CI-DIABETES", "Diabetes", "diabetes", "REQUIRE_ACK for distal-limb points",
         ("AACP-list", "Stason"),
         _flag("diabetes", Effect(Outcome.PRECAUTIONS, ACK, note="diabetes",
                                  acknowledgement="Diabetes: care with distal-limb points "
                                  "(poor healing)."))),
    Rule("CI-TODAY-WEAK", "Hungry, exhausted or very weak today", "hungry or exhausted today",
         "REQUIRE_ACK (treat lying down)", ("ShenNong",),
         _flag("hungry_or_exhausted_today", Effect(Outcome.PRECAUTIONS, ACK,
                                                   note="hungry or exhausted today",
                                                   acknowledgement="Hungry or exhausted: treat "
                                                   "lying down, gentle technique."))),
    Rule("CI-TODAY-INTOX", "Intoxicated today", "intoxicated today",
         "DEFER (reschedule; no referral)", ("ShenNong",),
         _flag("intoxicated_today", Effect(Outcome.PRECAUTIONS, DEFER_BLOCK,
                                           note="intoxicated today: reschedule"))),
    Rule("CI-FAINTED", "Fainted with needling before", "previous fainting with needling",
         "REQUIRE_ACK (treat lying down)", ("ShenNong",),
         _flag("fainted_with_needling_before", Effect(Outcome.PRECAUTIONS, ACK,
                                                      note="fainted with needling before",
                                                      acknowledgement="Fainted with needling "
                                                      "before: treat lying down.")),
         project_rule="extends the 'treat lying down' advice to a previous faint"),
    Rule("CI-PROHIBITED", "Prohibited sites (all patients)", "always",
         "BLOCK_POINTS ST17 and CV8, not overridable", ("NZASA", "Goldfields"), _prohibited,
         project_rule="not overridable"),
)

# Who may lift a finding that blocks needling. safety.md §3.1: a block is cleared by a
# "documented physician assessment"; §3.2: CI-BLEEDING "until physician clearance",
# CI-SPINE "until specialist clearance"; a DEFER_REFER finding is a referral. Project rule,
# stricter than §1.1 (which also lets a reasoned decision answer an URGENT referral):
# every URGENT or EMERGENCY red flag needs a medical clearance too. Only these findings,
# which are not a medical question, may be lifted by the practitioner's reasoned decision:
# capacity to consent ("until valid consent is recorded") and intoxication today.
CLEARED_BY_REASONED_DECISION = frozenset({"CI-CONSENT", "CI-TODAY-INTOX"})


def needs_medical_clearance(rule_id: str, outcome: Outcome) -> bool:
    """A finding (that needs a clearance) only a medical clearance lifts: one naming the
    clinician who assessed the patient, the date and the letter."""
    return outcome >= Outcome.URGENT or rule_id not in CLEARED_BY_REASONED_DECISION


# Ceilings a precaution sets on every needle of the session (issue #26: acknowledged, not
# only shown). Gauge: "very superficial needling with fine (0.20 mm) needles" [BAcC-anticoag],
# safety.md §3.2. Depth: the sources give no number for "very superficial"; 10 mm is a
# project rule (the depth the session form already pre-fills at a caution point). The
# antiplatelet precaution extends the anticoagulant one (project rule, as CI-ANTIPLATELET).
@dataclass(frozen=True)
class NeedleLimit:
    max_depth_mm: Decimal
    max_gauge_mm: Decimal
    words: str  # the precaution's own words


_SUPERFICIAL_FINE = NeedleLimit(Decimal("10"), Decimal("0.20"),
                                "very superficial needling with fine (0.20 mm) needles")
# A cleared bleeding disorder keeps the same ceilings (project rule: a clearance lifts the
# hold, never the precaution).
NEEDLE_LIMITS = {"CI-BLEEDING": _SUPERFICIAL_FINE,
                 "CI-ANTICOAG": _SUPERFICIAL_FINE, "CI-ANTIPLATELET": _SUPERFICIAL_FINE,
                 "CI-ANTITHROMBOTIC-2": _SUPERFICIAL_FINE, "CI-HERB-BLEED": _SUPERFICIAL_FINE}


def needle_limit_problems(rule_ids: list[str], rows: list[dict[str, Any]],
                          titles: dict[str, str] | None = None) -> list[str]:
    """Each needle row beyond a precaution's depth or gauge ceiling, naming the row and the
    rule. `rows`: point_code (or location_text), side, depth_mm, gauge_mm. `titles`: each
    finding's own title by rule (what was coded, finding_title), else the rule's."""
    problems = []
    for rule_id in dict.fromkeys(r for r in rule_ids if r in NEEDLE_LIMITS):
        limit = NEEDLE_LIMITS[rule_id]
        # In words, not the rule's code (issue #28 §6); what was coded, not the rule's name.
        title = ((titles or {}).get(rule_id) or rule_title(rule_id)).lower()
        for n, row in enumerate(rows, 1):
            where = f"Row {n} ({row.get('point_code') or row.get('location_text') or 'Ashi'})"
            depth, gauge = row.get("depth_mm"), row.get("gauge_mm")
            if depth is not None and Decimal(str(depth)) > limit.max_depth_mm:
                problems.append(f"{where}: depth {depth} mm is deeper than {title} allows "
                                f"({limit.words}: at most {limit.max_depth_mm} mm).")
            if gauge is None or Decimal(str(gauge)) > limit.max_gauge_mm:
                problems.append(f"{where}: needle gauge {gauge or 'not recorded'} is thicker "
                                f"than {title} allows ({limit.words}).")
    return problems


def within_needle_limits(rule_ids: list[str], row: dict[str, Any]) -> dict[str, Any]:
    """A pre-filled needle row brought within every precaution's depth and gauge ceiling
    (NEEDLE_LIMITS): the pre-fill never starts beyond what the save would refuse."""
    limits = [NEEDLE_LIMITS[r] for r in dict.fromkeys(rule_ids) if r in NEEDLE_LIMITS]
    if not limits:
        return row
    depth = min(limit.max_depth_mm for limit in limits)
    gauge = min(limit.max_gauge_mm for limit in limits)
    row = dict(row)
    if row.get("depth_mm") is not None and Decimal(str(row["depth_mm"])) > depth:
        row["depth_mm"] = depth
    if row.get("gauge_mm") is None or Decimal(str(row["gauge_mm"])) > gauge:
        row["gauge_mm"] = str(gauge)
    return row


# These rules always fire; they are not reasons for caution about this patient.
_ALWAYS = frozenset({"CI-PROHIBITED"})


def _effects(answers: Answers, age_threshold: int) -> list[tuple[Rule, Effect]]:
    """Every rule that fires on the answers as given (a blank counts as not present)."""
    fired = []
    for rule in RULES:
        if rule.id == "ASK":
            continue
        effect = rule.evaluate(answers, age_threshold)
        if effect is not None:
            fired.append((rule, effect))
    return fired


def _signature(answers: Answers, age_threshold: int) -> frozenset[object]:
    """What a decision allows and why: two answers with the same signature lead to the
    same decision, for the same reasons."""
    return frozenset((rule.id, effect.outcome, effect.actions, effect.blocked_points,
                      effect.blocked_regions, effect.acknowledgement, effect.note)
                     for rule, effect in _effects(answers, age_threshold))


# The facts a question asks for: every yes/no fact, and the age at the first back pain.
# `leg_pain` comes from the chart, never blank there.
QUESTION_FIELDS = tuple(f.name for f in fields(Answers)
                        if f.type == "bool | None" and f.name != "leg_pain") \
    + ("first_back_pain_age",)
# The answer that could make the decision most restrictive, where it is not "yes".
_WORST = {"medically_assessed": False, "first_back_pain_age": 0}


def _possible_values(name: str, a: Answers) -> tuple[object, ...]:
    if name == "first_back_pain_age":
        # No earlier back pain, or the earliest possible: the NG65 rule reads it.
        return (a.back_pain_onset_age, 0)
    return (True, False)


# The only questions whose answer validate() can refuse for a patient.
_CONSTRAINED = frozenset({"pregnant", "first_back_pain_age"}
                         | {r.contradicts for r in diagnoses.SAFETY_RANGES if r.contradicts})


def _with(a: Answers, name: str, value: Any) -> Answers | None:
    candidate = replace(a, **{name: value})
    if name not in _CONSTRAINED:
        return candidate
    try:
        validate(candidate)
    except InvalidAnswer:
        return None  # not a possible answer for this patient (pregnant, sex at birth male)
    return candidate


# A question in front of a list (medicines, implanted devices, the regions of a skin
# problem, a tumour or lymphoedema): blank is unknown, and so is a "yes" that names
# nothing. Always asked: an anticoagulant, an electrical device or a region that may not
# be needled changes the decision for anyone (CI-ANTICOAG, CI-DEVICE, CI-SKIN, CI-TUMOUR,
# CI-LYMPH). Project rule (issue #26 item 1, after the clinician re-test: a tick box
# stored "not asked" as "none").
LIST_QUESTIONS = {"takes_listed_medicines": "medication_classes",
                  "has_implanted_device": "devices",
                  "has_skin_problem": "skin_problem_regions",
                  "has_tumour": "tumour_regions",
                  "has_lymphoedema": "lymphoedema_regions",
                  "has_sensation_loss": "sensation_loss_regions"}


def _list_unanswered(a: Answers) -> list[str]:
    return [q for q, listed in LIST_QUESTIONS.items()
            if getattr(a, q) is None or (getattr(a, q) and not getattr(a, listed))]


def unanswered_that_matter(answers: Answers, age_threshold: int = DEFAULT_AGE_THRESHOLD
                           ) -> tuple[str, ...]:
    """The blank questions whose answer could change today's decision for this patient.

    A question matters when its possible answers give different decisions, with the
    other blank answers as they are (blank) or at their most restrictive (so that a
    rule needing two blank facts is caught). Which questions that is follows from what
    is known: pregnancy not for a patient whose sex at birth is male, the follow-up
    questions of a "yes" only after the "yes"."""
    lists = _list_unanswered(answers)
    blank = [n for n in QUESTION_FIELDS if getattr(answers, n) is None
             and n not in LIST_QUESTIONS]
    if not blank:
        return tuple(lists)
    worst = answers
    for name in blank:
        worst = _with(worst, name, _WORST.get(name, True)) or worst
    matters = []
    for name in blank:
        if name in MUST_ASK:
            continue  # RF-01-ASK names them
        for context in (answers, worst):
            outcomes = {_signature(c, age_threshold) for value in _possible_values(name, answers)
                        if (c := _with(context, name, value)) is not None}
            if len(outcomes) > 1:
                matters.append(name)
                break
    return tuple(lists + matters)


def _unanswered(a: Answers, age_threshold: int) -> Effect | None:
    questions = unanswered_that_matter(a, age_threshold)
    if not questions:
        return None
    return Effect(Outcome.PRECAUTIONS, BLOCK, questions=questions,
                  note="not yet answered: " + ", ".join(q.replace("_", " ") for q in questions)
                  + ". Ask and record each before needling.")


def finding_title(rule: Rule, a: Answers, age_threshold: int = DEFAULT_AGE_THRESHOLD) -> str:
    """What the finding is about, in words: the rule's title when the answers raise it, else
    what was coded (a coded aortic dissection is not "symptomatic abdominal aortic
    aneurysm", nor thrombocytopenia "haemophilia"): the code set's description of each code
    that raises the rule. The rule, its tier and its actions stay the rule's."""
    coded = diagnoses.coded_for(a.diagnosis_codes, rule.id)
    if not coded or rule.id in _ALWAYS:
        return rule.title
    if rule.evaluate(replace(a, diagnosis_codes=frozenset()), age_threshold) is not None:
        return rule.title  # raised by the answers too: the rule's own words
    return "; ".join(f"{d.description} ({d.code})" for d in coded)


def outcome_words(outcome: Outcome, needling_allowed: bool) -> str:
    """The outcome as a page shows it, from the same holds as the gate: a finding that
    blocks needling at a lower tier (a coded bleeding disorder, an unanswered question) is
    never shown as "Proceed with precautions"."""
    if needling_allowed or outcome >= Outcome.URGENT:
        return outcome.label
    if outcome == Outcome.SOON:
        return "SOON: routine referral; needling on hold"
    return "Needling on hold"


def _adjunct_blocks(rule_id: str, title: str, effect: Effect, a: Answers
                    ) -> tuple[adjuncts.Block, ...]:
    weeks = a.gestational_weeks
    return adjuncts.blocks_for(
        rule_id, title, (x.value for x in effect.actions), regions=effect.blocked_regions,
        sensation_regions=a.sensation_loss_regions,
        early_pregnancy=weeks is None or weeks <= adjuncts.FIRST_TRIMESTER_WEEKS)


def decide(answers: Answers, *, age_threshold: int = DEFAULT_AGE_THRESHOLD) -> Decision:
    """Run every rule. Deterministic: same answers, same decision."""
    validate(answers)
    findings: list[Finding] = []
    blocked_points: set[str] = set()
    blocked_regions: set[str] = set()
    actions: set[Action] = set()
    outcome = Outcome.PROCEED
    for rule in RULES:
        effect = rule.evaluate(answers, age_threshold)
        if effect is None:
            continue
        blocked_points |= effect.blocked_points
        blocked_regions |= effect.blocked_regions
        if rule.id in _ALWAYS:
            continue
        actions |= effect.actions
        outcome = max(outcome, effect.outcome)
        title = finding_title(rule, answers, age_threshold)
        findings.append(Finding(rule.id, title, effect.outcome, effect.actions,
                                effect.note, rule.sources, effect.acknowledgement,
                                effect.questions, effect.blocked_points,
                                effect.blocked_regions,
                                _adjunct_blocks(rule.id, title, effect, answers)))
    if outcome == Outcome.PROCEED and findings:
        outcome = Outcome.PRECAUTIONS
    needling = not (actions & {Action.BLOCK_NEEDLING, Action.DEFER_REFER}) and outcome not in (
        Outcome.EMERGENCY, Outcome.URGENT)
    acknowledgements = tuple(f.acknowledgement for f in findings if f.acknowledgement)
    return Decision(
        outcome=outcome,
        findings=tuple(findings),
        needling_allowed=needling,
        electroacupuncture_allowed=needling and Action.BLOCK_EA not in actions,
        blocked_points=frozenset(blocked_points),
        blocked_regions=frozenset(blocked_regions),
        acknowledgements=acknowledgements,
    )


def answer_fields() -> list[str]:
    return [f.name for f in fields(Answers)]


def rules_markdown() -> str:
    """The rule table as docs/clinical-safety.md shows it."""
    lines = [
        f"Rule set version: `{RULESET_VERSION}`.",
        "",
        "| Rule | Title | Inputs | Action | Project rule | Sources |",
        "|---|---|---|---|---|---|",
    ]
    for rule in RULES:
        lines.append(f"| {rule.id} | {rule.title} | {rule.inputs} | {rule.action} | "
                     f"{rule.project_rule or '—'} | {', '.join(rule.sources)} |")
    return "\n".join(lines) + "\n"


# --- storage form ------------------------------------------------------------------

def answers_to_json(answers: Answers) -> dict[str, Any]:
    """A JSON-safe dict of the answers, stored with each screening."""
    data: dict[str, Any] = {}
    for f in fields(Answers):
        value = getattr(answers, f.name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif f.name == "devices":
            value = [{"kind": d.kind, "region": d.region,
                      "implanted_on": d.implanted_on.isoformat() if d.implanted_on else None,
                      "removed_on": d.removed_on.isoformat() if d.removed_on else None}
                     for d in value]
        data[f.name] = value
    return data


def answers_from_json(data: dict[str, Any]) -> Answers:
    known = {f.name: f for f in fields(Answers)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue  # an answer from an older rule set that no rule reads any more
        if name == "devices":
            value = tuple(Device(kind=d["kind"], region=d.get("region"),
                                 implanted_on=_date(d.get("implanted_on")),
                                 removed_on=_date(d.get("removed_on"))) for d in value or [])
        elif isinstance(value, list):
            value = frozenset(value)
        values[name] = value
    # Stored before the list questions were asked: a ticked box was a "yes"; an empty
    # list was never asked, so it stays unknown.
    for question, listed in LIST_QUESTIONS.items():
        if question not in data and values.get(listed):
            values[question] = True
    return Answers(**values)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


NICKEL_ALLERGY = "metal_nickel"  # the allergy list's category the CI-NICKEL rule reads


def with_lists(answers: Answers, lists: medications.PatientLists) -> Answers:
    """The screening's answers with what the patient's lists say (issue #26 item 4).

    One rule home: a listed medicine of a class answers "yes" for that class, a listed
    nickel allergy answers the nickel question, a listed problem's code joins the
    episode's codes. A list that contradicts an explicit "no" is refused, naming the
    question, so the two are reconciled rather than one silently winning."""
    unclassified = lists.unclassified()
    if unclassified:
        raise InvalidAnswer("takes_listed_medicines", "The medication list has "
                            + ", ".join(f"“{n}”" for n in unclassified) + ", which the "
                            "medicine table does not know: choose its class (or none of "
                            "these classes) on the list, marking it entered in error and "
                            "adding it again, so it is not read as harmless.")
    classes = lists.classes()
    if classes and answers.takes_listed_medicines is False:
        named = "; ".join(f"{', '.join(sorted(set(n)))} ({c})" for c, n in sorted(classes.items()))
        raise InvalidAnswer("takes_listed_medicines", "The medication list has " + named
                            + ": the answer cannot be no. Review the list or the answer.")
    nickel = NICKEL_ALLERGY in lists.allergies
    if nickel and answers.nickel_allergy is False:
        raise InvalidAnswer("nickel_allergy", "The allergy list has a metal (nickel) allergy: "
                            "the answer cannot be no. Review the list or the answer.")
    herbs = {h.name for n in (*lists.herbs, *lists.medications)
             if (h := medications.bleeding_herb(n))}
    return replace(
        answers,
        medication_classes=answers.medication_classes | frozenset(classes),
        takes_listed_medicines=True if classes else answers.takes_listed_medicines,
        antithrombotic_agents=lists.antithrombotic_agents(),
        bleeding_herbs=frozenset(herbs),
        nickel_allergy=True if nickel else answers.nickel_allergy,
        diagnosis_codes=answers.diagnosis_codes | lists.problem_codes,
        inr=lists.inr.value if lists.inr else None,
        inr_age_days=lists.inr.age_days if lists.inr else None,
        platelet_count=lists.platelet_count.value if lists.platelet_count else None,
        platelet_age_days=lists.platelet_count.age_days if lists.platelet_count else None,
    )


def rule_title(rule_id: str) -> str:
    """A rule's title, for pages and messages; the id itself if no rule has it."""
    return next((r.title for r in RULES if r.id == rule_id), rule_id)
