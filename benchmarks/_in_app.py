"""The stages of ``call_breakdown.py`` timed inside whole patient-view calls, with no server around the app.

The service's ASGI app is called in this process, one request after another, as uvicorn would call it (the
lifespan run first, the body delivered in one message, the answer collected), so no socket, HTTP parser or
second process is involved. For the length of the measurement, each function the route calls for a stage is
wrapped to add the process CPU time it takes to that stage's total: the same functions that
``call_breakdown.py`` times alone. What the wrappers do not cover is the rest of the call: FastAPI and
Starlette, the service's middleware, the metrics and the access log (at ``WARNING``, as in these runs, no
line is written). The empty endpoint of ``server_ratio.py`` is called the same way, for the floor.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _empty_app import create_app as empty_app

import service.cds.evaluation as evaluation
import service.deps
import service.routes.cds_hooks as route
from engine.evaluator import Evaluator
from service.app import create_app
from service.audit.store import AuditStore
from service.settings import Settings

ASGIApp = Callable[..., Awaitable[None]]
PATH = "/cds-services/patient-view"
STAGES: dict[str, list[tuple[Any, str]]] = {
    "JSON body": [(service.deps, "parse_json_body")],
    "request models": [(route, "_validate")],
    "FHIR intake": [(evaluation, "scenario_from_resources")],
    "rules": [(Evaluator, "evaluate")],
    "cards": [(evaluation, "cards_for"), (evaluation, "issued")],
    "audit record": [(AuditStore, "record_evaluation_async")],
    "response": [(route, "FastJSONResponse")],
}
"""Each stage of ``call_breakdown.py``: the functions the route calls for it, by owner and name."""


async def _call(app: ASGIApp, body: bytes) -> None:
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away during a call
        raise AssertionError

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": PATH, "raw_path": PATH.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    await app(scope, receive, send)
    if status != [200]:
        raise RuntimeError(f"the call answered {status}")


class _Lifespan:
    """The app's lifespan, run as a server runs it: start-up (rules, database) before the calls, shut-down
    (the audit writer, the database) after them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.messages: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.task: asyncio.Future[None] | None = None

    async def __aenter__(self) -> None:
        started = asyncio.get_running_loop().create_future()

        async def send(message: dict[str, str]) -> None:
            if message["type"].startswith("lifespan.startup") and not started.done():
                started.set_result(message["type"])

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.ensure_future(self.app(scope, self.messages.get, send))
        await self.messages.put({"type": "lifespan.startup"})
        if await started != "lifespan.startup.complete":
            await self.task  # raises the start-up error
            raise RuntimeError("the app did not start")

    async def __aexit__(self, *exc: object) -> None:
        await self.messages.put({"type": "lifespan.shutdown"})
        if self.task is not None:
            await self.task


@contextmanager
def _timed(totals: defaultdict[str, float]) -> Iterator[None]:
    """Wrap every stage's functions so that each call adds its process CPU time to ``totals``."""
    undo: list[tuple[Any, str, Any]] = []
    for stage, targets in STAGES.items():
        for owner, name in targets:
            original = getattr(owner, name)
            undo.append((owner, name, original))
            setattr(owner, name, _wrap(original, stage, totals))
    try:
        yield
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


def _wrap(function: Any, stage: str, totals: defaultdict[str, float]) -> Any:
    if asyncio.iscoroutinefunction(function):

        @functools.wraps(function)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return await function(*args, **kwargs)
            finally:
                totals[stage] += time.process_time() - start

        return timed_async

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[stage] += time.process_time() - start

    return timed


class AppCalls:
    """The service and the empty endpoint, started in this process on their own event loop, called in runs."""

    def __init__(self, bodies: Callable[[], bytes], database_url: str) -> None:
        settings = Settings(database_url=database_url, log_level="WARNING", _env_file=None)
        self.service = create_app(settings)
        self.empty = empty_app()
        self.prepared = [bodies() for _ in range(64)]
        self.loop = asyncio.new_event_loop()
        self.lifespan = _Lifespan(self.service)
        self.loop.run_until_complete(self.lifespan.__aenter__())
        self.loop.run_until_complete(self._calls(self.service, 50))  # warm-up
        self.loop.run_until_complete(self._calls(self.empty, 50))

    async def _calls(self, app: ASGIApp, calls: int) -> float:
        start = time.process_time()
        for i in range(calls):
            await _call(app, self.prepared[i % len(self.prepared)])
        return time.process_time() - start

    def run(self, calls: int) -> dict[str, float]:
        """CPU µs per call: each stage inside whole calls, the whole call, and the empty endpoint's call."""
        totals: defaultdict[str, float] = defaultdict(float)
        with _timed(totals):
            whole = self.loop.run_until_complete(self._calls(self.service, calls))
        floor = self.loop.run_until_complete(self._calls(self.empty, calls))
        per_call = {stage: totals[stage] / calls * 1e6 for stage in STAGES}
        return per_call | {"whole call": whole / calls * 1e6, "empty endpoint": floor / calls * 1e6}

    def close(self) -> None:
        """Shut the service down (its audit writer, its database) and close the loop."""
        try:
            self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        finally:
            self.loop.close()
