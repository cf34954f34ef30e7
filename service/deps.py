"""FastAPI dependencies, as ``Annotated`` aliases the routes declare their parameters with.

They are ``async``: a plain ``def`` dependency costs a hop to the thread pool on every request; the one
that may block (JWT verification) hops only when JWT is enabled.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from service.json_body import parse_json_body, require_json_content_type
from service.problems import ProblemError
from service.security import audiences_for, local_base_url
from service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The app's :class:`ServiceState` (503 while the rules are not loaded)."""
    state: ServiceState | None = getattr(request.app.state, "clinrules", None)
    if state is None:
        raise ProblemError(503, "Service Unavailable", "The rules are not loaded yet.")
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def json_body(request: Request, state: StateDep) -> Any:
    """The request body as JSON: a JSON content type is required (else 415); depth, numbers, text checked."""
    require_json_content_type(request.headers.get("content-type"))
    body = await request.body()
    return parse_json_body(body, request.headers.get("content-type"), state.settings.max_json_depth)


JsonBody = Annotated[Any, Depends(json_body)]


async def base_url(request: Request, state: StateDep) -> str:
    """This service's external base URL, for links: the ``public_url`` setting.

    Without it, the address the connection arrived at (the socket's, never the ``Host`` header, which the
    caller writes): right for a service used on this machine, wrong behind a proxy.
    """
    configured = state.settings.public_url
    if configured:
        return configured.rstrip("/")
    return local_base_url(request.scope)


BaseUrl = Annotated[str, Depends(base_url)]


async def verify_token(request: Request, state: StateDep) -> dict[str, Any] | None:
    """When JWT is enabled, verify the bearer token (bare 401 if bad); return its claims, else None.

    ``aud`` must be the configured audience (``jwt_audience``, else ``public_url``) or this endpoint's URL
    under it; settings refuse JWT without one of them. Verification may fetch keys and records the token
    id in the database, so it runs in the thread pool; without JWT there is nothing to wait for.
    """
    verifier = state.verifier
    if verifier is None:
        return None
    configured = state.settings.jwt_audience or state.settings.public_url or ""
    audiences = audiences_for(configured, request.url.path)
    return await run_in_threadpool(verifier.verify, request.headers.get("authorization"), audiences)


TokenClaims = Annotated[dict[str, Any] | None, Depends(verify_token)]
