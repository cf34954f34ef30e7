"""Whether a patient is pregnant now: the latest pregnancy evidence decides (KNOWLEDGE.md §3).

Evidence for a pregnancy: an active pregnancy Condition recorded in the last 300 days, or a "pregnant" status
observation of the last 280 days, both counted in whole calendar days of the clinic's zone like every other
window (day 280 counts whatever the hour of the evaluation). Evidence against: a "not pregnant" status, or a
delivery, on a later calendar day than the pregnancy evidence; on the same day the pregnancy evidence wins (a
date without a time cannot be placed against a time that day, and a missed pregnancy costs more). Older
pregnancy Conditions with nothing later are stale and do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from engine.courses import days_between
from engine.dated import counts_by
from engine.scenario import (
    ACTIVE_CONDITION,
    IGNORED_CONDITION,
    Condition,
    ObservationKind,
    Scenario,
)
from engine.scenario_times import local_day


@dataclass(frozen=True)
class Evidence:
    """One dated piece of pregnancy evidence."""

    when: datetime
    pregnant: bool
    what: str
    day: date
    """The local calendar day of ``when``: evidence is ordered by day."""


def _latest_date(c: Condition) -> datetime | None:
    dates = [d for d in (c.onset, c.recorded) if d is not None]
    return max(dates) if dates else None


def _describe(c: Condition, when: datetime | None, zone: tzinfo) -> str:
    name = " ".join(x for x in (c.code, c.text) if x)
    day = f", {local_day(when, zone).isoformat()}" if when else ""
    return f"{name} ({c.status.value}{day})"


def pregnancy_evidence(
    scenario: Scenario, now: datetime, condition_days: int, status_days: int, zone: tzinfo
) -> list[Evidence]:
    """Every piece of pregnancy evidence at ``now``, oldest first by calendar day in ``zone``; on the same
    day 'pregnant' last (conservative: a date without a time cannot be ordered against a time that day)."""
    found: list[Evidence] = []
    for c in scenario.conditions:
        if c.status in IGNORED_CONDITION:
            continue
        if "delivery" in c.concepts:
            # The earliest date of a delivery ends a pregnancy only when it is known; undated, it ends none.
            if c.start is not None and counts_by(c.start, now):
                what = f"delivery: {_describe(c, c.start, zone)}"
                found.append(Evidence(c.start, False, what, local_day(c.start, zone)))
        elif "pregnancy" in c.concepts and c.status in ACTIVE_CONDITION:
            # The later of onset and recorded date; undated, it cannot be shown stale, so it counts now.
            latest = _latest_date(c)
            when = now if latest is None or latest > now else latest
            if days_between(when, now, zone) <= condition_days:
                found.append(Evidence(when, True, _describe(c, latest, zone), local_day(when, zone)))
    for o in scenario.observations:
        if (
            o.kind is ObservationKind.pregnancy_status
            and counts_by(o.time, now)
            and days_between(o.time, now, zone) <= status_days
        ):
            day = local_day(o.time, zone)
            what = f"pregnancy status '{o.value}' on {day.isoformat()}"
            found.append(Evidence(o.time, o.value == "pregnant", what, day))
    return sorted(found, key=lambda e: (e.day, e.pregnant))


def is_pregnant(evidence: list[Evidence]) -> bool:
    """The latest evidence decides; none means not known to be pregnant."""
    return bool(evidence) and evidence[-1].pregnant
