"""Medication names to the classes the safety rules read, and herbs that raise bleeding
risk with them (issue #26 item 4). Pure: no Django.

Classes follow the WHO ATC groups named beside each (WHO Collaborating Centre for Drug
Statistics Methodology, ATC index: B01AA vitamin K antagonists, B01AB heparin group,
B01AC platelet aggregation inhibitors excluding heparin, B01AE direct thrombin
inhibitors, B01AF direct factor Xa inhibitors, H02AB glucocorticoids (systemic), L04A
immunosuppressants: L04AB TNF-alpha inhibitors, L04AC interleukin inhibitors). Brand
names are those on the products' FDA labels (DailyMed) or their UK/EU equivalents. No
RxNorm code ships: none has been verified here. An ATC group not verified is left out
(vorapaxar: an antiplatelet by its FDA label, "antiplatelet agents, including ZONTIVITY").

A name the table does not know is never read as harmless: the clinician chooses its class
(or none of these) when it is listed (`PatientLists.chosen_classes`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ANTICOAGULANT = "anticoagulant"
ANTIPLATELET = "antiplatelet"
CORTICOSTEROID = "corticosteroid"
IMMUNOSUPPRESSANT = "immunosuppressant"
ANTITHROMBOTIC_CLASSES = frozenset({ANTICOAGULANT, ANTIPLATELET})
CLASSES = (ANTICOAGULANT, ANTIPLATELET, CORTICOSTEROID, IMMUNOSUPPRESSANT)
NONE_OF_THESE = "none"  # the clinician's answer for a name none of the rules' classes fits


@dataclass(frozen=True)
class Drug:
    generic: str
    drug_class: str
    atc_group: str
    other_names: tuple[str, ...] = ()  # brand names and other names
    # A combination product: each agent counts (two antiplatelets are two antithrombotics).
    components: tuple[str, ...] = ()

    @property
    def agents(self) -> tuple[str, ...]:
        return self.components or (self.generic,)


DRUGS: tuple[Drug, ...] = (
    # Anticoagulants: warfarin, heparins/LMWH, DOACs.
    Drug("warfarin", ANTICOAGULANT, "B01AA", ("coumadin", "jantoven", "marevan")),
    Drug("acenocoumarol", ANTICOAGULANT, "B01AA", ("sintrom",)),
    Drug("phenprocoumon", ANTICOAGULANT, "B01AA", ("marcumar",)),
    Drug("heparin", ANTICOAGULANT, "B01AB"),
    Drug("enoxaparin", ANTICOAGULANT, "B01AB", ("lovenox", "clexane")),
    Drug("dalteparin", ANTICOAGULANT, "B01AB", ("fragmin",)),
    Drug("tinzaparin", ANTICOAGULANT, "B01AB", ("innohep",)),
    Drug("fondaparinux", ANTICOAGULANT, "B01AX", ("arixtra",)),
    Drug("dabigatran", ANTICOAGULANT, "B01AE", ("pradaxa",)),
    Drug("apixaban", ANTICOAGULANT, "B01AF", ("eliquis",)),
    Drug("rivaroxaban", ANTICOAGULANT, "B01AF", ("xarelto",)),
    Drug("edoxaban", ANTICOAGULANT, "B01AF", ("savaysa", "lixiana")),
    # Antiplatelets.
    Drug("aspirin", ANTIPLATELET, "B01AC", ("acetylsalicylic acid",)),
    Drug("clopidogrel", ANTIPLATELET, "B01AC", ("plavix",)),
    Drug("prasugrel", ANTIPLATELET, "B01AC", ("effient", "efient")),
    Drug("ticagrelor", ANTIPLATELET, "B01AC", ("brilinta", "brilique")),
    Drug("dipyridamole", ANTIPLATELET, "B01AC", ("persantine",)),
    Drug("cilostazol", ANTIPLATELET, "B01AC", ("pletal",)),
    # "A combination antiplatelet agent" (FDA label): aspirin with extended-release
    # dipyridamole, both B01AC.
    Drug("aspirin and dipyridamole", ANTIPLATELET, "B01AC",
         ("aggrenox", "aspirin/dipyridamole", "aspirin dipyridamole",
          "dipyridamole and aspirin"), components=("aspirin", "dipyridamole")),
    Drug("vorapaxar", ANTIPLATELET, "", ("zontivity",)),
    # Long-term systemic corticosteroids.
    Drug("prednisone", CORTICOSTEROID, "H02AB", ("deltasone", "rayos")),
    Drug("prednisolone", CORTICOSTEROID, "H02AB"),
    Drug("methylprednisolone", CORTICOSTEROID, "H02AB", ("medrol",)),
    Drug("dexamethasone", CORTICOSTEROID, "H02AB"),
    Drug("hydrocortisone", CORTICOSTEROID, "H02AB"),
    # Immunosuppressants.
    Drug("methotrexate", IMMUNOSUPPRESSANT, "L04A", ("trexall", "otrexup", "rasuvo")),
    Drug("azathioprine", IMMUNOSUPPRESSANT, "L04A", ("imuran",)),
    Drug("ciclosporin", IMMUNOSUPPRESSANT, "L04A",
         ("cyclosporine", "neoral", "sandimmune")),
    Drug("tacrolimus", IMMUNOSUPPRESSANT, "L04A", ("prograf", "advagraf")),
    Drug("mycophenolate", IMMUNOSUPPRESSANT, "L04A", ("cellcept", "myfortic")),
    Drug("sirolimus", IMMUNOSUPPRESSANT, "L04A", ("rapamune",)),
    # Biologic immunosuppressants: TNF-alpha inhibitors (L04AB) and interleukin
    # inhibitors (L04AC).
    Drug("adalimumab", IMMUNOSUPPRESSANT, "L04AB", ("humira",)),
    Drug("etanercept", IMMUNOSUPPRESSANT, "L04AB", ("enbrel",)),
    Drug("infliximab", IMMUNOSUPPRESSANT, "L04AB", ("remicade",)),
    Drug("certolizumab pegol", IMMUNOSUPPRESSANT, "L04AB", ("cimzia", "certolizumab")),
    Drug("golimumab", IMMUNOSUPPRESSANT, "L04AB", ("simponi",)),
    Drug("tocilizumab", IMMUNOSUPPRESSANT, "L04AC", ("actemra", "roactemra")),
    Drug("anakinra", IMMUNOSUPPRESSANT, "L04AC", ("kineret",)),
    Drug("ustekinumab", IMMUNOSUPPRESSANT, "L04AC", ("stelara",)),
    Drug("secukinumab", IMMUNOSUPPRESSANT, "L04AC", ("cosentyx",)),
)


def normalise(name: str) -> str:
    """Case, accents, hyphens and spacing do not change a name."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-_./+]+", " ", text).strip().casefold()


