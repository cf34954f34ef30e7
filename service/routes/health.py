"""Liveness and readiness.

Both are ``async`` and never wait for the shared thread pool, so they answer while every worker thread
is busy (or while many calls wait on a slow FHIR server): the readiness database ping runs in a thread
of its own small pool, with a deadline.
"""

from __future__ import annotations

import asyncio
import weakref

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request

from service.database import ping
from service.problems import ProblemError, problem_responses
from service.schemas import Health, Readiness
from service.state import ServiceState

router = APIRouter(tags=["health"])
PING_DEADLINE_SECONDS = 1.5
_PING_THREADS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _ping_threads() -> anyio.CapacityLimiter:
    """The readiness pings' own few threads (one limiter per event loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _PING_THREADS:
        _PING_THREADS[loop] = anyio.CapacityLimiter(4)
    return _PING_THREADS[loop]


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
async def health() -> Health:
    """Always ``ok`` while the process serves requests."""
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Readiness: rules compiled and database reachable",
    responses=problem_responses(503),
)
async def ready(request: Request) -> Readiness:
    """``ready`` when the rules are compiled and the database answers (within 1.5 s); else 503."""
    state: ServiceState | None = getattr(request.app.state, "clinrules", None)
    if state is None:
        raise ProblemError(503, "Service Unavailable", "The rules are not compiled yet.")
    answered = False
    with anyio.move_on_after(PING_DEADLINE_SECONDS):
        answered = await anyio.to_thread.run_sync(
            ping, state.engine, abandon_on_cancel=True, limiter=_ping_threads()
        )
    if not answered:
        raise ProblemError(503, "Service Unavailable", "The database cannot be reached.")
    return Readiness(ruleset_version=state.kb.version, rules=len(state.kb.active_rules))
