"""Random valid patient scenarios in the project's own JSON, for property tests, soak runs and benchmarks.

One generator, driven by a :class:`random.Random`: hypothesis drives it through ``st.randoms()`` (so it
shrinks and replays), the soak test and the benchmarks through a seeded ``random.Random``. Two flavours:

* :func:`random_scenario` -- anything valid: every value set (HIV, ART, CD4, viral load, IRIS-associated
  conditions, corticosteroids, the thalidomide class, pregnancy, POEMS, TB, IL-2, assessments, renal failure,
  exclusions), every status, units that need converting, and dates and values placed around the thresholds;
* :func:`realistic_scenario` (``clinical_mix``) -- a clinical mix (ART starts, suspected IRIS, steroid-
  refractory IRIS, thalidomide orders, POEMS, pain, TB, cryptococcal meningitis, IL-2, routine follow-up).

Every scenario carries a unique ``patient.id`` and its own ``evaluation_time``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from tests.reliability.clinical_mix import EVALUATION_TIME, JSON, day, realistic_scenario

# Day offsets before the evaluation time placed on and around every time threshold of the catalogue:
# 28 (cryptococcal window, corticosteroid course), 30 (TB treatment), 90 (IRIS window), 180 (baseline
# window), 280 (pregnancy status window), 300 (pregnancy condition window).
THRESHOLD_DAYS = (
    0,
    1,
    2,
    13,
    27,
    28,
    29,
    30,
    31,
    60,
    89,
    90,
    91,
    92,
    179,
    180,
    181,
    270,
    279,
    280,
    281,
    299,
    300,
    301,
    400,
)
CD4_VALUES = (0, 12, 42, 49, 49.5, 50, 51, 99, 99.99, 100, 100.01, 101, 150, 350, 720)
VL_VALUES = (0, 19, 20, 40, 1000, 9999, 10000, 120000, 1500000)
EGFR_VALUES = (5, 15, 29, 29.9, 30, 30.1, 31, 60, 95)
AGES = (0, 11, 12, 13, 30, 45, 54, 55, 56, 64, 65, 66, 80)

CONDITION_STATUSES = (
    "active",
    "active",
    "active",
    "recurrence",
    "relapse",
    "inactive",
    "remission",
    "resolved",
    "unknown",
    "refuted",
    "entered-in-error",
)
MEDICATION_STATUSES = (
    "active",
    "active",
    "active",
    "on-hold",
    "draft",
    "completed",
    "stopped",
    "cancelled",
    "intended",
    "not-taken",
    "unknown",
    "entered-in-error",
)

# (code, system, text): every condition concept of rules/valuesets.yaml, plus some that match none.
CONDITIONS: tuple[tuple[str | None, str, str | None], ...] = (
    ("B20", "icd10cm", "HIV disease"),
    ("Z21", "icd10cm", None),
    ("86406008", "snomed", "HIV infection"),
    ("D89.3", "icd10cm", "Immune reconstitution syndrome"),
    ("A15.0", "icd10cm", "Tuberculosis of lung"),
    ("A17.0", "icd10cm", "Tuberculous meningitis"),
    ("A18.2", "icd10cm", None),
    ("B45.1", "icd10cm", "Cryptococcal meningitis"),
    ("B45.9", "icd10cm", None),
    ("B25.8", "icd10cm", "CMV disease"),
    ("A31.2", "icd10cm", "Disseminated MAC"),
    ("B02.9", "icd10cm", "Zoster"),
    ("C46.9", "icd10cm", "Kaposi sarcoma"),
    ("B18.1", "icd10cm", "Chronic hepatitis B"),
    ("B18.2", "icd10cm", "Chronic hepatitis C"),
    ("B59", "icd10cm", "Pneumocystosis"),
    (None, "icd10cm", "POEMS syndrome"),
    (None, "icd10cm", "Crow-Fukase syndrome"),
    ("G90.50", "icd10cm", "CRPS"),
    ("G89.4", "icd10cm", "Chronic pain syndrome"),
    ("G62.9", "icd10cm", "Polyneuropathy"),
    ("N18.5", "icd10cm", "CKD stage 5"),
    ("N17.9", "icd10cm", "Acute kidney failure"),
    ("Z99.2", "icd10cm", "Dialysis"),
    ("N18.3", "icd10cm", "CKD stage 3"),
    ("Z33.1", "icd10cm", "Pregnant state"),
    ("O09.90", "icd10cm", None),
    ("Z34.90", "icd10cm", "Normal pregnancy"),
    ("O80", "icd10cm", "Full-term uncomplicated delivery"),
    ("Z37.0", "icd10cm", "Single live birth"),
    ("I80.11", "icd10cm", "Thrombophlebitis of femoral vein"),
    ("I82.621", "icd10cm", "DVT of right arm"),
    ("E11.42", "icd10cm", "Diabetic polyneuropathy"),
    ("B19.10", "icd10cm", "Hepatitis B"),
    ("Z22.51", "icd10cm", "Hepatitis B carrier"),
    ("B00.9", "icd10cm", "Herpes simplex"),
    ("I26.99", "icd10cm", "Pulmonary embolism"),
    ("Z86.718", "icd10cm", "History of VTE"),
    ("Z90.710", "icd10cm", "Hysterectomy"),
    ("N95.1", "icd10cm", "Menopause"),
    ("J18.9", "icd10cm", "Pneumonia"),
    ("E11.9", "icd10cm", "Type 2 diabetes"),
)

MEDICATIONS: tuple[str, ...] = (
    "dolutegravir",
    "Efavirenz 600 MG Oral Tablet",
    "tenofovir",
    "bictegravir",
    "lamivudine",
    "prednisone",
    "Dexamethasone 4 MG Oral Tablet",
    "methylprednisolone",
    "thalidomide",
    "lenalidomide",
    "pomalidomide",
    "aldesleukin",
    "rifampicin",
    "isoniazid",
    "pyrazinamide",
    "betamethasone",
    "nirmatrelvir/ritonavir",
    "ritonavir",
    "darunavir/cobicistat",
    "emtricitabine/tenofovir",
    "metformin",
    "cotrimoxazole",
)

ASSESSMENTS = (
    "iris-steroid-refractory",
    "iris-steroid-dependent",
    "transplant-ineligible",
    "pain-refractory",
    "reproductive-potential",
)


def _days_ago(rnd: random.Random) -> int:
    if rnd.random() < 0.8:
        return rnd.choice(THRESHOLD_DAYS)
    return rnd.randint(-5, 900)  # a few in the future: they must be ignored


def _birth_date(rnd: random.Random, now: datetime) -> str | None:
    if rnd.random() < 0.08:
        return None
    age = rnd.choice(AGES)
    # On, just before, or just after the birthday.
    born = date(now.year - age, now.month, now.day) + timedelta(days=rnd.choice((-1, 0, 0, 1, 40, -200)))
    return born.isoformat()


def _number(rnd: random.Random, values: tuple[float, ...]) -> float:
    return rnd.choice(values) if rnd.random() < 0.85 else round(rnd.uniform(0, max(values)), 2)


def _cd4(rnd: random.Random, now: datetime) -> JSON:
    value = _number(rnd, CD4_VALUES)
    if rnd.random() < 0.2:  # SI units: 10*9/L is 1000 cells/uL
        return {"kind": "cd4", "time": day(now, _days_ago(rnd)), "value": value / 1000, "unit": "10*9/L"}
    unit = rnd.choice(("cells/uL", "/uL", "{cells}/uL", "/mm3", "10*6/L", None))
    obs: JSON = {"kind": "cd4", "time": day(now, _days_ago(rnd)), "value": value}
    if unit is not None:
        obs["unit"] = unit
    return obs


def _observation(rnd: random.Random, now: datetime) -> JSON:
    kind = rnd.choice(
        ("cd4", "cd4", "cd4", "viral-load", "viral-load", "egfr", "pregnancy-status", "assessment")
    )
    when = day(now, _days_ago(rnd))
    if kind == "cd4":
        return _cd4(rnd, now)
    if kind == "viral-load":
        obs: JSON = {
            "kind": "viral-load",
            "time": when,
            "value": _number(rnd, VL_VALUES),
            "unit": "copies/mL",
        }
        if rnd.random() < 0.2:
            obs["comparator"] = "<"
        return obs
    if kind == "egfr":
        return {"kind": "egfr", "time": when, "value": _number(rnd, EGFR_VALUES), "unit": "mL/min/1.73m2"}
    if kind == "pregnancy-status":
        return {"kind": "pregnancy-status", "time": when, "value": rnd.choice(("pregnant", "not-pregnant"))}
    return {"kind": rnd.choice(ASSESSMENTS), "time": when, "value": rnd.random() < 0.6}


def _condition(
    rnd: random.Random, now: datetime, pick: tuple[str | None, str, str | None] | None = None
) -> JSON:
    code, system, text = pick or rnd.choice(CONDITIONS)
    cond: JSON = {"status": rnd.choice(CONDITION_STATUSES)}
    if code is not None:
        cond["code"] = code
        if system != "icd10cm":
            cond["system"] = system
    if text is not None and (code is None or rnd.random() < 0.5):
        cond["text"] = text
    r = rnd.random()
    if r < 0.75:
        cond["onset"] = day(now, _days_ago(rnd))
    elif r < 0.85:
        cond["recorded"] = day(now, _days_ago(rnd))
    return cond


def _medication(rnd: random.Random, now: datetime, ingredient: str | None = None) -> JSON:
    med: JSON = {"ingredient": ingredient or rnd.choice(MEDICATIONS)}
    if rnd.random() < 0.2:
        med["status"], med["draft"] = "draft", True
        return med
    med["status"] = rnd.choice(MEDICATION_STATUSES)
    if rnd.random() < 0.9:
        start = _days_ago(rnd)
        med["start"] = day(now, start)
        if rnd.random() < 0.3:
            med["end"] = day(now, max(-30, start - rnd.randint(0, 120)))
        if rnd.random() < 0.2:
            med["days_supply"] = rnd.choice((1, 14, 28, 30, 90))
    return med


def random_scenario(rnd: random.Random, patient_id: str | None = None) -> JSON:
    """Any valid scenario: every value set, every status, values and dates around the thresholds."""
    now = EVALUATION_TIME + timedelta(days=rnd.randint(-400, 400), hours=rnd.choice((0, 9, 23)))
    patient: JSON = {"sex": rnd.choice(("female", "female", "male", "other", "unknown"))}
    born = _birth_date(rnd, now)
    if born is not None:
        patient["birth_date"] = born
    if patient_id is not None:
        patient["id"] = patient_id
    return {
        "patient": patient,
        "evaluation_time": now.isoformat().replace("+00:00", "Z"),
        "conditions": [_condition(rnd, now) for _ in range(rnd.randint(0, 6))],
        "observations": [_observation(rnd, now) for _ in range(rnd.randint(0, 8))],
        "medications": [_medication(rnd, now) for _ in range(rnd.randint(0, 5))],
    }


def mixed_scenario(rnd: random.Random, patient_id: str | None = None) -> JSON:
    """A realistic scenario with random data of every kind mixed in, or a purely random one."""
    if rnd.random() < 0.35:
        return random_scenario(rnd, patient_id)
    scenario = realistic_scenario(rnd, patient_id)
    now = datetime.fromisoformat(scenario["evaluation_time"])
    scenario["conditions"] += [_condition(rnd, now) for _ in range(rnd.randint(0, 3))]
    scenario["observations"] += [_observation(rnd, now) for _ in range(rnd.randint(0, 3))]
    scenario["medications"] += [_medication(rnd, now) for _ in range(rnd.randint(0, 2))]
    if rnd.random() < 0.3:
        scenario["patient"]["sex"] = rnd.choice(("female", "male", "other", "unknown"))
    return scenario


GENERATORS = {"realistic": realistic_scenario, "random": random_scenario, "mixed": mixed_scenario}


def scenario_batch(n: int, seed: int, kind: str = "realistic") -> list[JSON]:
    """``n`` scenarios of a kind (realistic, random, mixed) from a fixed seed, patient ids ``p<index>``."""
    rnd = random.Random(seed)
    make = GENERATORS[kind]
    return [make(rnd, f"p{i}") for i in range(n)]