_BY_NAME: dict[str, Drug] = {}
for _drug in DRUGS:
    for _name in (_drug.generic, *_drug.other_names):
        _BY_NAME[normalise(_name)] = _drug
_SALTS = frozenset({"sodium", "potassium", "calcium", "bisulfate", "mesylate", "etexilate",
                    "tosylate", "mofetil", "hydrochloride", "acetate", "phosphate"})
# The name is what is read; a dose or form typed after it is not part of it.
_DOSE_OR_FORM = re.compile(r"^(\d.*|mg|mcg|g|ml|iu|units?|tablets?|tabs?|capsules?|caps?|"
                           r"once|twice|daily|od|bd|tds|nocte|oral|injection|ec|dispersible)$")


def drug_for(name: str) -> Drug | None:
    """The drug a medication name (generic or brand, any case or spacing, with or without
    its salt, e.g. "warfarin sodium") names, or None when the table does not know it."""
    key = normalise(name)
    if key in _BY_NAME:
        return _BY_NAME[key]
    words = [w for w in key.split(" ") if w not in _SALTS and not _DOSE_OR_FORM.match(w)]
    return _BY_NAME.get(" ".join(words))


def class_of(name: str) -> str | None:
    drug = drug_for(name)
    return drug.drug_class if drug else None


