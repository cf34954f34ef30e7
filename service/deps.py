"""FastAPI dependencies, as ``Annotated`` aliases the routes declare their parameters with.

They are ``async`` because none of them blocks: a plain ``def`` dependency costs a hop to the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from service.json_body import parse_json_body
from service.problems import ProblemError
from service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The app's :class:`ServiceState` (503 while the rules are not loaded)."""
    state: ServiceState | None = getattr(request.app.state, "clinrules", None)
    if state is None:
        raise ProblemError(503, "Service Unavailable", "The rules are not loaded yet.")
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def json_body(request: Request, state: StateDep) -> Any:
    """The request body as JSON, checked for content type, depth and number range (else 400/415)."""
    body = await request.body()
    return parse_json_body(body, request.headers.get("content-type"), state.settings.max_json_depth)


JsonBody = Annotated[Any, Depends(json_body)]


async def base_url(request: Request, state: StateDep) -> str:
    """This service's external base URL: the ``public_url`` setting, else the request's."""
    configured = state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


BaseUrl = Annotated[str, Depends(base_url)]


def verify_token(request: Request, state: StateDep, base: BaseUrl) -> dict[str, Any] | None:
    """When JWT is enabled, verify the bearer token (bare 401 if bad); return its claims, else None."""
    if state.verifier is None:
        return None
    audience = (state.settings.jwt_audience or base).rstrip("/")
    path = request.url.path
    # CDS Hooks: aud is the URL of the service endpoint; a feedback call may name its service's URL.
    endpoints = {path, path.removesuffix("/feedback")}
    audiences = {audience, audience + "/", *(root + p for root in (audience, base) for p in endpoints)}
    return state.verifier.verify(request.headers.get("authorization"), sorted(audiences))


TokenClaims = Annotated[dict[str, Any] | None, Depends(verify_token)]
