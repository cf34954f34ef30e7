"""FHIR times as the scenario keeps them, and one-line validation messages."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from engine.fhir.models import FhirTime, ObservationBody
from engine.fhir.report import Report
from engine.scenario import in_range

if TYPE_CHECKING:
    from engine.fhir.wholes import ObservationWhole


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


def dating(value: FhirTime | None, label: str, what: str, report: Report) -> datetime | None:
    """:func:`instant` for a date that only places a record in time (a condition's onset, an order's start,
    a birth date): one outside 1900-2199 (a system's "no date" sentinel such as ``0001-01-01``) is not used,
    with a note, and the record is kept undated; leaving the record out could hide an alert it raises.
    """
    moment = instant(value, label, what, report)
    if moment is None:
        return None
    try:
        in_range(moment)
    except ValueError:
        report.note(f"{label}: {what} '{moment.isoformat()}' is not between 1900 and 2199; not used")
        return None
    return moment


def observed_at(body: ObservationBody | ObservationWhole) -> FhirTime | None:
    """When an Observation was made: its effective time (dateTime, instant, or a period's start), else when it
    was issued."""
    started = body.effectivePeriod.start if body.effectivePeriod else None
    return body.effectiveDateTime or body.effectiveInstant or started or body.issued


def first_error(exc: ValidationError) -> str:
    """The first error of a validation error, as ``location: message``, on one line."""
    errors = exc.errors(include_url=False)
    if not errors:
        return " ".join(str(exc).split())[:300]
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    message = " ".join(str(first["msg"]).split())
    return f"{loc}: {message}" if loc else message
