"""What each concept means, per code system: ICD categories (KNOWLEDGE.md §4), and the words a SNOMED CT, CIEL
or WHO SMART HIV display must contain (the drug names that put a product in a class are in ``drug_names``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# ---- what each concept means, per classification (categories match their children) ---------------------

ICD10_CM: dict[str, list[str]] = {
    "hiv": ["B20", "Z21", "B97.35", "O98.7"],
    "iris": ["D89.3"],
    "tuberculosis": ["A15", "A16", "A17", "A18", "A19"],
    "tb-meningitis": ["A17.0"],
    "cryptococcal-meningitis": ["B45.1"],
    "kaposi-sarcoma": ["C46"],
    "hepatitis-b": ["B16", "B18.0", "B18.1", "B19.1", "Z22.51"],
    "crps": ["G90.5", "G56.4", "G57.7"],
    "chronic-intractable-pain": ["G89.29", "G89.4"],
    "peripheral-neuropathy": [
        "G60",
        "G61",
        "G62",
        "G63",
        "G64",
        "E08.42",
        "E09.42",
        "E10.42",
        "E11.42",
        "E13.42",
    ],
    "renal-failure": ["N17", "N18.4", "N18.5", "N18.6", "Z99.2"],
    "pregnancy": ["Z33.1", "Z34", "O"],
    "delivery": ["O80", "O82", "Z37", "Z39"],
    "vte-history": ["I26", "I80.1", "I80.2", "I82.4", "I82.5", "I82.62", "Z86.711", "Z86.718"],
    "no-reproductive-potential": ["Z90.710", "Z90.711", "N95.1", "Z78.0"],
}
IRIS_ASSOCIATED_ICD10 = [
    "A15",
    "A16",
    "A17",
    "A18",
    "A19",
    "B45",
    "B25",
    "A31",
    "A81.2",
    "B02",
    "B00",
    "A60",
    "B08.1",
    "B16",
    "B18.0",
    "B18.1",
    "B19.1",
    "Z22.51",
    "B17.1",
    "B18.2",
    "R59",
    "C46",
    "B59",
]
ICD10_CM["iris-associated"] = IRIS_ASSOCIATED_ICD10
NOT_PREGNANCY_CM = ["O80", "O82"]  # delivery codes end a pregnancy (KNOWLEDGE.md §4)
# KNOWLEDGE.md's delivery row names Z39 (postpartum care) whole; its child Z39.1 "care and examination of
# lactating mother" is read conservatively as no delivery: a breastfeeding encounter does not date the end of
# a pregnancy, and a lactating mother may be pregnant again (WHO ICD-10 and ICD-11 alike, QA48.1).
NOT_IN_CONCEPT_CM = {"delivery": ["Z39.1"]}

ICD10_WHO: dict[str, list[str]] = {
    **{
        k: v
        for k, v in ICD10_CM.items()
        if k
        not in (
            "hiv",
            "pregnancy",
            "delivery",
            "crps",
            "chronic-intractable-pain",
            "no-reproductive-potential",
            "peripheral-neuropathy",
            "vte-history",
        )
    },
    "hiv": ["B20", "B21", "B22", "B23", "B24", "Z21", "O98.7"],
    "pregnancy": ["Z32.1", "Z33", "Z34", "Z35", "Z36", "O"],
    "delivery": ["O80", "O81", "O82", "O83", "O84", "Z37", "Z39"],
    "crps": ["G56.4"],
    "chronic-intractable-pain": ["R52.1"],
    "peripheral-neuropathy": ["G60", "G61", "G62", "G63", "G64"],
    "vte-history": ["I26", "I80.1", "I80.2", "I82.4", "I82.5", "I82.6", "Z86.7"],
    "no-reproductive-potential": ["N95.1"],
}
NOT_PREGNANCY_WHO = ["O80", "O81", "O82", "O83", "O84"]
NOT_IN_CONCEPT_WHO = {
    "vte-history": ["Z86.70", "Z86.72", "Z86.73", "Z86.74", "Z86.75", "Z86.79"],
    "delivery": NOT_IN_CONCEPT_CM["delivery"],
}

# ICD-11 MMS: stems taken from WHO's ICD-11 table, children included; each checked by its title.
ICD11: dict[str, list[str]] = {
    "hiv": ["1C60", "1C61", "1C62"],
    "iris": ["4B23"],
    "tuberculosis": ["1B10", "1B11", "1B12", "1B13", "1B14", "1B1Z"],
    "tb-meningitis": ["1B11.0"],
    "cryptococcal-meningitis": ["1F27.1"],
    "kaposi-sarcoma": ["2B57"],
    "hepatitis-b": ["1E50.1", "1E51.0"],
    "crps": ["8D8A.0"],
    "peripheral-neuropathy": ["8C0"],
    "renal-failure": ["GB60", "GB61.4", "GB61.5"],
    "vte-history": ["BD71", "BB00"],
    # chapter 18 (JA00-JB6Z) and the pregnancy Z-codes' equivalents (Z33-Z36: QA41-QA43, QA45), as ICD-10's O
    "pregnancy": ["JA", "JB", "QA41", "QA42", "QA43", "QA45"],
    # single and multiple delivery JB20-JB2Z (O80-O84), outcome of delivery QA46 (Z37), postpartum care
    # QA48 (Z39)
    "delivery": ["JB20", "JB21", "JB22", "JB23", "JB24", "JB2Z", "QA46", "QA48"],
    "no-reproductive-potential": ["GA30.00"],  # menopausal or female climacteric states (N95.1)
}
NOT_PREGNANCY_11 = ["JB2"]  # the delivery block ends a pregnancy; chronic pain MG30 is not "intractable"
# Children of a listed stem that are not the concept (rules/valuesets.yaml excludes them too, as the stems
# cover their children there). JB44.6 puerperal osteomalacia is ICD-10 M83.0, outside O00-O9A; the other
# puerperium and abortion codes stay pregnancy like their chapter-O equivalents, and QA45 (antenatal
# screening) like WHO ICD-10's Z35/Z36. QA48.1 (lactating mother) is ICD-10 Z39.1, see NOT_IN_CONCEPT_CM.
NOT_IN_CONCEPT_11 = {"pregnancy": ["JB44.6"], "delivery": ["QA48.1"]}
ICD11["iris-associated"] = (
    ICD11["tuberculosis"]
    + ICD11["hepatitis-b"]
    + ICD11["kaposi-sarcoma"]
    + ["1F27", "1D82", "1B21", "8A45.02", "1E91", "1F00", "1E76", "1E50.2", "1E51.1", "MA01", "CA40.20"]
)

# The deep veins whose thrombosis or thrombophlebitis is venous thromboembolism (ICD-10-CM I80.1, I80.2,
# I82.4, I82.62, vena cava and pelvic veins); an unnamed "lower limb vein" may be superficial and is left out.
DEEP_VEIN = (
    r"(deep |common |internal |external )?(femoral|popliteal|iliac|femoropopliteal|pelvic|tibial|peroneal"
    r"|axillary|subclavian|brachial) veins?"
)

# Words a display must contain for a SNOMED CT, CIEL or WHO SMART HIV code to mean the concept.
WORDS: dict[str, str] = {
    "hiv": r"human immunodeficiency virus|\bHIV\b|acquired immun\w* deficiency syndrome|\bAIDS\b",
    "iris": r"immune reconstitution",
    "tuberculosis": r"tubercul|\bTB\b",
    "tb-meningitis": r"tubercul\w*( of( the)?)? (lepto)?mening|mening\w* tubercul|\bTB meningitis",
    "cryptococcal-meningitis": r"cryptococc\w* mening|mening\w* cryptococc|cerebral cryptococc",
    "kaposi-sarcoma": r"kaposi",
    "hepatitis-b": r"hepatitis b\b|\bHBV\b|hepatitis,? type b\b|type b viral hepatitis",
    "crps": r"complex regional pain|causalgia|reflex sympathetic dystrophy",
    "chronic-intractable-pain": r"chronic intractable pain",
    "peripheral-neuropathy": r"polyneuropathy|peripheral neuropathy",
    "renal-failure": r"renal failure|kidney failure|end stage renal|end-stage renal"
    r"|chronic kidney disease stage [45]"
    r"|dependence on (renal )?dialysis",
    "vte-history": r"venous thrombo|deep vein|pulmonary embol|\bDVT\b|venous embol|thromboembolism of vein"
    r"|deep thrombophlebitis|pulmonary (artery )?thrombo|pulmonary microembol|pulmonary infarction"
    r"|pulmonary apoplexy|(thrombo)?phlebitis of [\w ]*?"
    + DEEP_VEIN
    + r"|(thrombosis|embolism)\b[\w ]*? of [\w ]*?(vena cava|vein of trunk|"
    + DEEP_VEIN
    + ")",
    "no-reproductive-potential": r"hysterectomy|premature menopause|postmenopausal",
}
WORDS["iris-associated"] = "|".join(
    [
        WORDS["tuberculosis"],
        WORDS["hepatitis-b"],
        WORDS["kaposi-sarcoma"],
        r"cryptococc",
        r"cytomegalovir",
        r"mycobacteri",
        r"avium",
        r"leukoencephalopathy",
        r"zoster|shingles",
        r"herpes simplex|genital herpes",
        r"molluscum",
        r"hepatitis c\b|hepatitis,? type c\b|type c viral hepatitis",
        r"lymphadenopathy",
        r"pneumocyst",
    ]
)
NOT_WORDS: dict[str, str] = {
    "tb-meningitis": r"tuberculoma",  # a meningeal tuberculoma is not meningitis (ICD-10 A17.1, not A17.0)
    "iris-associated": r"\bvaccin|immuniz|screen|exposure|contact|latent|\bnegative|\bimmune\b"
    r"|history of|suspected"
    r"|(?<!multifocal )leukoencephalopathy(?! with| co-| progressive)|HIV leukoencephalopathy"
    r"|human immunodeficiency virus leukoencephalopathy",
    "tuberculosis": r"\bvaccin|immuniz|screen|exposure|contact|latent|\bnegative|history of|suspected|test\b",
    "hepatitis-b": r"\bvaccin|immuniz|screen|exposure|contact|\bnegative|immune\b|antibody|history of",
    "vte-history": r"superficial|suspected|risk|prophyla|no history",
    "no-reproductive-potential": r"supracervical|subtotal|partial",
    "renal-failure": r"risk|no history",
    # Someone else's HIV (a partner's, a mother's exposure of her infant), or symptoms that only suggest it,
    # is not the patient's diagnosis.
    "hiv": r"partner|could suggest|suspected|exposure to|\bexposed\b",
}
NOT_WORDS["iris-associated"] += r"|varicella(?!.*zoster)|chickenpox|chicken pox"
DAK_SINGLE_ARV = r"(ABC|3TC|ATV|AZT|ZDV|DRV|DTG|EFV|FTC|LPV|NVP|RAL|TDF|TAF|ETV|RPV|CAB|BIC|DOR)"
DAK_PREGNANT = r"^(currently pregnant|pregnancy|pregnant at ART start|pregnancy in HIV-infected woman)$"
DAK_DELIVERED = r"deliver|birth|caesar"
# The DAK's mother's-history activity mixes past pregnancies (forceps, vacuum) with the current one: only an
# element whose definition names the current pregnancy or its outcome dates the end of a pregnancy.
DAK_CURRENT_DELIVERY = r"current pregnancy|outcome of pregnancy"
# A "live birth" element coded as an outcome of delivery (Z37) is this delivery's outcome, whatever its
# definition says ("The woman had a live birth"); the history's forceps and vacuum elements are O81.
DAK_BIRTH_OUTCOME = r"\bbirth\b"
OUTCOME_OF_DELIVERY_WHO = ["Z37"]
# SNOMED CT obstetric displays say where the episode stands: "- not delivered", "antepartum", a labour
# "without delivery" or its spontaneous onset mean still pregnant; "- delivered" and "delivery" date its end;
# postpartum and puerperal findings mean neither.
STILL_PREGNANT = (
    r"not delivered|undelivered|antepartum|before delivery|threatened|without delivery"
    r"|spontaneous onset of labou?r"
)
DELIVERED = r"(?<!un)delivered\b|\bdelivery\b|liveborn|live birth|stillbirth|caesarean|cesarean"
AFTER_PREGNANCY = r"postpartum|post-partum|puerper|postnatal|lactat|breast"
# A past pregnancy's delivery recorded as history does not end the current pregnancy ("following previous
# caesarean" and "baby delivered during previous episode of care" are this pregnancy's delivery).
OBSTETRIC_HISTORY = (
    r"\bhistory\b|\bpast\b|\bprevious (deliver|pregnan|forceps|vacuum|birth|childbirth|labou?r)"
)


def obstetric_concept(display: str) -> str | None:
    """``pregnancy``, ``delivery`` or neither, for an obstetric SNOMED CT display."""
    if re.search(STILL_PREGNANT, display, re.I):
        return "pregnancy"
    if re.search(DELIVERED, display, re.I):
        return None if re.search(OBSTETRIC_HISTORY, display, re.I) else "delivery"
    return None if re.search(AFTER_PREGNANCY, display, re.I) else "pregnancy"


def dotless(code: str) -> str:
    return code.replace(".", "").strip().upper()


def under(code: str, prefixes: Iterable[str]) -> bool:
    return dotless(code).startswith(tuple(dotless(p) for p in prefixes))


def means(concept: str, display: str) -> bool:
    words, not_words = WORDS.get(concept), NOT_WORDS.get(concept)
    if words is None or re.search(words, display, re.IGNORECASE) is None:
        return False
    return not_words is None or re.search(not_words, display, re.IGNORECASE) is None
