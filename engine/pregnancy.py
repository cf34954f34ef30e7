"""Whether a patient is pregnant now: the latest pregnancy evidence decides (KNOWLEDGE.md §3).

Evidence for a pregnancy: an active pregnancy Condition recorded in the last 300 days, or a "pregnant" status
observation of the last 280 days, both counted in whole calendar days like every other window (day 280
counts whatever the hour of the evaluation). Evidence against: a later "not pregnant" status, or a delivery
recorded after the pregnancy evidence. Older pregnancy Conditions with nothing later are stale and do not
count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.courses import days_between
from engine.dated import counts_by
from engine.scenario import (
    ACTIVE_CONDITION,
    IGNORED_CONDITION,
    Condition,
    ObservationKind,
    Scenario,
)


@dataclass(frozen=True)
class Evidence:
    """One dated piece of pregnancy evidence."""

    when: datetime
    pregnant: bool
    what: str


def _latest_date(c: Condition) -> datetime | None:
    dates = [d for d in (c.onset, c.recorded) if d is not None]
    return max(dates) if dates else None


def _describe(c: Condition, when: datetime | None) -> str:
    name = " ".join(x for x in (c.code, c.text) if x)
    day = f", {when.date().isoformat()}" if when else ""
    return f"{name} ({c.status.value}{day})"


def pregnancy_evidence(
    scenario: Scenario, now: datetime, condition_days: int, status_days: int
) -> list[Evidence]:
    """Every piece of pregnancy evidence at ``now``, oldest first; on the same moment, 'pregnant' last."""
    found: list[Evidence] = []
    for c in scenario.conditions:
        if c.status in IGNORED_CONDITION:
            continue
        if "delivery" in c.concepts:
            # The earliest date of a delivery ends a pregnancy only when it is known; undated, it ends none.
            if c.start is not None and counts_by(c.start, now):
                found.append(Evidence(c.start, False, f"delivery: {_describe(c, c.start)}"))
        elif "pregnancy" in c.concepts and c.status in ACTIVE_CONDITION:
            # The later of onset and recorded date; undated, it cannot be shown stale, so it counts now.
            latest = _latest_date(c)
            when = now if latest is None or latest > now else latest
            if days_between(when, now) <= condition_days:
                found.append(Evidence(when, True, _describe(c, latest)))
    for o in scenario.observations:
        if (
            o.kind is ObservationKind.pregnancy_status
            and counts_by(o.time, now)
            and days_between(o.time, now) <= status_days
        ):
            found.append(
                Evidence(o.time, o.value == "pregnant", f"pregnancy status '{o.value}' on {o.time.date()}")
            )
    return sorted(found, key=lambda e: (e.when, e.pregnant))


def is_pregnant(evidence: list[Evidence]) -> bool:
    """The latest evidence decides; none means not known to be pregnant."""
    return bool(evidence) and evidence[-1].pregnant
