"""Structured JSON logs (python-json-logger) with a filter that scrubs anything token-like.

Nothing in the service logs tokens or patient data on purpose; the filter is a second line of defence.
"""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_HANDLER_NAME = "clinrules-json"
LOGGERS = ("service", "engine", "uvicorn", "uvicorn.error")


def scrub(text: str) -> str:
    """Remove bearer tokens and JWTs from ``text``."""
    return _JWT.sub("[redacted-jwt]", _BEARER.sub("Bearer [redacted]", text))


class RedactingFilter(logging.Filter):
    """Replace tokens in the message and in string-valued extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if record.args:
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and key not in ("msg", "name", "levelname", "pathname", "filename"):
                record.__dict__[key] = scrub(value)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be replaced)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        return


def configure_logging(level: str = "INFO") -> None:
    """Send the service's, the engine's and uvicorn's logs to stderr as JSON lines (idempotent)."""
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RedactingFilter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if h.get_name() != _HANDLER_NAME]
        if name in ("service", "engine") or not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
