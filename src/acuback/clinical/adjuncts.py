"""Adjunct therapies (cupping, gua sha, moxibustion, heat, electrical stimulation without
needles) checked against the safety profile, as needles are (issue #26 item 9).

Pure Python. Each adjunct given is recorded with the body region it was given over (the
regions of the screening's skin, tumour and lymphoedema questions, `safety.REGIONS`). A
finding of the screening refuses an adjunct everywhere or in named regions; which ones,
and why, is `blocks_for` below, with its sources in docs/clinical-safety.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CUPPING = "cupping"
GUA_SHA = "gua_sha"
MOXIBUSTION = "moxibustion"
HEAT = "heat"
TENS = "tens"  # electrical stimulation through the skin, without needles
TUINA = "tuina"
EXERCISE_ADVICE = "exercise_advice"
OTHER = "other"

LABELS = {
    CUPPING: "Cupping", GUA_SHA: "Gua sha", MOXIBUSTION: "Moxibustion", HEAT: "Heat",
    TENS: "Electrical stimulation without needles (TENS)", TUINA: "Tuina",
    EXERCISE_ADVICE: "Exercise advice", OTHER: "Other",
}
KINDS = tuple(LABELS)
# Applied to the body, so recorded with the region it was given over; advice is not.
SITED = frozenset(KINDS) - {EXERCISE_ADVICE}

# The body regions of the catalogue and the screening (safety.REGIONS, which reads this).
REGIONS = ("head_face", "neck", "chest", "abdomen", "upper_back", "lower_back", "sacral",
           "upper_limb", "lower_limb")
EVERYWHERE = "*"  # a block's region: the adjunct is refused over every region

# Bleeding risk. Cupping and gua sha break capillaries under the skin on purpose ("cupping
# intentionally creates therapeutic petechiae and ecchymosis" [CNT]); project rule: every
# finding whose precaution is the bleeding ceiling of the needles (a bleeding disorder,
# coded thrombocytopenia among them; an anticoagulant; an antiplatelet; two or more
# antithrombotics; a herb that raises bleeding risk with one) refuses them everywhere.
BLEEDING_RISK_RULES = frozenset({"CI-BLEEDING", "CI-ANTICOAG", "CI-ANTIPLATELET",
                                 "CI-ANTITHROMBOTIC-2", "CI-HERB-BLEED"})
BRUISING = frozenset({CUPPING, GUA_SHA})
# Thermal agents over skin that cannot feel a burn [Houghton2010, superficial heating
# agents]; moxibustion burns are a coded adverse event (safety.md §6).
THERMAL = frozenset({MOXIBUSTION, HEAT})
# A finding that blocks needling by region (skin problem, tumour, lymphoedema, an
# implanted electrical device) refuses every adjunct over that region (project rule: what
# may not be needled there may not be cupped, scraped, heated or stimulated there either;
# the device after the clinician re-test of issue #26: cupping, moxibustion and gua sha
# over a pacemaker, heat over a pump, were accepted).
REGION_RULES = frozenset({"CI-SKIN", "CI-TUMOUR", "CI-LYMPH", "CI-DEVICE"})
# safety.md §4 [WHO1999-2.1]: first trimester, no needling or moxibustion at lower-abdominal
# or lumbosacral points. Weeks unknown counts as the first trimester.
PREGNANCY_MOXIBUSTION_REGIONS = frozenset({"abdomen", "lower_back", "sacral"})
FIRST_TRIMESTER_WEEKS = 12
# Project rule: electrical stimulation without needles is refused wherever the
# electroacupuncture is (an implanted electrical device [Houghton2010, electrical
# stimulation], epilepsy, pregnancy): the same current, through the skin.


@dataclass(frozen=True)
class Block:
    adjunct: str
    region: str  # a safety.REGIONS name, or EVERYWHERE
    why: str  # in words, for the page and the refusal


def blocks_for(rule_id: str, title: str, actions: Iterable[str], *,
               regions: Iterable[str] = (), sensation_regions: Iterable[str] = (),
               early_pregnancy: bool = True) -> tuple[Block, ...]:
    """The adjuncts a finding refuses, and where. `regions`: the regions the finding
    blocks for needling; `sensation_regions`: where feeling is reduced (CI-SENSATION);
    `early_pregnancy`: the first trimester, or weeks unknown (CI-PREGNANCY)."""
    found: list[Block] = []
    if rule_id in BLEEDING_RISK_RULES:
        found += [Block(a, EVERYWHERE, f"{title}: bleeding risk (cupping and gua sha bruise "
                        "the skin on purpose)") for a in sorted(BRUISING)]
    if rule_id == "CI-SENSATION":
        found += [Block(a, r, f"{title}: reduced feeling there, a burn would not be felt")
                  for a in sorted(THERMAL) for r in sorted(sensation_regions)]
    if rule_id in REGION_RULES:
        found += [Block(a, r, f"{title} ({r.replace('_', ' ')}): nothing is applied over it")
                  for a in sorted(SITED) for r in sorted(regions)]
    if rule_id == "CI-PREGNANCY" and early_pregnancy:
        found += [Block(MOXIBUSTION, r, f"{title}: no moxibustion over the lower abdomen or "
                        "lumbosacral region in the first trimester (or weeks unknown)")
                  for r in sorted(PREGNANCY_MOXIBUSTION_REGIONS)]
    if "BLOCK_EA" in set(actions):
        found.append(Block(TENS, EVERYWHERE, f"{title}: no electrical stimulation, with "
                           "needles or without"))
    return tuple(found)


def normalise(entries: Iterable[Any]) -> list[dict[str, str]]:
    """Stored adjuncts as {"kind", "region"}: an entry recorded before regions were asked
    is a bare kind, with its region unknown ("")."""
    return [{"kind": e, "region": ""} if isinstance(e, str)
            else {"kind": str(e.get("kind", "")), "region": str(e.get("region") or "")}
            for e in entries]


def describe(entry: dict[str, str]) -> str:
    """"Cupping (lower back)"; a region not recorded says so."""
    label = LABELS.get(entry["kind"], entry["kind"])
    if entry["kind"] not in SITED:
        return label
    where = entry["region"].replace("_", " ") if entry["region"] else "site not recorded"
    return f"{label} ({where})"


def problems(blocks: Iterable[Block], entries: Iterable[Any]) -> list[str]:
    """Each adjunct the blocks refuse, in words, with the reason. A sited adjunct whose
    region is unknown is refused wherever any region of its kind is (unknown is not
    "elsewhere")."""
    blocks = tuple(blocks)
    found: list[str] = []
    for entry in normalise(entries):
        kind, region = entry["kind"], entry["region"]
        if kind not in LABELS:
            found.append(f"“{kind}” is not a known adjunct therapy.")
            continue
        if region and region not in REGIONS:
            found.append(f"{LABELS[kind]}: “{region}” is not a body region.")
            continue
        if kind in SITED and not region:
            found.append(f"{LABELS.get(kind, kind)}: record where it is given (the body "
                         "region), so it can be checked against the safety profile.")
        reasons = [b.why for b in blocks if b.adjunct == kind
                   and (b.region in (EVERYWHERE, region) or not region)]
        if reasons:
            found.append(f"{describe(entry)} is not allowed for this patient: "
                         + "; ".join(dict.fromkeys(reasons)) + ".")
    return found


def summary(blocks: Iterable[Block]) -> list[str]:
    """The blocks in words, one line per reason: "Cupping, Gua sha (everywhere): ..."."""
    by_why: dict[str, dict[str, list[str]]] = {}
    for b in blocks:
        where = "everywhere" if b.region == EVERYWHERE else b.region.replace("_", " ")
        by_why.setdefault(b.why, {}).setdefault(LABELS.get(b.adjunct, b.adjunct), []).append(
            where)
    lines = []
    for why, kinds in by_why.items():
        parts = [f"{kind} ({', '.join(dict.fromkeys(places))})" for kind, places in kinds.items()]
        lines.append(f"{'; '.join(parts)}: {why}")
    return lines
