"""FHIR's date, dateTime and instant: read from JSON text into a first moment and a precision.

FHIR allows a year, a year-month, a day, or a time with a zone; a time without a zone is refused (FHIR
requires one, and without it the moment is uncertain by up to a day). The msgspec hook reads such fields from
a JSON string only, so a number is never taken for seconds since 1970.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Literal

from engine.scenario_times import CALENDAR_DAY, as_calendar_day

__all__ = ["FhirTime", "decode_hook", "parse_fhir_time"]


class FhirTime:
    """A FHIR date, dateTime or instant: its first moment and its precision. A date without a time is held as
    a calendar day (:data:`engine.scenario_times.CALENDAR_DAY`), never shifted by a zone."""

    __slots__ = ("moment", "precision")

    def __init__(self, moment: datetime, precision: Literal["year", "month", "day", "time"]) -> None:
        self.moment = moment
        self.precision = precision

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FhirTime) and (self.moment, self.precision) == (
            other.moment,
            other.precision,
        )

    def __hash__(self) -> int:
        return hash((self.moment, self.precision))

    def __repr__(self) -> str:
        return f"FhirTime({self.moment.isoformat()}, {self.precision})"


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<t>\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<f>\d+))?(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def _day(text: str) -> datetime:
    """``YYYY-MM-DD`` as a calendar day (a ValueError when it is no valid date)."""
    # The fastest way: datetime.replace and a datetime of three int()s cost three times as much here.
    return datetime.combine(date.fromisoformat(text), time.min, CALENDAR_DAY)


def parse_fhir_time(text: str) -> FhirTime:
    """Read a FHIR date/dateTime/instant string; a ValueError names what is wrong with it."""
    if len(text) == 10 and _DAY.fullmatch(text):  # the common case first: YYYY-MM-DD
        try:
            return FhirTime(_day(text), "day")
        except ValueError as exc:
            raise ValueError(f"is not a valid date ({exc})") from None
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(
            "is not a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)"
        )
    year, month, day, clock, zone = match["y"], match["m"], match["d"], match["t"], match["z"]
    if clock is not None and zone is None:
        # FHIR requires a zone with a time: without one the moment is uncertain by up to a day.
        raise ValueError("is a time without a time zone (add Z or +hh:mm)")
    try:
        if month is None:
            return FhirTime(datetime(int(year), 1, 1, tzinfo=CALENDAR_DAY), "year")
        if day is None:
            return FhirTime(datetime(int(year), int(month), 1, tzinfo=CALENDAR_DAY), "month")
        on = date(int(year), int(month), int(day))
        if clock is None:
            return FhirTime(as_calendar_day(on), "day")
        fraction = (match["f"] or "")[:6].ljust(6, "0")
        if len(clock) == 8 and clock.endswith(":60"):
            # A leap second (R4's dateTime allows ss = 60), which datetime cannot hold: read as second 59.
            clock = clock[:-2] + "59"
        moment = datetime.fromisoformat(
            f"{on.isoformat()}T{clock}.{fraction}{'+00:00' if zone == 'Z' else zone}"
        )
    except ValueError as exc:
        raise ValueError(f"is not a valid date or time ({exc})") from None
    return FhirTime(moment, "time")


def decode_hook(kind: type, value: Any) -> Any:
    """msgspec's hook for :class:`FhirTime` fields: a FHIR date or time, from a JSON string only."""
    if kind is FhirTime:
        # A number here would otherwise be read as seconds since 1970: a wrong date, silently.
        if not isinstance(value, str):
            raise ValueError("a date or time must be a string")
        if len(value) == 10 and value[4] == "-" == value[7]:  # parse_fhir_time's common case, one call less
            # fromisoformat reads only ASCII digits here, so it accepts exactly a valid YYYY-MM-DD; on any
            # other string parse_fhir_time says what is wrong.
            try:
                return FhirTime(_day(value), "day")
            except ValueError:
                pass  # parse_fhir_time says what is wrong
        return parse_fhir_time(value)
    raise NotImplementedError(kind)
