"""Structured JSON logs (python-json-logger): scrubbed of tokens, without tracebacks, rate-limited.

Nothing in the service logs tokens or patient data on purpose; the filters are further lines of defence:
a traceback or an exception's message can quote request data (a patient id in a URL, a token), so records
keep only the exception's type; and each kind of message is logged at most ``rate_per_minute`` times a
minute (then one line says how many were left out), so a flood of errors (a slowloris, a descriptor
shortage) cannot fill the disk.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable

from pythonjsonlogger.json import JsonFormatter

_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# Whether a text could hold either: one search, so that most texts (a route, a status) cost no substitution.
_SUSPECT = re.compile(r"(?i)bearer|eyJ")
# LogRecord attributes set from code (the logger, the call site, the thread), never from request data.
_FROM_CODE = frozenset(
    ("msg", "name", "levelname", "pathname", "filename", "module", "funcName", "threadName", "processName")
)
_HANDLER_NAME = "clinrules-json"
LOGGERS = ("service", "engine", "uvicorn", "uvicorn.error", "asyncio")
WINDOW_SECONDS = 60.0
_TRACEBACK = "Traceback (most recent call last)"
# An exception line of a traceback: a (dotted) class name, alone or before ": message".
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*)(?::|$)")
ACCESS_LOGGER = "service.access"


def scrub(text: str) -> str:
    """Remove bearer tokens and JWTs from ``text``."""
    if not _SUSPECT.search(text):
        return text
    return _JWT.sub("[redacted-jwt]", _BEARER.sub("Bearer [redacted]", text))


class RedactingFilter(logging.Filter):
    """Replace tokens in the message and in string-valued extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if record.args:
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and key not in _FROM_CODE:
                record.__dict__[key] = scrub(value)
        return True


class NoTracebackFilter(logging.Filter):
    """Drop tracebacks and stack traces from records, keeping the exception's type as ``error_type``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("asyncio") and isinstance(record.msg, str):
            # asyncio appends the failing task or socket (with its exception's message) after the first line.
            record.msg, record.args = record.getMessage().split("\n", 1)[0], None
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and not hasattr(record, "error_type"):
            record.error_type = type(exc).__name__
        if _TRACEBACK in str(record.msg) or (record.args and _TRACEBACK in record.getMessage()):
            # Some callers log a formatted traceback as the message itself (Starlette's lifespan does).
            text = record.getMessage()
            if not hasattr(record, "error_type"):
                record.error_type = exception_type(text)
            record.msg = text.split(_TRACEBACK, 1)[0].strip() or "error (traceback removed)"
            record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def exception_type(traceback_text: str) -> str:
    """The name of the exception a formatted traceback ends with, never its message (which may quote a
    password or a patient id): the first unindented line after the last frame. The message may go on over
    more lines (SQLAlchemy adds "(Background on this error at: …)"), so the last line is not the one."""
    lines = traceback_text.strip().splitlines()
    frames = [n for n, line in enumerate(lines) if line.lstrip().startswith('File "')]
    after = lines[frames[-1] + 1 :] if frames else list(reversed(lines))
    for line in after:
        name = _EXCEPTION_LINE.match(line)
        if name:
            return name.group(1).rsplit(".", 1)[-1]
    return "unknown"


class RateLimitFilter(logging.Filter):
    """Pass at most ``per_minute`` records of each kind (logger and message template) a minute.

    The first record of a kind in a new minute carries ``suppressed``: how many were left out before.
    Access lines of answers below 400 all pass (one per request served); those of refused requests are
    limited per route and status, so a client probing with bad requests cannot flood the log either.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, ...], tuple[float, int, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key: tuple[str, ...] = (record.name, str(record.msg).split("\n", 1)[0][:120])
        if record.name == ACCESS_LOGGER:
            status = getattr(record, "status", 500)
            if isinstance(status, int) and status < 400:
                return True
            key = (*key, str(status), str(getattr(record, "route", "")))
        now = self.clock()
        with self._lock:
            start, passed, dropped = self._windows.get(key, (now, 0, 0))
            if now - start >= WINDOW_SECONDS:
                if dropped:
                    record.suppressed = dropped
                start, passed, dropped = now, 0, 0
            if passed >= self.per_minute:
                self._windows[key] = (start, passed, dropped + 1)
                return False
            if len(self._windows) > 10_000:  # many kinds of message: forget the old windows
                self._windows.clear()
            self._windows[key] = (start, passed + 1, dropped)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be replaced)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        return


def configure_logging(level: str = "INFO", rate_per_minute: int = 30) -> None:
    """Send the service's, the engine's, uvicorn's and asyncio's logs to stderr as JSON lines (idempotent)."""
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RateLimitFilter(rate_per_minute))
    handler.addFilter(NoTracebackFilter())
    handler.addFilter(RedactingFilter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if h.get_name() != _HANDLER_NAME]
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
