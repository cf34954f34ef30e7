"""Builders of FHIR R4 resources for the intake tests, and the fixtures they read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from engine import Evaluator, load_knowledge_base
from engine.fhir import FhirImport, scenario_from_resources

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
ASSESSMENT = "urn:clinrules:assessment"
AT = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)

Resource = dict[str, Any]


def fixture(name: str) -> Resource:
    data: Resource = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@cache
def evaluator() -> Evaluator:
    return Evaluator(load_knowledge_base())


def patient(pid: str = "p1", **extra: Any) -> Resource:
    return {"resourceType": "Patient", "id": pid, **extra}


def observation(
    oid: str,
    code: str,
    *,
    system: str = LOINC,
    when: str | None = "2026-05-01T08:00:00Z",
    status: str = "final",
    **value: Any,
) -> Resource:
    resource: Resource = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": {"coding": [{"system": system, "code": code}]},
        **value,
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    return resource


def quantity(value: Any, code: str | None = None, unit: str | None = None, **extra: Any) -> Resource:
    q: Resource = {"value": value, **extra}
    if code is not None:
        q["code"] = code
        q.setdefault("system", UCUM)
    if unit is not None:
        q["unit"] = unit
    return {"valueQuantity": q}


def cd4(oid: str, value: Any, code: str | None = "/uL", unit: str | None = None, **kw: Any) -> Resource:
    return observation(oid, "24467-3", **quantity(value, code, unit), **kw)


def condition(
    cid: str,
    codings: Sequence[tuple[str, str, str | None]] = (),
    *,
    text: str | None = None,
    clinical: str | None = "active",
    verification: str | None = None,
    **extra: Any,
) -> Resource:
    code: Resource = {}
    if codings:
        code["coding"] = [{"system": s, "code": c, **({"display": d} if d else {})} for s, c, d in codings]
    if text:
        code["text"] = text
    resource: Resource = {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "code": code,
        **extra,
    }
    if clinical:
        resource["clinicalStatus"] = {"coding": [{"code": clinical}]}
    if verification:
        resource["verificationStatus"] = {"coding": [{"code": verification}]}
    return resource


def med_request(
    mid: str,
    text: str | None = None,
    *,
    rxnorm: tuple[str, str | None] | None = None,
    status: str = "active",
    intent: str = "order",
    **extra: Any,
) -> Resource:
    concept: Resource = {}
    if rxnorm:
        coding: Resource = {"system": RXNORM, "code": rxnorm[0]}
        if rxnorm[1]:
            coding["display"] = rxnorm[1]
        concept["coding"] = [coding]
    if text:
        concept["text"] = text
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": intent,
        "subject": {"reference": "Patient/p1"},
        **extra,
    }
    if concept:
        resource["medicationCodeableConcept"] = concept
    return resource


def bundle(*resources: Resource, **extra: Any) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
        **extra,
    }


def read(*resources: Any, drafts: tuple[Resource, ...] = ()) -> FhirImport:
    return scenario_from_resources(list(resources), draft_orders=drafts)
