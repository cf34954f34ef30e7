"""Named patients for per-call CPU figures: the 40-resource patient-view patient and a few other paths.

The 40-resource patient is the one the HTTP benchmarks send (``_patient_view.patient_view_request``), read
through the FHIR intake as the service reads it; the others are the project's JSON and take other paths
through derivation and the rules (pregnancy and a thalidomide-class order, no HIV, an ART start).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from _patient_view import KEYS, patient_view_request

from engine.fhir import scenario_from_resources
from engine.scenario import Scenario


def _day(now: datetime, days_ago: int) -> str:
    return (now - timedelta(days=days_ago)).date().isoformat()


def patient_view(now: datetime) -> Scenario:
    """The 40-resource patient-view patient (HIV, 40 days into ART, new TB: IRIS suspected)."""
    body, count = patient_view_request("bench-patient-1", KEYS)
    assert count == 40
    prefetch = body["prefetch"]
    resources = [prefetch["patient"]] + [
        entry["resource"] for key in list(KEYS.values())[1:] for entry in prefetch[key]["entry"]
    ]
    return scenario_from_resources(resources, [], evaluation_time=now).scenario


def _native(now: datetime, data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate({**data, "evaluation_time": now.isoformat()})


def pregnant_thalidomide(now: datetime) -> Scenario:
    """Pregnant, POEMS, not a transplant candidate, thalidomide being ordered: the critical safety path."""
    return _native(
        now,
        {
            "patient": {"birth_date": "1997-02-11", "sex": "female"},
            "conditions": [
                {"code": "Z34.01", "onset": _day(now, 70)},
                {"text": "POEMS syndrome", "onset": _day(now, 200)},
                {"code": "G62.9", "onset": _day(now, 150)},
            ],
            "observations": [
                {"kind": "transplant-ineligible", "time": _day(now, 30), "value": True},
                {"kind": "egfr", "time": _day(now, 20), "value": 71, "unit": "mL/min/{1.73_m2}"},
            ],
            "medications": [{"ingredient": "thalidomide", "status": "draft", "draft": True}],
        },
    )


def no_hiv(now: datetime) -> Scenario:
    """Diabetes and hypertension, routine medicines and labs: no rule fires."""
    return _native(
        now,
        {
            "patient": {"birth_date": "1961-08-30", "sex": "male"},
            "conditions": [
                {"code": "E11.9", "onset": _day(now, 2000)},
                {"code": "I10", "onset": _day(now, 1500)},
            ],
            "observations": [
                {"kind": "egfr", "time": _day(now, d), "value": 64 + d % 7, "unit": "mL/min/{1.73_m2}"}
                for d in (400, 200, 30)
            ],
            "medications": [
                {"ingredient": "metformin", "start": _day(now, 2000)},
                {"ingredient": "amlodipine", "start": _day(now, 1500)},
            ],
        },
    )


def art_start(now: datetime) -> Scenario:
    """HIV with a CD4 of 42, cryptococcal meningitis 10 days ago, ART being ordered now."""
    return _native(
        now,
        {
            "patient": {"birth_date": "1988-05-02", "sex": "male"},
            "conditions": [
                {"code": "B20", "onset": _day(now, 30)},
                {"code": "B45.1", "onset": _day(now, 10)},
            ],
            "observations": [
                {"kind": "cd4", "time": _day(now, 12), "value": 42, "unit": "cells/uL"},
                {"kind": "viral-load", "time": _day(now, 12), "value": 180000, "unit": "copies/mL"},
            ],
            "medications": [
                {"ingredient": "dolutegravir", "status": "draft", "draft": True},
                {"ingredient": "fluconazole", "start": _day(now, 10)},
            ],
        },
    )


PATIENTS = {
    "patient-view, 40 FHIR resources": patient_view,
    "pregnant, POEMS, thalidomide ordered": pregnant_thalidomide,
    "no HIV, routine": no_hiv,
    "ART start, cryptococcal meningitis": art_start,
}
"""Label -> how to build the patient at an evaluation time."""


def build(now: datetime | None = None) -> dict[str, Scenario]:
    """Every named patient, as it stands at ``now``."""
    at = now or datetime.now(UTC)
    return {label: make(at) for label, make in PATIENTS.items()}
