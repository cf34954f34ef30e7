"""The service's one ASGI middleware: security headers, a last-resort 500, the request body's size and time
limits (413, 408), and per-request metrics and one JSON access log line.

One pure-ASGI layer rather than four: each layer costs a coroutine call and a ``send`` wrapper per message.

Access logs carry the method, the route *template* (never the raw path or query string), the status
and the duration: no tokens, no patient data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics import Metrics

access_log = logging.getLogger("service.access")
error_log = logging.getLogger("service.errors")

# The page (/ui) loads its script, style and data from this origin only, and never inline.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# /docs: Swagger UI, served by the service itself; it sets inline styles and shows data: images.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; worker-src blob:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


async def _send_problem(send: Send, status: int, title: str, detail: str, path: str, type_: str) -> None:
    body = json.dumps(
        {
            "type": type_,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


TOO_LARGE = "urn:clinrules:problem:too-large"
LOG_FIELDS = "clinrules.log"
"""Scope key under which a route leaves extra fields for the request's access log line (a dict)."""
CLIENT_CLOSED = 499
"""The status recorded (never sent) when the client went away before its body was read (nginx's code)."""
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
"""Methods named as such in metrics and logs; any other token (HTTP allows any) is ``other``, so that a
client inventing methods cannot add label values (memory, scrape size) or long log lines without end."""


class ServiceMiddleware:
    """Around every HTTP request, outermost first (CORS, when configured, wraps it):

    * every answer carries a Content-Security-Policy, frame denial, ``nosniff`` and a referrer policy;
    * the request is counted, timed into a histogram and logged as one structured line (method, route
      *template*, status, duration, and what the route added under ``scope[LOG_FIELDS]``);
    * an exception no handler took becomes a bare 500 problem, logged by its type only (Starlette's own
      last resort re-raises to the server, which logs the traceback, and a traceback can quote request
      data: a patient id, a token);
    * bodies larger than ``max_bytes`` are refused with 413 (by Content-Length or while streaming), and
      bodies not received within ``timeout_seconds`` with 408 (a client trickling its body holds a
      connection), before any work.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, max_bytes: int, timeout_seconds: float = 30.0) -> None:
        self.app = app
        self.metrics = metrics
        self.max_bytes = max_bytes
        self.timeout = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False
        path = str(scope.get("path", ""))
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        reached_app = False
        try:
            replay = await self._receive_body(scope, receive, send_wrapper)
            if replay is None and not started:
                status = CLIENT_CLOSED  # no answer was sent: not a server error
            if replay is not None:
                reached_app = True
                await self.app(scope, replay, send_wrapper)
        except Exception as exc:
            error_log.error(
                "unhandled error", extra={"error_type": type(exc).__name__, "route": _route_template(scope)}
            )
            if not started:
                await _send_problem(
                    send_wrapper,
                    500,
                    "Internal Server Error",
                    "The service failed to handle this request.",
                    path,
                    "about:blank",
                )
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope) if reached_app else _route_before_routing(scope)
            method = str(scope.get("method", ""))
            method = method if method in METHODS else "other"
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            fields: dict[str, Any] = {
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
            }
            added = scope.get(LOG_FIELDS)
            if isinstance(added, dict):
                fields.update(added)
            access_log.info("request", extra=fields)

    async def _receive_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Read the whole body (bounded in size and time) and return a ``receive`` that replays it; or
        answer 400, 408 or 413 and return None (None too if the client went away)."""
        detail = f"The request body is larger than {self.max_bytes} bytes."
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_problem(
                        send, 400, "Bad Request", "Invalid Content-Length.", scope["path"], "about:blank"
                    )
                    return None
                if declared > self.max_bytes:
                    await _send_problem(send, 413, "Content Too Large", detail, scope["path"], TOO_LARGE)
                    return None
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive)
        except TimeoutError:
            slow = f"The request body was not received within {self.timeout:g} seconds."
            await _send_problem(send, 408, "Request Timeout", slow, scope["path"], "about:blank")
            return None
        if body is None:
            return None
        if len(body) > self.max_bytes:
            await _send_problem(send, 413, "Content Too Large", detail, scope["path"], TOO_LARGE)
            return None
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body (or its first bytes past the limit); None if the client went away."""
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            total += len(chunk)
            chunks.append(chunk)
            if total > self.max_bytes:
                break
            more = bool(message.get("more_body", False))
        return b"".join(chunks)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(unmatched)"


def _route_before_routing(scope: Scope) -> str:
    """The template of the route a request refused (or abandoned) before routing was for, if the API
    description names it: the app has not routed it, and FastAPI's routing is not a public interface."""
    app = scope.get("app")
    try:
        paths = app.openapi()["paths"] if app is not None else {}
    except Exception:  # no description: the route stays unknown
        return "(unmatched)"
    route_path = str(scope.get("path", ""))
    for template in paths:
        if compile_path(str(template))[0].fullmatch(route_path):
            return str(template)
    return "(unmatched)"
