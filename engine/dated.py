"""Whether dated patient data counts at the evaluation time, and how data dated after it is reported.

Data dated after the evaluation time is not used, but never silently: each piece is reported in the
evaluation's notes. Two margins keep a clock or a calendar from hiding a safety warning:

- a date without a time counts as that day in any time zone: it is not "after now" once that day has begun
  anywhere (UTC+14 is the earliest zone). The scenario marks such a value
  (:data:`engine.scenario_times.CALENDAR_DAY`); a time at midnight UTC is a time like any other;
- a time a little after now (:data:`CLOCK_SKEW`, an EHR's clock ahead of the server's) counts as now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.scenario_times import is_calendar_day

__all__ = ["CLOCK_SKEW", "DATE_LEAD", "LATER_NOTE", "as_of", "counts_by", "stamp"]

CLOCK_SKEW = timedelta(minutes=10)
"""How far after the evaluation time a timed value may be and still count as now (clock skew)."""

DATE_LEAD = timedelta(hours=14)
"""How far ahead of UTC a day begins somewhere (UTC+14): a date alone counts once its day has begun there."""

LATER_NOTE = "dated after the evaluation time; not used"
"""What the notes say of data dated after the evaluation time (beyond the margins above)."""


def _date_only(when: datetime) -> bool:
    """A date written without a time (:func:`engine.scenario_times.is_calendar_day`)."""
    return is_calendar_day(when)


def counts_by(when: datetime, now: datetime) -> bool:
    """Whether data dated ``when`` counts at ``now``: not after it, beyond the margins of the module."""
    if when <= now:
        return True
    return when - (DATE_LEAD if _date_only(when) else CLOCK_SKEW) <= now


def as_of(when: datetime, now: datetime) -> datetime:
    """The time data counted at ``now`` is taken at: its own, or ``now`` when it is dated a little after."""
    return min(when, now)


def stamp(when: datetime) -> str:
    """A time as a note gives it: a date alone as the date, else the full time."""
    return when.date().isoformat() if _date_only(when) else when.isoformat()
