"""The scenarios the playground's round-trip tests read and refuse (for test_playground_roundtrip.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "service" / "static" / "examples"
NATIVE_EXAMPLES = ["iris-risk", "thalidomide-pregnancy"]

# Every field of the form filled, written as a person (or another tool) might write it.
EVERYTHING: dict[str, Any] = {
    "evaluation_time": "2026-06-01T12:00:00Z",
    "patient": {"birth_date": "1990-02-28", "sex": "female"},
    "observations": [
        {"kind": "egfr", "time": "2026-05-02", "value": 27.5, "unit": "mL/min/1.73m2"},
        {"kind": "pregnancy-status", "time": "2026-05-30", "value": "not-pregnant"},
        {"kind": "reproductive-potential", "time": "2026-06-01", "value": True},
        {"kind": "cd4", "time": "2026-01-10", "value": 180, "unit": "cells/uL"},
        {"kind": "cd4", "time": "2026-05-20T00:00:00Z", "value": 42},
        {"kind": "viral-load", "time": "2026-01-10", "value": 150000, "unit": "copies/mL"},
        {"kind": "viral-load", "time": "2026-05-20", "value": 20, "unit": "copies/mL", "comparator": "<"},
        {"kind": "iris-steroid-refractory", "time": "2026-06-01", "value": True},
        {"kind": "iris-steroid-dependent", "time": "2026-06-01T00:00:00+00:00", "value": True},
        {"kind": "transplant-ineligible", "time": "2026-06-01", "value": True},
        {"kind": "pain-refractory", "time": "2026-06-01", "value": True},
        {"kind": "egfr", "time": "2026-05-30", "value": 24, "unit": None, "comparator": None},
        {"kind": "egfr", "time": "2026-01-10", "value": 90, "unit": "mL/min/1.73m2", "comparator": ">"},
    ],
    "conditions": [
        {"code": "B20", "onset": "2025-11-01"},
        {"code": "A15.0", "text": "Pulmonary tuberculosis", "status": "resolved", "onset": "2024-03-01"},
        {"text": "POEMS syndrome", "onset": "2026-01-10"},
        {"code": "N18.5", "status": "relapse", "system": "icd10cm", "codings": []},
        {"code": "B20", "text": "HIV disease", "status": "active"},
    ],
    "medications": [
        {"ingredient": "thalidomide", "status": "draft"},
        {"ingredient": "dolutegravir", "status": "active", "start": "2026-01-15", "draft": False},
        {"ingredient": "prednisone", "status": "stopped", "start": "2026-02-01", "end": "2026-03-01"},
        {"ingredient": "lamivudine"},
    ],
}


def _with_observation(kind: str, time: str = "2026-05-01", value: Any = 12, **more: Any) -> dict[str, Any]:
    """EVERYTHING's first three observations, then this one (``observations[3]``)."""
    extra = {"kind": kind, "time": time, "value": value, **more}
    return {**EVERYTHING, "observations": [*EVERYTHING["observations"][:3], extra]}


def _comparators(kind: str, comparators: str, records: str) -> list[tuple[dict[str, Any], list[str]]]:
    """A ``kind`` result with each of ``comparators`` (none the form shows), and the status's words for it."""
    named = "observations[3].comparator ({}: the form records {})"
    return [(_with_observation(kind, comparator=c), [named.format(c, records)]) for c in comparators.split()]


DECLINED = [
    (_with_observation("hemoglobin"), ["observations[3] (kind hemoglobin)"]),
    ({**EVERYTHING, "encounter": {"id": "e1"}}, ["encounter (the form has no field for it)"]),
    ({**EVERYTHING, "patient": {"id": "p-7", "sex": "female"}}, ["patient.id"]),
    (
        {**EVERYTHING, "conditions": [{"code": "38341003", "system": "snomed"}]},
        ["conditions[0].system (snomed: the form takes ICD-10-CM codes)"],
    ),
    (
        {**EVERYTHING, "medications": [{"ingredient": "thalidomide", "code": "10432", "days_supply": 28}]},
        ["medications[0].code", "medications[0].days_supply"],
    ),
    (_with_observation("cd4", time="2026-05-01T08:30:00Z"), ["observations[3].time (a time of day"]),
    *_comparators("egfr", "< <= >=", 'only ">", for an eGFR above the reporting limit'),
    *_comparators("viral-load", "> <= >=", 'only "<", for a viral load below the detection limit'),
    *_comparators("cd4", "< <= > >=", "a CD4 count without a comparator"),
    (_with_observation("cd4", value=0.04, unit="10*9/L"), ["observations[3].unit (10*9/L"]),
    (_with_observation("pain-refractory", time="2026-06-01", value=False), ["observations[3].value"]),
    (_with_observation("pain-refractory", time="2026-04-01", value=True), ["observations[3].time"]),
    (json.loads((EXAMPLES / "fhir-bundle.json").read_text())["scenario"], ["FHIR Bundle"]),
    ("{not json", ["not valid"]),
    ("[1, 2]", ["not a scenario object"]),
]  # fmt: skip
