"""CDS Hooks 2.0: discovery, the three hook services, and card feedback."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from engine.errors import FieldProblem
from engine.fhir import FhirImport
from service.audit import Outcome
from service.cds.evaluation import assess, evaluate, read_and_evaluate
from service.cds.fetcher import gate_for
from service.cds.medication_fetch import fetch_medications
from service.cds.models import (
    OVERRIDE_SYSTEM,
    CdsRequest,
    CdsResponse,
    Discovery,
    FeedbackRequest,
)
from service.cds.prefetch import call_deadline, resolve_prefetch
from service.cds.services import SERVICES, CdsService, prefetch_templates
from service.deps import (
    JsonBody,
    StateDep,
    TokenClaims,
    base_url,
    get_state,
    json_body,
    verify_token,
)
from service.middleware import LOG_FIELDS
from service.openapi_docs import cds_request_body, feedback_request_body
from service.patient_hash import hash_patient_id
from service.problems import ProblemError, invalid_fields, problem_responses, validation_problems
from service.responses import INLINE_MAX_BYTES, FastJSONResponse

T = TypeVar("T")
router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])
log = logging.getLogger("service.cds")


async def get_service(
    service_id: Annotated[
        str, Path(max_length=64, description="The CDS service id.", examples=["patient-view"])
    ],
) -> CdsService:
    """The CDS service named in the path (404 if there is none)."""
    service = SERVICES.get(service_id)
    if service is None:
        raise ProblemError(404, "Not Found", f"There is no CDS service '{service_id[:64]}'.")
    return service


ServiceDep = Annotated[CdsService, Depends(get_service)]


def _validate(model: Any, data: Any, prefix: tuple[str, ...] = ()) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": (*prefix, *e["loc"])} for e in exc.errors()]
        raise invalid_fields(validation_problems(errors)) from None


@router.get("", response_model=Discovery, response_model_exclude_none=True, summary="CDS Hooks discovery")
async def discovery(state: StateDep) -> Discovery:
    """The services this server offers, one per hook, each with its prefetch templates."""
    templates = prefetch_templates(state.kb.value_sets)
    return Discovery(services=[s.definition(templates) for s in SERVICES.values()])


@router.post(
    "/{service_id}",
    response_model=CdsResponse,
    response_model_exclude_none=True,
    summary="Call a CDS service (patient-view, order-select, order-sign)",
    responses=problem_responses(400, 401, 404, 412, 413, 415, 422, 500),
    openapi_extra=cds_request_body(),
)
async def call_service(
    service_id: Annotated[
        str, Path(max_length=64, description="The CDS service id.", examples=["patient-view"])
    ],
    http: Request,
) -> FastJSONResponse:
    """Evaluate the patient in ``prefetch`` (fetched from ``fhirServer`` when missing) and return cards.

    Orders in ``context.draftOrders`` count as being ordered now. Cards come most urgent first; a card
    with an action (such as removing a draft thalidomide-class order) has ``selectionBehavior``.
    """
    # The hottest route resolves what other routes declare as dependencies itself, in the same order
    # (service, token, body): FastAPI's dependency solving cost more CPU per call than the rules did.
    service = await get_service(service_id)
    state = await get_state(http)
    claims = await verify_token(http, state)
    body = await json_body(http, state)
    base = await base_url(http, state)
    start = time.perf_counter()
    now = datetime.now(state.evaluator.settings.time_zone)  # the clinic's zone: days are counted in it
    request: CdsRequest = _validate(CdsRequest, body)
    if request.hook != service.hook:
        raise invalid_fields(
            [FieldProblem("hook", f"this service answers '{service.hook}', not '{request.hook[:64]}'")]
        )
    context = _validate(service.context_model, request.context, ("context",))
    # Fetching is awaited here, on the event loop, so a slow FHIR server holds no worker thread.
    claimed = claims.get("iss") if claims else None
    issuer = claimed if isinstance(claimed, str) else None
    gate = gate_for(http.app.state, state.settings.fhir_max_concurrent_fetches)
    deadline = call_deadline(state.settings)  # one fetch deadline for the whole call
    resources, fetched = await resolve_prefetch(
        request,
        prefetch_templates(state.kb.value_sets),
        state.settings,
        gate=gate,
        issuer=issuer,
        deadline=deadline,
    )
    # The evaluation is CPU work: a thread gains nothing under the GIL but costs two hops, so a small
    # prefetch is evaluated here; a large one (or fetched data, of any size) goes to the thread pool,
    # where the event loop still gets its turns (health probes, other connections).
    threaded = bool(fetched) or len(await http.body()) > INLINE_MAX_BYTES
    server = str(request.fhirServer) if request.fhirServer is not None else None
    assessed = await _in_thread(threaded, assess, service, context, resources, state, base, now, server)
    if isinstance(assessed, FhirImport):
        # Orders naming their drug by a Medication the request lacks, on fhirServer: fetched, then the
        # record read again with them (else evaluated as read, each such order noted).
        medications = await fetch_medications(
            request,
            assessed.unresolved_references,
            state.settings,
            gate=gate,
            deadline=deadline,
            issuer=issuer,
        )
        if medications:
            resources = {**resources, **medications}  # keyed "Medication/id": never a template key
            fetched = [*fetched, *medications]
            outcome = await run_in_threadpool(
                read_and_evaluate, service, context, resources, state, base, now
            )
        else:
            outcome = await _in_thread(threaded, evaluate, service, context, assessed, state, base, now)
    else:
        outcome = assessed
    # The audit record is awaited, not waited for in a thread: durable before the answer leaves.
    await state.audit.record_evaluation_async(
        service=service.id,
        hook=service.hook,
        hook_instance=str(request.hookInstance),
        ruleset_version=outcome.ruleset_version,
        topics=outcome.topics,
        latency_ms=(time.perf_counter() - start) * 1000,
        patient_hash=hash_patient_id(context.patientId, state.salt),
        cards=outcome.issued,
        shadow_topics=outcome.shadow_topics,
    )
    state.metrics.evaluations.labels(service.id).inc()
    for topic, indicator in outcome.counted:
        state.metrics.cards.labels(service.id, topic, indicator).inc()
    http.scope[LOG_FIELDS] = {  # on the request's one access log line
        "service": service.id,
        "hook_instance": str(request.hookInstance),
        "cards": len(outcome.issued),
        "fetched": fetched,
        "notes": outcome.notes,
    }
    return FastJSONResponse({"cards": outcome.cards})


async def _in_thread(threaded: bool, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in the thread pool when ``threaded``, else here on the event loop."""
    return await run_in_threadpool(work, *args) if threaded else work(*args)


