"""Medication courses: which prescriptions of one class make one continuous course, and whether it is current.

KNOWLEDGE.md §3: prescriptions of one class that follow each other within their supply (or 90 days when no
supply is given) are one course, whatever status the earlier ones have; renewals recorded as ``completed``
without an end date therefore do not cut a long course into short ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from engine.scenario import Medication, MedicationStatus
from engine.scenario_times import local_day

TAKEN_STATUSES = frozenset(
    {MedicationStatus.active, MedicationStatus.on_hold, MedicationStatus.completed, MedicationStatus.stopped}
)
"""Statuses of a prescription or statement that was (or is being) taken."""

ORDERED_STATUSES = frozenset(
    {MedicationStatus.active, MedicationStatus.on_hold, MedicationStatus.intended, MedicationStatus.unknown}
)


def days_between(earlier: datetime, later: datetime, zone: tzinfo) -> int:
    """Whole calendar days in the clinic's ``zone`` from ``earlier`` to ``later``: the same day is 0.

    A timed value counts on its day in ``zone``; a date without a time on its own day (see
    :func:`engine.scenario_times.local_day`).
    """
    return (local_day(later, zone) - local_day(earlier, zone)).days


def ordered_or_taken(m: Medication) -> bool:
    """Ordered now, or an order or statement that is not over, whatever its dates say.

    For the drugs whose mere order matters for safety (thalidomide class, IL-2, a corticosteroid beside
    thalidomide): an active order with a future start or a lapsed validity period still counts.
    """
    return m.is_draft or m.status in ORDERED_STATUSES


def covered_until(m: Medication, now: datetime, default_supply_days: int) -> datetime:
    """The last moment a prescription with a start date covers: its end, else its supply, else the default.

    A prescription being taken with no end covers at least until ``now``.
    """
    assert m.start is not None
    if m.end is not None:
        return m.end
    supplied = m.start + timedelta(days=m.days_supply or default_supply_days)
    return max(supplied, now) if m.is_active_at(now) else supplied


def last_dose(m: Medication, now: datetime, default_supply_days: int) -> datetime | None:
    """The latest a finished prescription can have been taken: its end, else its start plus its supply.

    Without a supply it may have run the default supply (KNOWLEDGE.md §3: 90 days), but not past ``now``:
    taking its start as the last dose would end a pregnancy exposure window weeks too early.
    """
    if m.end is not None:
        return m.end
    if m.start is None:
        return None
    if m.days_supply:
        return m.start + timedelta(days=m.days_supply)
    return min(m.start + timedelta(days=default_supply_days), max(m.start, now))


def _current(m: Medication, now: datetime, default_supply_days: int) -> bool:
    """Being taken at ``now``: active, or completed without an end date and still within its supply."""
    if m.is_active_at(now):
        return True
    return (
        m.status is MedicationStatus.completed
        and m.end is None
        and m.start is not None
        and m.start <= now <= covered_until(m, now, default_supply_days)
    )


@dataclass(frozen=True)
class Course:
    """The current course of a medication class at an evaluation time."""

    current: bool
    """Some prescription of the class is being taken now."""
    start: datetime | None
    """First start of the chain the current prescriptions belong to (None if unknown or not current)."""
    members: tuple[Medication, ...] = ()
    """The prescriptions being taken now."""


_NOT_CURRENT = Course(current=False, start=None)


def _start(m: Medication) -> datetime:
    assert m.start is not None
    return m.start


def current_course(
    meds: Sequence[Medication], now: datetime, gap_days: int, default_supply_days: int
) -> Course:
    """The course of ``meds`` (one class) current at ``now``: prescriptions chained within their supply."""
    current = tuple(m for m in meds if not m.is_draft and _current(m, now, default_supply_days))
    if not current:
        return _NOT_CURRENT
    first: datetime | None = None
    for m in current:
        if m.start is None:
            return Course(current=True, start=None, members=current)
        if first is None or m.start < first:
            first = m.start
    assert first is not None
    taken = sorted(
        (
            m
            for m in meds
            if m.start is not None and m.start <= now and not m.is_draft and m.status in TAKEN_STATUSES
        ),
        key=_start,
    )
    gap = timedelta(days=gap_days)
    chains: list[tuple[datetime, datetime]] = []
    for m in taken:
        assert m.start is not None
        until = covered_until(m, now, default_supply_days)
        if chains and m.start <= chains[-1][1] + gap:
            chains[-1] = (chains[-1][0], max(chains[-1][1], until))
        else:
            chains.append((m.start, until))
    for chain_start, chain_end in chains:
        if chain_start <= first <= chain_end + gap:
            return Course(current=True, start=chain_start, members=current)
    return Course(current=True, start=first, members=current)
