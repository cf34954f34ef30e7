"""``POST /evaluate``: a scenario in the project's JSON, or a FHIR R4 Bundle, in; findings out."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BeforeValidator

from engine.fhir import looks_like_fhir, scenario_from_bundle
from engine.scenario import Scenario, in_range
from engine.validation import scenario_with_notes
from service.deps import JsonBody, StateDep, TokenClaims
from service.openapi_docs import evaluate_request_body
from service.patient_hash import hash_patient_id
from service.problems import problem_responses
from service.responses import INLINE_MAX_BYTES, model_response
from service.schemas import EvaluateResponse
from service.state import ServiceState


def _iso_text(value: Any) -> Any:
    """Only ISO 8601 text is a time here: a bare number (``?at=0``) would be read as seconds since 1970."""
    if not isinstance(value, str):
        return value
    try:
        float(value)
    except ValueError:
        return value
    raise ValueError("must be an ISO 8601 date-time, such as 2026-06-01T09:00:00Z")


EvaluationTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(in_range)]

router = APIRouter(tags=["evaluate"])


@router.post(
    "/evaluate",
    response_model=EvaluateResponse,
    summary="Evaluate a patient scenario (project JSON or a FHIR R4 Bundle)",
    responses=problem_responses(400, 401, 413, 415, 422, 500),
    openapi_extra=evaluate_request_body(),
)
async def evaluate(
    claims: TokenClaims,
    body: JsonBody,
    state: StateDep,
    http: Request,
    at: Annotated[
        EvaluationTime | None,
        Query(description="Evaluation time (ISO 8601); default: the scenario's, else now."),
    ] = None,
) -> Response:
    """Evaluate the posted scenario and return every finding, with the reasons and the evidence.

    A body with a ``resourceType`` is read as FHIR R4 (a Bundle, or one resource); anything else as the
    project's scenario JSON. ``notes`` lists data that was left out (FHIR data the rules cannot use, an
    observation in a unit that cannot be converted), and why.
    """
    start = time.perf_counter()
    # CPU work: on the event loop for a small body, in the thread pool for a large one (see responses.py).
    if len(await http.body()) > INLINE_MAX_BYTES:
        response, patient_id, shadow = await run_in_threadpool(_evaluate, body, state, at)
    else:
        response, patient_id, shadow = _evaluate(body, state, at)
    await state.audit.record_evaluation_async(
        service="evaluate",
        hook=None,
        hook_instance=None,
        ruleset_version=response.ruleset_version,
        topics=response.topics,
        latency_ms=(time.perf_counter() - start) * 1000,
        patient_hash=hash_patient_id(patient_id, state.salt),
        finding_count=len(response.findings),
        shadow_topics=shadow,
    )
    state.metrics.evaluations.labels("evaluate").inc()
    for finding in response.findings:
        state.metrics.cards.labels("evaluate", finding.topic, finding.indicator.value).inc()
    return model_response(response)


def _evaluate(
    body: Any, state: ServiceState, at: datetime | None
) -> tuple[EvaluateResponse, str | None, list[str]]:
    """Read the scenario (FHIR or the project's JSON) and evaluate it.

    Returns the answer, the patient's id and the shadow rules' topics (audited, never answered).
    """
    notes: list[str] = []
    patient_id: str | None
    if looks_like_fhir(body):
        imported = scenario_from_bundle(body, evaluation_time=at, value_sets=state.kb.value_sets).checked()
        scenario: Scenario = imported.scenario
        notes = list(imported.notes)
        patient_id = imported.patient_id
        input_format: Any = "fhir"
    else:
        scenario, notes = scenario_with_notes(body, state.kb.value_sets)
        patient_id = scenario.patient.id
        input_format = "scenario"
    evaluation = state.evaluator.evaluate(scenario, at)
    response = EvaluateResponse(
        **{**evaluation.model_dump(), "notes": [*evaluation.notes, *notes]}, input_format=input_format
    )
    return response, patient_id, list(evaluation.shadow_topics)