# Herbs that raise bleeding risk with an anticoagulant or antiplatelet. Sources: Tsai et al.
# 2013, PLoS One 8(5):e64255 (review of anticoagulant/antiplatelet interactions with
# Chinese herbal medicines: danshen, dong quai and ginkgo among them); Samuels 2005,
# Thromb Haemost 93:3-7 (herbal remedies and anticoagulant therapy); de Lemos & Sunderji
# 1999 (Vancouver Hospital drug newsletter: danshen raised INR on warfarin; ginkgo and
# haemorrhage).
@dataclass(frozen=True)
class Herb:
    name: str
    latin: str
    aliases: tuple[str, ...] = ()


BLEEDING_HERBS: tuple[Herb, ...] = (
    Herb("dan shen", "Salvia miltiorrhiza", ("danshen", "salvia miltiorrhiza")),
    Herb("dong quai", "Angelica sinensis", ("dang gui", "danggui", "angelica sinensis")),
    Herb("ginkgo", "Ginkgo biloba", ("ginkgo biloba", "yin xing ye")),
)
_HERB_BY_NAME = {normalise(n): h for h in BLEEDING_HERBS for n in (h.name, *h.aliases)}


def bleeding_herb(name: str) -> Herb | None:
    return _HERB_BY_NAME.get(normalise(name))


@dataclass(frozen=True)
class LabValue:
    value: float
    age_days: int  # days between the sample and the screening


@dataclass(frozen=True)
class PatientLists:
    """What the patient's medication, allergy and problem lists, and latest results, say
    (the entries in force: not stopped, not entered in error)."""

    medications: tuple[str, ...] = ()  # names as recorded
    herbs: tuple[str, ...] = ()  # herbs the patient takes, as recorded
    allergies: frozenset[str] = frozenset()  # allergy categories
    problem_codes: frozenset[str] = frozenset()  # ICD-10-CM codes of active problems
    inr: LabValue | None = None
    platelet_count: LabValue | None = None  # x10^9/L
    # (name, class or NONE_OF_THESE) the clinician chose for a name the table does not know
    chosen_classes: tuple[tuple[str, str], ...] = ()

    def _chosen(self) -> dict[str, str]:
        return {normalise(n): c for n, c in self.chosen_classes}

    def classes(self) -> dict[str, list[str]]:
        """Each class the listed medications fall in, with the names that put it there
        (the table's, else the class the clinician chose)."""
        found: dict[str, list[str]] = {}
        chosen = self._chosen()
        for name in self.medications:
            drug = drug_for(name)
            if drug is not None:
                found.setdefault(drug.drug_class, []).append(drug.generic)
            elif chosen.get(normalise(name), NONE_OF_THESE) in CLASSES:
                found.setdefault(chosen[normalise(name)], []).append(normalise(name))
        return found

    def antithrombotic_agents(self) -> frozenset[str]:
        chosen = self._chosen()
        agents = {agent for name in self.medications if (drug := drug_for(name))
                  and drug.drug_class in ANTITHROMBOTIC_CLASSES for agent in drug.agents}
        return frozenset(agents | {normalise(n) for n in self.medications
                                   if drug_for(n) is None
                                   and chosen.get(normalise(n)) in ANTITHROMBOTIC_CLASSES})

    def unclassified(self) -> tuple[str, ...]:
        """Listed names the table does not know and no class was chosen for."""
        chosen = self._chosen()
        return tuple(n for n in self.medications
                     if drug_for(n) is None and normalise(n) not in chosen)
