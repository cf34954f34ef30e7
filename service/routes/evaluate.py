"""``POST /evaluate``: a scenario in the project's JSON, or a FHIR R4 Bundle, in; findings out."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine.fhir import looks_like_fhir, scenario_from_bundle
from engine.scenario import Scenario
from engine.validation import parse_scenario
from service.deps import JsonBody, StateDep, TokenClaims
from service.openapi_docs import evaluate_request_body
from service.patient_hash import hash_patient_id
from service.problems import problem_responses
from service.schemas import EvaluateResponse

router = APIRouter(tags=["evaluate"])


@router.post(
    "/evaluate",
    response_model=EvaluateResponse,
    summary="Evaluate a patient scenario (project JSON or a FHIR R4 Bundle)",
    responses=problem_responses(400, 401, 413, 415, 422, 500),
    openapi_extra=evaluate_request_body(),
)
def evaluate(
    claims: TokenClaims,
    body: JsonBody,
    state: StateDep,
    at: Annotated[
        datetime | None, Query(description="Evaluation time (ISO 8601); default: the scenario's, else now.")
    ] = None,
) -> EvaluateResponse:
    """Evaluate the posted scenario and return every finding, with the reasons and the evidence.

    A body with a ``resourceType`` is read as FHIR R4 (a Bundle, or one resource); anything else as the
    project's scenario JSON. ``notes`` lists FHIR data that was left out, and why.
    """
    start = time.perf_counter()
    notes: list[str] = []
    patient_id: str | None
    if looks_like_fhir(body):
        imported = scenario_from_bundle(body, evaluation_time=at).checked()
        scenario: Scenario = imported.scenario
        notes = list(imported.notes)
        patient_id = imported.patient_id
        input_format: Any = "fhir"
    else:
        scenario = parse_scenario(body)
        patient_id = scenario.patient.id
        input_format = "scenario"
    evaluation = state.evaluator.evaluate(scenario, at)
    response = EvaluateResponse(
        **{**evaluation.model_dump(), "notes": [*evaluation.notes, *notes]}, input_format=input_format
    )
    state.audit.record_evaluation(
        service="evaluate",
        hook=None,
        hook_instance=None,
        ruleset_version=evaluation.ruleset_version,
        topics=evaluation.topics,
        latency_ms=(time.perf_counter() - start) * 1000,
        patient_hash=hash_patient_id(patient_id, state.salt),
        finding_count=len(evaluation.findings),
        shadow_topics=evaluation.shadow_topics,
    )
    state.metrics.evaluations.labels("evaluate").inc()
    for finding in evaluation.findings:
        state.metrics.cards.labels("evaluate", finding.topic, finding.indicator.value).inc()
    return response
