"""A realistic clinical mix of patient scenarios in the project's own JSON, for benchmarks and soak runs.

ART starts, suspected IRIS, steroid-refractory IRIS, thalidomide orders, POEMS, pain, TB, cryptococcal
meningitis, IL-2 and routine follow-up, weighted as a clinic might see them (:func:`realistic_scenario`).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

JSON = dict[str, Any]

EVALUATION_TIME = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def day(now: datetime, days_ago: int) -> str:
    """The date ``days_ago`` days before ``now`` (YYYY-MM-DD)."""
    return (now - timedelta(days=days_ago)).date().isoformat()


def _hiv(now: datetime, days: int) -> JSON:
    return {"code": "B20", "status": "active", "onset": day(now, days)}


def _art_start(rnd: random.Random, now: datetime) -> JSON:
    """Advanced HIV, ART being ordered now; sometimes with TB or cryptococcal meningitis."""
    s: JSON = {
        "conditions": [_hiv(now, rnd.randint(10, 400))],
        "observations": [
            {
                "kind": "cd4",
                "time": day(now, rnd.randint(1, 40)),
                "value": rnd.choice((38, 85, 99, 100, 240)),
            },
            {"kind": "viral-load", "time": day(now, rnd.randint(1, 40)), "value": rnd.randint(1000, 900000)},
        ],
        "medications": [
            {"ingredient": "dolutegravir", "status": "draft", "draft": True},
            {"ingredient": "tenofovir", "status": "draft", "draft": True},
            {"ingredient": "lamivudine", "status": "draft", "draft": True},
        ],
    }
    extra = rnd.random()
    if extra < 0.3:
        s["conditions"].append({"code": "A15.0", "status": "active", "onset": day(now, rnd.randint(5, 40))})
        s["medications"] += [
            {"ingredient": "rifampicin", "status": "active", "start": day(now, rnd.randint(5, 40))},
            {"ingredient": "isoniazid", "status": "active", "start": day(now, rnd.randint(5, 40))},
        ]
    elif extra < 0.45:
        s["conditions"].append({"code": "B45.1", "status": "active", "onset": day(now, rnd.randint(3, 45))})
    return s


def _iris(rnd: random.Random, now: datetime) -> JSON:
    """On ART for weeks, a new IRIS-associated condition; sometimes long steroids or an assessment."""
    art_days = rnd.choice((14, 30, 60, 90, 91, 120))
    s: JSON = {
        "conditions": [
            _hiv(now, 500),
            {
                "code": rnd.choice(("A15.0", "B45.1", "B25.8", "A31.2")),
                "status": "active",
                "onset": day(now, max(0, art_days - rnd.randint(5, 40))),
            },
        ],
        "observations": [
            {"kind": "cd4", "time": day(now, art_days + 10), "value": rnd.choice((30, 60, 99, 150))},
            {"kind": "cd4", "time": day(now, 3), "value": rnd.choice((110, 180, 260))},
            {"kind": "viral-load", "time": day(now, art_days + 10), "value": 250000},
            {
                "kind": "viral-load",
                "time": day(now, 3),
                "value": rnd.choice((20, 900, 40000)),
                **({"comparator": "<"} if rnd.random() < 0.3 else {}),
            },
        ],
        "medications": [
            {"ingredient": "Efavirenz 600 MG Oral Tablet", "status": "active", "start": day(now, art_days)},
            {"ingredient": "tenofovir", "status": "active", "start": day(now, art_days)},
        ],
    }
    r = rnd.random()
    if r < 0.35:
        s["medications"].append(
            {"ingredient": "prednisone", "status": "active", "start": day(now, rnd.choice((14, 27, 28, 40)))}
        )
    elif r < 0.6:
        s["observations"].append({"kind": "iris-steroid-refractory", "time": day(now, 1), "value": True})
        s["conditions"].append({"code": "D89.3", "status": "active", "onset": day(now, 20)})
    return s


def _thalidomide(rnd: random.Random, now: datetime) -> JSON:
    """A thalidomide-class order or course; sometimes pregnant, on steroids, with VTE or neuropathy."""
    drug = rnd.choice(("thalidomide", "lenalidomide", "pomalidomide"))
    med: JSON = (
        {"ingredient": drug, "status": "draft", "draft": True}
        if rnd.random() < 0.5
        else {"ingredient": drug, "status": "active", "start": day(now, rnd.randint(1, 200))}
    )
    if rnd.random() < 0.25:  # stopped around the end of the REMS window after the last dose
        stopped = rnd.choice((0, 8, 27, 28, 29, 60))
        med = {"ingredient": drug, "status": "stopped", "start": day(now, stopped + 60)}
        med["end"] = day(now, stopped)
    s: JSON = {"conditions": [], "observations": [], "medications": [med]}
    if rnd.random() < 0.25:
        s["observations"].append({"kind": "pregnancy-status", "time": day(now, 10), "value": "pregnant"})
    if rnd.random() < 0.3:
        s["medications"].append({"ingredient": "dexamethasone", "status": "active", "start": day(now, 30)})
    if rnd.random() < 0.2:
        s["conditions"].append({"code": "Z86.718", "status": "resolved", "onset": day(now, 700)})
    if rnd.random() < 0.2:
        s["conditions"].append({"code": "G62.9", "status": "active", "onset": day(now, 300)})
    return s


def _poems(rnd: random.Random, now: datetime) -> JSON:
    s: JSON = {
        "conditions": [{"text": "POEMS syndrome", "status": "active", "onset": day(now, 200)}],
        "observations": [{"kind": "egfr", "time": day(now, 5), "value": rnd.choice((18, 29, 30, 55))}],
        "medications": [],
    }
    if rnd.random() < 0.45:
        s["observations"].append(
            {"kind": "transplant-ineligible", "time": day(now, 3), "value": rnd.random() < 0.7}
        )
    if rnd.random() < 0.3:
        s["conditions"].append({"code": "G62.9", "status": "active", "onset": day(now, 250)})
    return s


def _pain(rnd: random.Random, now: datetime) -> JSON:
    return {
        "conditions": [{"code": rnd.choice(("G90.50", "G89.4")), "status": "active", "onset": day(now, 400)}],
        "observations": [{"kind": "pain-refractory", "time": day(now, 7), "value": rnd.random() < 0.7}],
        "medications": [],
    }


def _tb_naive(rnd: random.Random, now: datetime) -> JSON:
    return {
        "conditions": [_hiv(now, 20), {"code": "A15.0", "status": "active", "onset": day(now, 10)}],
        "observations": [{"kind": "cd4", "time": day(now, 4), "value": rnd.choice((22, 49, 50, 180))}],
        "medications": [{"ingredient": "rifampicin", "status": "active", "start": day(now, 8)}],
    }


def _il2(rnd: random.Random, now: datetime) -> JSON:
    return {
        "conditions": [_hiv(now, 900)],
        "observations": [{"kind": "cd4", "time": day(now, 30), "value": 420}],
        "medications": [
            {"ingredient": "dolutegravir", "status": "active", "start": day(now, 800)},
            {"ingredient": "aldesleukin", "status": "draft", "draft": True},
        ],
    }


def _follow_up(rnd: random.Random, now: datetime) -> JSON:
    """Stable HIV on long-term ART: usually nothing fires."""
    return {
        "conditions": [_hiv(now, 3000), {"code": "E11.9", "status": "active", "onset": day(now, 1500)}],
        "observations": [
            {"kind": "cd4", "time": day(now, 60), "value": rnd.randint(350, 900)},
            {"kind": "viral-load", "time": day(now, 60), "value": 20, "comparator": "<"},
            {"kind": "egfr", "time": day(now, 60), "value": rnd.randint(60, 110)},
        ],
        "medications": [
            {"ingredient": "bictegravir", "status": "active", "start": day(now, 1200)},
            {"ingredient": "metformin", "status": "active", "start": day(now, 1400)},
        ],
    }


_ARCHETYPES = (
    (_art_start, 25),
    (_iris, 20),
    (_thalidomide, 15),
    (_poems, 8),
    (_pain, 5),
    (_tb_naive, 8),
    (_il2, 4),
    (_follow_up, 15),
)


def realistic_scenario(rnd: random.Random, patient_id: str | None = None) -> JSON:
    """One scenario of a clinical mix (ART starts, IRIS, thalidomide, POEMS, pain, TB, IL-2, follow-up)."""
    builders, weights = zip(*_ARCHETYPES, strict=True)
    now = EVALUATION_TIME + timedelta(days=rnd.randint(0, 60))
    body = rnd.choices(builders, weights=weights)[0](rnd, now)
    age = rnd.choice((24, 31, 38, 47, 52, 58, 66, 71))
    patient: JSON = {
        "birth_date": date(now.year - age, rnd.randint(1, 12), rnd.randint(1, 28)).isoformat(),
        "sex": rnd.choice(("female", "male")),
    }
    if patient_id is not None:
        patient["id"] = patient_id
    return {"patient": patient, "evaluation_time": now.isoformat().replace("+00:00", "Z"), **body}
