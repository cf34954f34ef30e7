"""FHIR times as the scenario keeps them, and one-line validation messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from engine.fhir.models import FhirTime
from engine.fhir.report import Report


def instant(value: FhirTime | None, label: str, what: str, report: Report) -> datetime | None:
    """The first moment of a FHIR time; a partial date (``2026`` or ``2026-05``) is taken as its first day,
    with a note, because the rules count days from it."""
    if value is None:
        return None
    if value.precision in ("year", "month"):
        shown = value.moment.strftime("%Y" if value.precision == "year" else "%Y-%m")
        report.note(
            f"{label}: {what} '{shown}' is a partial date; taken as {value.moment.date().isoformat()}"
        )
    return value.moment


def first_error(exc: ValidationError) -> str:
    """The first error of a validation error, as ``location: message``, on one line."""
    errors = exc.errors(include_url=False)
    if not errors:
        return " ".join(str(exc).split())[:300]
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    message = " ".join(str(first["msg"]).split())
    return f"{loc}: {message}" if loc else message
