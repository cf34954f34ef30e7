"""The logs stay small and clean: no tracebacks or exception messages, and each kind of line rate-limited."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from service.logging_setup import WINDOW_SECONDS, RateLimitFilter, configure_logging

LEAK = "Patient/MRN-LEAK-77"


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    configure_logging("INFO", rate_per_minute=5)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield read
    configure_logging("INFO")


def test_an_exception_is_logged_by_its_type_only(lines: Any) -> None:
    try:
        raise ValueError(f"cannot fetch {LEAK}")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("service.test").error("failed: %s", traceback.format_exc())
    logged = lines()
    assert [line["error_type"] for line in logged] == ["ValueError", "ValueError"]
    assert LEAK not in json.dumps(logged) and "Traceback" not in json.dumps(logged)


class BackgroundError(Exception):
    """Like SQLAlchemy's errors: the message ends with a line of its own about where to read more."""

    def __str__(self) -> str:
        failed = f"(psycopg.OperationalError) password authentication failed for {LEAK}"
        return f"{failed}\n(Background on this error at: https://sqlalche.me/e/20/e3q8)"


def test_a_traceback_as_message_is_logged_by_the_exception_type_even_when_the_message_runs_on(
    lines: Any,
) -> None:
    def fail() -> None:
        raise BackgroundError()

    try:
        fail()
    except BackgroundError:
        # What Starlette's lifespan sends uvicorn when start-up fails: the formatted traceback as the message.
        logging.getLogger("uvicorn.error").error(traceback.format_exc())
        logging.getLogger("uvicorn.error").error("start-up failed", exc_info=True)
    logged = lines()
    assert [line["error_type"] for line in logged] == ["BackgroundError", "BackgroundError"]
    assert LEAK not in json.dumps(logged) and "Background on" not in json.dumps(logged)


def test_the_exception_type_of_a_multi_line_message_after_indented_lines() -> None:
    from pydantic import BaseModel, ValidationError

    from service.logging_setup import exception_type

    class Port(BaseModel):
        port: int

    try:
        Port.model_validate({"port": LEAK})
    except ValidationError:
        text = traceback.format_exc()
    assert exception_type(text) == "ValidationError"
    assert exception_type(
        "Boom happened\nsqlalchemy.exc.OperationalError: x\n(Background on this error at: y)"
    ) == ("OperationalError")
    assert exception_type("(nothing like a name here)") == "unknown"


def test_asyncio_keeps_only_the_first_line_of_its_message(lines: Any) -> None:
    asyncio_log = logging.getLogger("asyncio")
    asyncio_log.error("Task exception was never retrieved\nfuture: <Task exception=KeyError(%r)>", LEAK)
    logged = lines()
    assert logged[0]["message"] == "Task exception was never retrieved"
    assert LEAK not in json.dumps(logged)


def test_each_kind_of_line_is_rate_limited_and_the_gap_is_counted() -> None:
    clock = [1000.0]
    limit = RateLimitFilter(5, clock=lambda: clock[0])

    def record(name: str, message: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.WARNING, __file__, 1, message, None, None)

    passed = [limit.filter(record("uvicorn.error", "Invalid HTTP request received.")) for _ in range(500)]
    assert sum(passed) == 5
    served = [record("service.access", "request") for _ in range(500)]
    for line in served:
        line.status, line.route = 200, "/health"
    assert all(limit.filter(line) for line in served)  # one line per request served, all kept
    refused = [record("service.access", "request") for _ in range(500)]
    for line in refused:
        line.status, line.route = 404, "(unmatched)"
    assert sum(limit.filter(line) for line in refused) == 5
    assert limit.filter(record("service.other", "another kind"))
    clock[0] += WINDOW_SECONDS - 1
    assert not limit.filter(record("uvicorn.error", "Invalid HTTP request received."))
    clock[0] += 1
    after = record("uvicorn.error", "Invalid HTTP request received.")
    assert limit.filter(after) and after.__dict__["suppressed"] == 496
