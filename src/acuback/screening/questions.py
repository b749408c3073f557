"""The intake questions, in plain language, grouped as the form shows them.

Each yes/no question is one field of acuback.clinical.safety.Answers. Questions
marked `clinician` are for the practitioner's examination, not for the patient.
Answers the form does not ask are derived from the chart (see DERIVED).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    field: str
    text: str
    clinician: bool = False


@dataclass(frozen=True)
class Group:
    title: str
    intro: str
    questions: tuple[Question, ...]


Q = Question
GROUPS: tuple[Group, ...] = (
    Group("This back pain", "", (
        Q("new_episode", "Is this back pain new, or different from back pain you have had before?"),
        Q("medically_assessed", "Has a doctor already examined you for this back pain?"),
        Q("no_improvement_after_month", "Has it not got any better over about a month?"),
        Q("thoracic_pain", "Is the pain in the middle or upper back, between the shoulder blades?"),
        Q("night_pain", "Is the pain there all night, even when you lie still?"),
        Q("pain_multiple_sites", "Do you have pain in several other parts of your body too?"),
        Q("structural_deformity", "Visible deformity of the spine", clinician=True),
    )),
    Group("Bladder, bowel and nerves",
          "Ask each question directly, in person. These can signal an emergency.", (
        Q("bladder_disturbance", "Any new problem passing urine: trouble starting, a weaker "
          "feeling of the flow, not being able to go, or leaking?"),
        Q("bowel_disturbance", "Any new problem with your bowels: not feeling when you need to "
          "go, or accidents?"),
        Q("saddle_numbness", "Any new numbness or tingling between your legs, around your bottom "
          "or genitals, even on one side?"),
        Q("sexual_dysfunction", "Any new change in sexual function?"),
        Q("bilateral_leg_pain", "Pain going down both legs, or spreading to the other leg?"),
        Q("bilateral_leg_weakness", "Are both legs getting weak, or has your walking changed "
          "recently?"),
        Q("limb_weakness", "Any weakness in an arm or a leg?"),
        Q("sensory_change", "Any new numbness, pins and needles or change of feeling in an arm "
          "or leg?"),
        Q("progressive_weakness", "Is weakness in an arm or leg getting worse?"),
        Q("multi_root_motor_deficit", "Motor deficit at more than one nerve-root level",
          clinician=True),
    )),
    Group("Cancer, infection and general health", "", (
        Q("history_of_cancer", "Have you ever had cancer?"),
        Q("unexplained_weight_loss", "Have you lost weight recently without trying?"),
        Q("fever_or_chills", "Have you had a fever, chills or shaking with the back pain?"),
        Q("systemically_unwell", "Do you feel generally very unwell?"),
        Q("iv_drug_use", "Have you injected drugs?"),
        Q("immunosuppression", "Is your immune system weakened (by illness or treatment)?"),
        Q("recent_bacterial_infection", "Have you had a bacterial infection recently (for "
          "example of the urine or skin)?"),
        Q("penetrating_wound", "Have you had a wound that went deep into the back?"),
    )),
    Group("Injury and bones", "", (
        Q("major_trauma", "Did the pain start after a serious accident, such as a car crash or a "
          "fall from a height?"),
        Q("minor_trauma", "Did it start after a minor fall, bump or lifting something?"),
        Q("osteoporosis", "Have you been told you have thin bones (osteoporosis)?"),
        Q("abrupt_midline_pain_eased_lying", "Did severe pain in the middle of the spine start "
          "suddenly, and does it ease when you lie flat?"),
    )),
    Group("Tummy and circulation", "", (
        Q("abdominal_or_flank_pain", "Do you have new pain in the tummy, or in the side of the "
          "body?"),
        Q("collapse", "Have you collapsed or passed out?"),
        Q("pulsatile_abdominal_mass", "Pulsatile mass felt in the abdomen", clinician=True),
    )),
    Group("Inflammatory back pain", "These help decide on a rheumatology referral.", (
        Q("wakes_second_half_of_night", "Does the pain wake you in the second half of the "
          "night?"),
        Q("buttock_pain", "Do you have pain in the buttocks?"),
        Q("improves_with_movement", "Does the pain get better when you move about?"),
        Q("nsaid_response_48h", "Does it get better within 2 days of taking an anti-"
          "inflammatory such as ibuprofen?"),
        Q("family_spondyloarthritis", "Does a parent, brother, sister or child have "
          "spondyloarthritis (such as ankylosing spondylitis)?"),
        Q("arthritis_history", "Have you ever had arthritis (swollen, painful joints)?"),
        Q("enthesitis_history", "Have you ever had inflammation where tendons attach, such as "
          "the heel?"),
        Q("psoriasis_history", "Have you ever had psoriasis?"),
    )),
    Group("Health conditions", "", (
        Q("bleeding_disorder", "Do you have a bleeding disorder, such as haemophilia?"),
        Q("severe_neutropenia", "Have you been told your white blood cells are very low?"),
        Q("damaged_heart_valve", "Do you have a damaged or replaced heart valve?"),
        Q("spinal_instability", "Have you been told your spine is unstable?"),
        Q("epilepsy", "Do you have epilepsy or seizures?"),
        Q("diabetes", "Do you have diabetes?"),
        Q("nickel_allergy", "Are you allergic to nickel or other metals?"),
        Q("needle_phobia", "Are you very afraid of needles?"),
        Q("involuntary_movements", "Uncontrolled involuntary movements", clinician=True),
        Q("unstable_condition", "Unstable or undiagnosed condition today (e.g. unexplained "
          "fainting or seizures, septic, very weak)", clinician=True),
        Q("cannot_consent", "Unable to give informed consent today (e.g. confused)",
          clinician=True),
    )),
    Group("Needling before, and today", "", (
        Q("fainted_with_needling_before", "Have you ever fainted during acupuncture or an "
          "injection?"),
        Q("hungry_or_exhausted_today", "Are you very hungry, exhausted or weak today?"),
        Q("intoxicated_today", "Under the influence of alcohol or drugs today", clinician=True),
    )),
)

# Answers computed from the chart rather than asked.
DERIVED = ("age", "sex_at_birth", "leg_pain", "back_pain_onset_age", "back_pain_duration_weeks",
           "diagnosis_codes", "pregnancy_lumbosacral_blocked")
# Asked by dedicated widgets: regions, medicines, devices, pregnancy, first back pain.
SPECIAL = ("lymphoedema_regions", "tumour_regions", "skin_problem_regions", "medication_classes",
           "devices", "pregnant", "gestational_weeks", "first_back_pain_age",
           "takes_listed_medicines", "has_implanted_device", "has_skin_problem", "has_tumour",
           "has_lymphoedema", "has_sensation_loss", "sensation_loss_regions")
# Reset at every new check: they describe the day, not the patient.
TODAY_ONLY = ("hungry_or_exhausted_today", "intoxicated_today")

YES_NO_FIELDS = tuple(q.field for g in GROUPS for q in g.questions)

# Every question by its Answers field, in plain words (the pre-needling check lists the
# unanswered ones; rule ASK).
QUESTION_TEXT = {q.field: q.text for g in GROUPS for q in g.questions} | {
    "pregnant": "Are you pregnant, or could you be?",
    "takes_listed_medicines": "Do you take any of these medicines: a blood thinner "
                              "(anticoagulant), an antiplatelet, steroids, or a medicine that "
                              "suppresses the immune system?",
    "has_implanted_device": "Do you have an implanted device (pacemaker, defibrillator, "
                            "stimulator, pump or other implant)?",
    "has_skin_problem": "Do you have a skin infection, ulcer, burn, wound, scar, varicose "
                        "veins or inflamed skin anywhere?",
    "has_tumour": "Do you have a tumour (a growth) anywhere in your body?",
    "has_lymphoedema": "Do you have lymphoedema (swelling from the lymph system) in an arm or "
                       "leg, or have you been told an arm or leg is at risk of it (for example "
                       "after lymph nodes were removed)?",
    "has_sensation_loss": "Do you have numbness or reduced feeling in the skin anywhere (for "
                          "example from diabetes, nerve damage or an operation)?",
    "first_back_pain_age": "How old were you when you first had back pain (any back pain, "
                           "ever)?",
}

# Answered by the clinician, never by the patient on the portal.
CLINICIAN_FIELDS = tuple(q.field for g in GROUPS for q in g.questions if q.clinician)
