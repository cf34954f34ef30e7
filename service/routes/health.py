"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service.database import ping
from service.problems import ProblemError, problem_responses
from service.schemas import Health, Readiness
from service.state import ServiceState

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
def health() -> Health:
    """Always ``ok`` while the process serves requests."""
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Readiness: rules compiled and database reachable",
    responses=problem_responses(503),
)
def ready(request: Request) -> Readiness:
    """``ready`` when the rules are compiled and the database answers; else 503."""
    state: ServiceState | None = getattr(request.app.state, "clinrules", None)
    if state is None:
        raise ProblemError(503, "Service Unavailable", "The rules are not compiled yet.")
    if not ping(state.engine):
        raise ProblemError(503, "Service Unavailable", "The database cannot be reached.")
    return Readiness(ruleset_version=state.kb.version, rules=len(state.kb.active_rules))
