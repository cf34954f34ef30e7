"""The benchmark's CDS Hooks patient-view request: a Patient and four search Bundles, about 40 resources."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

JSON = dict[str, Any]
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
KEYS = {
    "Patient": "patient",
    "Observation": "observations",
    "Condition": "conditions",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
}
"""Resource type -> prefetch key as discovery names them, for the benchmarks that skip discovery."""
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _day(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()


def _observation(i: int, pid: str, code: str, days_ago: int, value: float, unit: str, ucum: str) -> JSON:
    return {
        "resourceType": "Observation",
        "id": f"obs-{i}",
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": _day(days_ago),
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": ucum},
    }


def _condition(i: int, pid: str, code: str, text: str, days_ago: int, status: str = "active") -> JSON:
    return {
        "resourceType": "Condition",
        "id": f"cond-{i}",
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
        "code": {"coding": [{"system": ICD10, "code": code}], "text": text},
        "onsetDateTime": _day(days_ago),
    }


def _med(kind: str, i: int, pid: str, text: str, days_ago: int, status: str = "active") -> JSON:
    resource: JSON = {
        "resourceType": kind,
        "id": f"med-{kind[10:].lower() or 'r'}-{i}",
        "status": status,
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": {"text": text},
    }
    if kind == "MedicationRequest":
        resource |= {"intent": "order", "authoredOn": _day(days_ago)}
    else:
        resource["effectivePeriod"] = {"start": _day(days_ago)}
    return resource


def _bundle(resources: list[JSON]) -> JSON:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def patient_view_request(pid: str, keys: dict[str, str], older_visits: int = 0) -> tuple[JSON, int]:
    """A patient-view call for an HIV patient 40 days into ART with a new TB diagnosis (IRIS suspected).

    ``keys`` maps resource type to the prefetch key discovery gave for it; ``older_visits`` adds a CD4 count
    and a viral load every 90 days before the first year (a longer history: 33 visits give 106 resources,
    37 kB). Returns the body and the number of FHIR resources in its prefetch.
    """
    obs: list[JSON] = []
    for n, days in enumerate((400, 300, 200, 120, 60, 45, 20, 5)):
        obs.append(
            _observation(
                len(obs), pid, "24467-3", days, (38, 45, 41, 52, 61, 35, 160, 210)[n], "cells/uL", "/uL"
            )
        )
        obs.append(
            _observation(
                len(obs),
                pid,
                "20447-9",
                days,
                (250000, 310000, 180000, 220000, 260000, 240000, 900, 40)[n],
                "copies/mL",
                "{copies}/mL",
            )
        )
    for days in (400, 300, 200, 120, 60, 5):
        obs.append(_observation(len(obs), pid, "33914-3", days, 88, "mL/min/1.73m2", "mL/min/{1.73_m2}"))
    for visit in range(older_visits):
        days = 490 + 90 * visit
        obs.append(_observation(len(obs), pid, "24467-3", days, 300 - visit * 7, "cells/uL", "/uL"))
        load = 20000 + 500 * visit
        obs.append(_observation(len(obs), pid, "20447-9", days, load, "copies/mL", "{copies}/mL"))
    conditions = [
        _condition(0, pid, "B20", "HIV disease", 420),
        _condition(1, pid, "A15.0", "Pulmonary tuberculosis", 20),
        _condition(2, pid, "B37.0", "Oral candidiasis", 400, "resolved"),
        _condition(3, pid, "E11.9", "Type 2 diabetes", 2000),
        _condition(4, pid, "I10", "Hypertension", 1500),
        _condition(5, pid, "J45.909", "Asthma", 3000),
        _condition(6, pid, "K21.9", "Reflux", 900, "inactive"),
        _condition(7, pid, "F32.9", "Depression", 700),
    ]
    requests = [
        _med("MedicationRequest", 0, pid, "dolutegravir 50 MG Oral Tablet", 40),
        _med("MedicationRequest", 1, pid, "emtricitabine / tenofovir alafenamide 200/25 mg", 40),
        _med("MedicationRequest", 2, pid, "rifampicin 600 MG", 25),
        _med("MedicationRequest", 3, pid, "isoniazid 300 MG", 25),
        _med("MedicationRequest", 4, pid, "prednisone 40 MG", 10),
        _med("MedicationRequest", 5, pid, "cotrimoxazole 960 MG", 60),
    ]
    statements = [
        _med("MedicationStatement", 0, pid, "metformin 500 MG", 2000),
        _med("MedicationStatement", 1, pid, "amlodipine 5 MG", 1500),
        _med("MedicationStatement", 2, pid, "salbutamol inhaler", 3000),
    ]
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1979-06-14"}
    by_type = {
        "Observation": obs,
        "Condition": conditions,
        "MedicationRequest": requests,
        "MedicationStatement": statements,
    }
    prefetch: JSON = {keys["Patient"]: patient}
    for rtype, resources in by_type.items():
        if rtype in keys:
            prefetch[keys[rtype]] = _bundle(resources)
    count = 1 + sum(len(r) for t, r in by_type.items() if t in keys)
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": pid},
        "prefetch": prefetch,
    }
    return body, count


def prefetch_keys(discovery: JSON, service_id: str = "patient-view") -> dict[str, str]:
    """Resource type -> prefetch key, read from the discovery document's templates."""
    service = next(s for s in discovery["services"] if s["id"] == service_id)
    keys: dict[str, str] = {}
    for key, template in service.get("prefetch", {}).items():
        rtype = template.split("?", 1)[0].split("/", 1)[0]
        keys.setdefault(rtype, key)
    return keys
