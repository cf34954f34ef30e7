"""The span of time clinical data may fall in (1900-2199), and the scenario's time types that hold to it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["EARLIEST", "LATEST", "BirthDate", "Instant", "date_in_range", "in_range"]

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def in_range(value: datetime) -> datetime:
    """A time as an aware UTC datetime (no zone means UTC), refused outside 1900-2199.

    Clinical data outside those years is a data error, and year-1 arithmetic would overflow. A time at the
    edge of the representable range whose offset moves it beyond that range (``0001-01-01T00:00:00+01:00``,
    .NET's minimum date) is refused the same way: the conversion's OverflowError is not a ValueError, so it
    would otherwise escape validation.
    """
    try:
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be between 1900 and 2199") from None
    if not EARLIEST <= aware < LATEST:
        raise ValueError("must be between 1900 and 2199")
    return aware


def date_in_range(value: date) -> date:
    """A date, refused outside 1900-2199."""
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError("must be between 1900 and 2199")
    return value


Instant = Annotated[datetime, AfterValidator(in_range)]
BirthDate = Annotated[date, AfterValidator(date_in_range)]
