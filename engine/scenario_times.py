"""The span of time clinical data may fall in (1900-2199), the scenario's time types that hold to it, and the
local calendar day of a time (the day every window counts in).

A date written without a time (``2026-05-30``, FHIR's ``date`` and partial dates) is held as midnight in
:data:`CALENDAR_DAY`, a zone of offset 0 that marks it: it is that calendar day as written, in whatever zone
the days are counted, and never shifts by a day when converted. A timed value is converted to the local zone
before its day is taken.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, SerializerFunctionWrapHandler, WrapSerializer

__all__ = [
    "CALENDAR_DAY",
    "EARLIEST",
    "LATEST",
    "BirthDate",
    "EvaluationTime",
    "Instant",
    "as_calendar_day",
    "date_in_range",
    "in_range",
    "is_calendar_day",
    "keeping_offset",
    "local_day",
    "local_zone",
]

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_CALENDAR_DAY_NAME = "calendar day"
CALENDAR_DAY = timezone(timedelta(0), _CALENDAR_DAY_NAME)
"""The zone of a date without a time: offset 0 for ordering, and a name that marks the value as a day."""


def is_calendar_day(value: datetime) -> bool:
    """True for a date written without a time (held in :data:`CALENDAR_DAY`)."""
    # By name, not identity: a copy or a pickle of a fixed-offset zone is a new object with the same name.
    return value.tzinfo is not None and value.tzname() == _CALENDAR_DAY_NAME


def as_calendar_day(day: date) -> datetime:
    """The calendar day ``day`` as a scenario time (midnight, marked as a date without a time)."""
    return datetime.combine(day, time.min, tzinfo=CALENDAR_DAY)


def local_day(value: datetime, zone: tzinfo) -> date:
    """The calendar day of ``value`` in ``zone``: a date without a time is its own day, whatever the zone."""
    if is_calendar_day(value) or value.tzinfo is None:
        return value.date()
    return value.astimezone(zone).date()


def local_zone(value: datetime | None, default: tzinfo) -> tzinfo:
    """The zone days are counted in for an evaluation at ``value``: its own UTC offset (none means UTC), but
    ``default`` when that zone has the same offset at that moment (it keeps its daylight-saving rules) or
    when ``value`` is a date or None."""
    if value is None or is_calendar_day(value):
        return default
    offset = value.utcoffset() or timedelta(0)
    if default.utcoffset(value.replace(tzinfo=None)) == offset:  # the same offset at that wall-clock time
        return default
    return UTC if offset == timedelta(0) else timezone(offset)


_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def _calendar_day(value: Any) -> Any:
    """A date without a time (``YYYY-MM-DD`` text, or a ``date``) as a calendar day; else as it is."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return as_calendar_day(date.fromisoformat(value.strip()))
        except ValueError:
            return value  # pydantic says what is wrong with it
    if isinstance(value, date) and not isinstance(value, datetime):
        return as_calendar_day(value)
    return value


def in_range(value: datetime) -> datetime:
    """A time as an aware UTC datetime (no zone means UTC), refused outside 1900-2199; a date without a time
    stays as it is (:data:`CALENDAR_DAY`).

    Clinical data outside those years is a data error, and year-1 arithmetic would overflow. A time at the
    edge of the representable range whose offset moves it beyond that range (``0001-01-01T00:00:00+01:00``,
    .NET's minimum date) is refused the same way: the conversion's OverflowError is not a ValueError, so it
    would otherwise escape validation.
    """
    try:
        if value.tzinfo is None:
            aware = value.replace(tzinfo=UTC)
        else:
            aware = value if is_calendar_day(value) else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be between 1900 and 2199") from None
    if not EARLIEST <= aware < LATEST:
        raise ValueError("must be between 1900 and 2199")
    return aware


def keeping_offset(value: datetime) -> datetime:
    """:func:`in_range`, but a time keeps the UTC offset it was written with (the evaluation's zone)."""
    in_range(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def date_in_range(value: date) -> date:
    """A date, refused outside 1900-2199."""
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError("must be between 1900 and 2199")
    return value


def _as_written(value: datetime, handler: SerializerFunctionWrapHandler) -> Any:
    """In JSON a date without a time is written as a date, so that it reads back as the same day."""
    return value.date().isoformat() if is_calendar_day(value) else handler(value)


_WRITTEN = WrapSerializer(_as_written, when_used="json")
Instant = Annotated[datetime, BeforeValidator(_calendar_day), AfterValidator(in_range), _WRITTEN]
EvaluationTime = Annotated[datetime, BeforeValidator(_calendar_day), AfterValidator(keeping_offset), _WRITTEN]
BirthDate = Annotated[date, AfterValidator(date_in_range)]