@router.post(
    "/{service_id}/feedback",
    summary="Feedback on cards: accepted or overridden",
    responses={
        200: {"description": "Stored", "content": {"application/json": {"example": {"stored": 1}}}},
        **problem_responses(400, 401, 404, 413, 415, 422),
    },
    openapi_extra=feedback_request_body(),
)
def feedback(service: ServiceDep, claims: TokenClaims, body: JsonBody, state: StateDep) -> dict[str, int]:
    """Store each card's outcome (accepted suggestions, or the override reason) for the audit.

    Every card must have been issued by this service; suggestion ids and override reason codes must be
    the card's own. All items are stored, or none. A free-text ``userComment`` is not stored (it may
    hold patient data); only that one was given.
    """
    data: FeedbackRequest = _validate(FeedbackRequest, body)
    outcomes: list[Outcome] = []
    for i, item in enumerate(data.feedback):
        card = state.audit.find_card(str(item.card))
        if card is None or card.service != service.id:
            raise ProblemError(
                404, "Not Found", f"feedback.{i}.card: no card {item.card} was issued by {service.id}."
            )
        problems = [
            FieldProblem(f"feedback.{i}.acceptedSuggestions.{m}.id", "not a suggestion of this card")
            for m, accepted in enumerate(item.acceptedSuggestions)
            if accepted.id not in card.suggestion_uuids
        ]
        # CDS Hooks lets the client offer override reasons of its own (in its own code system): those are
        # kept as given; a code in this service's system must be one the card offered.
        reason = item.overrideReason.reason if item.overrideReason else None
        if (
            reason is not None
            and reason.system in (None, OVERRIDE_SYSTEM)
            and reason.code not in card.override_codes
        ):
            problems.append(
                FieldProblem(
                    f"feedback.{i}.overrideReason.reason.code", "not an override reason of this card"
                )
            )
        if problems:
            raise invalid_fields(problems)
        outcomes.append(
            Outcome(
                card=card,
                outcome=item.outcome,
                accepted_suggestions=[s.id for s in item.acceptedSuggestions],
                override_system=(reason.system or OVERRIDE_SYSTEM) if reason is not None else None,
                override_code=reason.code if reason is not None else None,
                has_user_comment=bool(item.overrideReason and item.overrideReason.userComment),
                outcome_timestamp=item.outcomeTimestamp,
            )
        )
    state.audit.record_feedback(service.id, outcomes)
    for stored in outcomes:
        state.metrics.feedback.labels(stored.card.topic, stored.outcome).inc()
    return {"stored": len(data.feedback)}
