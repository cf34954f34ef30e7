"""FHIR times as the scenario keeps them, and one-line validation messages."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from engine.fhir.models import FhirTime, ObservationBody
from engine.fhir.report import Report
from engine.scenario import in_range

if TYPE_CHECKING:
    from engine.fhir.wholes import ObservationWhole


def last_moment(value: FhirTime) -> datetime:
    """The last moment a FHIR time covers: a partial date (``2026``, ``2026-05``) runs to the end of its year
    or month; a day or a time is its first moment, as :func:`instant` reads it."""
    moment = value.moment
    if value.precision == "year":
        return datetime(moment.year, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    if value.precision == "month":
        last_day = calendar.monthrange(moment.year, moment.month)[1]
        return datetime(moment.year, moment.month, last_day, 23, 59, 59, 999999, tzinfo=UTC)
    return moment


def instant(
    value: FhirTime | None, label: str, what: str, report: Report, *, end: bool = False
) -> datetime | None:
    """The first moment of a FHIR time; a partial date (``2026`` or ``2026-05``) is taken as its first day,
    with a note, because the rules count days from it. A period's ``end`` includes any matching time (FHIR
    R4 Period), so a partial end is taken as the last moment of its year or month instead, also noted: its
    first day would close a medication weeks early and could hide an exposure window."""
    if value is None:
        return None
    if value.precision in ("year", "month"):
        shown = value.moment.strftime("%Y" if value.precision == "year" else "%Y-%m")
        if end:
            moment = last_moment(value)
            last_day = moment.date().isoformat()
            report.note(f"{label}: {what} '{shown}' is a partial date; taken as the end of {last_day}")
            return moment
        report.note(
            f"{label}: {what} '{shown}' is a partial date; taken as {value.moment.date().isoformat()}"
        )
    return value.moment


def dating(
    value: FhirTime | None, label: str, what: str, report: Report, *, end: bool = False
) -> datetime | None:
    """:func:`instant` for a date that only places a record in time (a condition's onset, an order's start
    or end, a birth date): one outside 1900-2199 (a system's "no date" sentinel such as ``0001-01-01``) is
    not used, with a note, and the record is kept undated; leaving the record out could hide an alert it
    raises. ``end``: the end of a period (a partial one is taken as its last moment)."""
    moment = instant(value, label, what, report, end=end)
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
