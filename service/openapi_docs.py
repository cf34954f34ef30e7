"""OpenAPI documentation of the bodies the service reads itself (so it can refuse hostile JSON with a 4xx):
request schemas for the components section and examples."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from engine.scenario import Scenario
from service.cds.models import CdsRequest, FeedbackRequest
from service.problems import Problem

PATIENT_ID = "example-patient"
CARDS = "x-clinrules-cards"
"""Example extension: the topics of the cards the example gives, in order (checked by the tests)."""
STATUS = "x-clinrules-status"
"""Example extension: the HTTP status the example gives when it is not 200."""


def today() -> date:
    """The day the examples are dated from (UTC)."""
    return datetime.now(UTC).date()


def _resources(day: date) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Patient, HIV, CD4 and a draft ART order, dated relative to ``day``.

    The rules look back from the time of the call (a baseline CD4 counts for 180 days before ART starts),
    so fixed dates would let a documented example silently stop producing the card it documents.
    """
    patient = {"resourceType": "Patient", "id": PATIENT_ID, "gender": "female", "birthDate": "1990-04-12"}
    hiv = {
        "resourceType": "Condition",
        "id": "hiv",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "B20"}],
            "text": "HIV disease",
        },
        "onsetDateTime": (day - timedelta(days=60)).isoformat(),
    }
    cd4 = {
        "resourceType": "Observation",
        "id": "cd4",
        "status": "final",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "24467-3"}]},
        "effectiveDateTime": (day - timedelta(days=12)).isoformat(),
        "valueQuantity": {
            "value": 42,
            "unit": "cells/uL",
            "system": "http://unitsofmeasure.org",
            "code": "/uL",
        },
    }
    draft_art = {
        "resourceType": "MedicationRequest",
        "id": "draft-dtg",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "1433868",
                    "display": "dolutegravir",
                }
            ],
            "text": "dolutegravir 50 mg tablet",
        },
    }
    return patient, hiv, cd4, draft_art


def _searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def _request_body(schema: str, examples: dict[str, Any]) -> dict[str, Any]:
    content = {"schema": {"$ref": f"#/components/schemas/{schema}"}, "examples": examples}
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


def cds_request_body(day: date | None = None) -> dict[str, Any]:
    """The documented body of a hook call, its dates relative to ``day`` (default: today)."""
    patient, hiv, cd4, draft_art = _resources(day or today())
    prefetch = {
        "patient": patient,
        "observations": _searchset(cd4),
        "conditions": _searchset(hiv),
        "medicationRequests": _searchset(),
        "medicationStatements": _searchset(),
    }
    order_sign = {
        "hook": "order-sign",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {
            "userId": "Practitioner/example",
            "patientId": PATIENT_ID,
            "draftOrders": _searchset(draft_art) | {"type": "collection"},
        },
        "prefetch": prefetch,
    }
    return _request_body(
        "CdsRequest",
        {
            "patient-view": {
                "summary": "patient-view with full prefetch: HIV, CD4 42 twelve days ago, no ART: no card",
                "value": {
                    "hook": "patient-view",
                    "hookInstance": "5b0b5e0e-7d1c-4f64-9a5e-0c7a7c6f3a10",
                    "context": {"userId": "Practitioner/example", "patientId": PATIENT_ID},
                    "prefetch": prefetch,
                },
                CARDS: [],
            },
            "order-sign": {
                "summary": "order-sign: ART being ordered with CD4 42: the iris-risk card",
                "value": order_sign,
                CARDS: ["iris-risk"],
            },
            "fetch": {
                "summary": "no prefetch: the service fetches from fhirServer if the deployment trusts it, "
                "else answers 412",
                "value": {
                    "hook": "patient-view",
                    "hookInstance": "0f0a3a55-55a4-4a4f-8f31-5c0f3d5f8f21",
                    "fhirServer": "https://ehr.example.org/fhir",
                    "fhirAuthorization": {
                        "access_token": "opaque-token",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "scope": "patient/*.read",
                        "subject": "clinrules",
                    },
                    "context": {"userId": "Practitioner/example", "patientId": PATIENT_ID},
                },
                STATUS: 412,
            },
        },
    )


def feedback_request_body() -> dict[str, Any]:
    """The documented body of a feedback call."""
    return _request_body(
        "FeedbackRequest",
        {
            "overridden": {
                "summary": "card overridden with a reason",
                "value": {
                    "feedback": [
                        {
                            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                            "outcome": "overridden",
                            "overrideReason": {
                                "reason": {
                                    "system": "urn:clinrules:override-reason",
                                    "code": "already-monitored",
                                }
                            },
                            "outcomeTimestamp": "2026-06-01T09:05:00Z",
                        }
                    ]
                },
            },
            "accepted": {
                "summary": "suggestion accepted",
                "value": {
                    "feedback": [
                        {
                            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                            "outcome": "accepted",
                            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
                            "outcomeTimestamp": "2026-06-01T09:05:00Z",
                        }
                    ]
                },
            },
        },
    )


def evaluate_request_body(day: date | None = None) -> dict[str, Any]:
    """The documented body of ``POST /evaluate``: a scenario, or a FHIR R4 Bundle (dated from ``day``)."""
    extra = Scenario.model_config.get("json_schema_extra")
    listed = extra.get("examples") if isinstance(extra, dict) else None
    scenario_example = listed[0] if isinstance(listed, list) and listed else {}
    patient, hiv, cd4, draft_art = _resources(day or today())
    schema = {
        "oneOf": [{"$ref": "#/components/schemas/Scenario"}, {"$ref": "#/components/schemas/FhirBundle"}]
    }
    content = {
        "schema": schema,
        "examples": {
            "scenario": {
                "summary": "project JSON scenario, evaluated at its own evaluation_time: iris-risk",
                "value": scenario_example,
                CARDS: ["iris-risk"],
            },
            "fhir": {
                "summary": "FHIR R4 Bundle: HIV, CD4 42, dolutegravir being ordered: iris-risk",
                "value": {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": r} for r in (patient, hiv, cd4, draft_art)],
                },
                CARDS: ["iris-risk"],
            },
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": content, "application/fhir+json": content},
        }
    }


def dated_examples(schema: dict[str, Any], day: date) -> None:
    """Re-date the request examples of an OpenAPI document in place, to ``day``."""
    paths = schema.get("paths", {})
    for path, body in (
        ("/cds-services/{service_id}", cds_request_body),
        ("/evaluate", evaluate_request_body),
    ):
        operation = paths.get(path, {}).get("post")
        if operation is not None and "requestBody" in operation:
            operation["requestBody"] = body(day)["requestBody"]


FHIR_BUNDLE_SCHEMA: dict[str, Any] = {
    "title": "FhirBundle",
    "description": "A FHIR R4 Bundle (or any one FHIR resource): Patient, Observation, Condition, "
    "MedicationRequest and MedicationStatement entries are read.",
    "type": "object",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"type": "string", "examples": ["Bundle"]},
        "type": {"type": "string"},
        "entry": {
            "type": "array",
            "items": {"type": "object", "properties": {"resource": {"type": "object"}}},
        },
    },
    "additionalProperties": True,
}

_MODELS: tuple[type[BaseModel], ...] = (CdsRequest, FeedbackRequest, Scenario, Problem)


def extra_schemas() -> dict[str, Any]:
    """Component schemas for the request bodies declared by hand."""
    schemas: dict[str, Any] = {"FhirBundle": FHIR_BUNDLE_SCHEMA}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas
