"""Observations as the rules read them: by kind up to the evaluation time, baselines, and measured values.

A measurement is floored so that it never rounds up across a threshold, and a result reported beyond an
assay's limit counts as just beyond it. Of results of one kind at the same moment, the one that does not hide
a warning is chosen, whatever the record order (:func:`_rank`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from operator import attrgetter

from engine.dated import as_of, counts_by
from engine.scenario import Observation, ObservationKind, Scenario
from engine.scenario_times import local_day

_time = attrgetter("time")


def _rank(o: Observation) -> tuple[float, float, str]:
    """Of results of one kind at the same moment, the one ranked highest is the one chosen (it sorts last):
    the lowest CD4 count or eGFR (alerts fire on low values), the highest viral load (a detectable one
    before one below the limit), a "yes" assessment and a "pregnant" status. Whatever the record order,
    the choice is the same, and it is the one that does not hide a warning."""
    kind = o.kind
    if kind in (ObservationKind.cd4, ObservationKind.egfr):
        return 0.0, -_compared(o), as_reported(o)
    if kind is ObservationKind.viral_load:
        detectable = o.comparator not in ("<", "<=") and o.number > 0
        return float(detectable), _compared(o), as_reported(o)
    return float(o.value in (True, "pregnant")), 0.0, ""


def _ordered(observations: Iterable[Observation]) -> list[Observation]:
    """Observations of one kind, oldest first; at the same moment the one chosen (:func:`_rank`) last."""
    ordered = sorted(observations, key=_time)
    if any(a.time == b.time for a, b in pairwise(ordered)):  # ties are rare
        ordered.sort(key=lambda o: (o.time, _rank(o)))
    return ordered


def observations_of(scenario: Scenario, kind: ObservationKind, now: datetime) -> list[Observation]:
    """Observations of a kind that count at ``now`` (:func:`engine.dated.counts_by`), oldest first; at the
    same moment the one chosen last."""
    return _ordered(o for o in scenario.observations if o.kind is kind and counts_by(o.time, now))


def observations_by_kind(scenario: Scenario, now: datetime) -> dict[ObservationKind, list[Observation]]:
    """Every kind's observations that count at ``now``, oldest first: :func:`observations_of` for all kinds
    in one pass."""
    grouped: dict[ObservationKind, list[Observation]] = {}
    for o in scenario.observations:
        if counts_by(o.time, now):
            grouped.setdefault(o.kind, []).append(o)
    return {kind: _ordered(found) for kind, found in grouped.items()}


def later_than(scenario: Scenario, now: datetime) -> list[Observation]:
    """The observations dated after ``now`` (beyond the margins of :mod:`engine.dated`): not used."""
    return [o for o in scenario.observations if not counts_by(o.time, now)]


def latest(observations: Sequence[Observation]) -> Observation | None:
    """The last of observations sorted oldest first (at the same moment, the one chosen)."""
    return observations[-1] if observations else None


def baseline(
    observations: Sequence[Observation],
    start: datetime,
    window_days: int,
    zone: tzinfo,
    now: datetime | None = None,
) -> Observation | None:
    """The last observation on or before the day of ``start``, no more than ``window_days`` days before it
    (calendar days in ``zone``; one dated a little after ``now`` but counted, :func:`engine.dated.as_of`, is
    taken as of ``now``)."""
    last_day = local_day(start, zone)
    first_day = last_day - timedelta(days=window_days)
    candidates = [
        o
        for o in observations
        if first_day <= local_day(as_of(o.time, now) if now else o.time, zone) <= last_day
    ]
    return candidates[-1] if candidates else None


def as_reported(observation: Observation) -> str:
    """A measurement's value as the laboratory reported it: with its comparator (``<50``, ``>90``)."""
    return f"{observation.comparator or ''}{observation.number:g}"


def reported_on(observation: Observation, unit: str) -> str:
    """A measurement as a reason cites it: ``<50 cells/µL on 2026-05-20``."""
    return f"{as_reported(observation)} {unit} on {observation.time.date().isoformat()}"


def measured(observation: Observation | None) -> float | None:
    """A measurement as the rules compare it.

    Floored to 2 decimals, so that a value never rounds up across a threshold; a result reported as below
    (above) a limit counts as just below (above) it, so "< 50" satisfies "CD4 < 50"; "<= 100" may be below
    the limit as much as "< 100" is, and counts the same (likewise ">=" as ">").
    """
    if observation is None:
        return None
    return math.floor(_compared(observation) * 100) / 100


def _compared(observation: Observation) -> float:
    """The value beyond a limit taken as just beyond it: ``<`` and ``<=`` (possibly below the limit) just
    below, ``>`` and ``>=`` just above."""
    value = observation.number
    if observation.comparator in ("<", "<="):
        return value - 0.01
    if observation.comparator in (">", ">="):
        return value + 0.01
    return value


def assessed(scenario: Scenario, kind: ObservationKind, now: datetime) -> bool | None:
    """The latest clinician assessment of a kind, or None when there is none."""
    return assessment(observations_of(scenario, kind, now))


def assessment(observations: Sequence[Observation]) -> bool | None:
    """The latest of clinician assessments sorted oldest first, or None when there is none."""
    return bool(observations[-1].value) if observations else None


def detectable_hiv_rna(observations: Sequence[Observation]) -> list[Observation]:
    """HIV-1 RNA results above the assay's limit: not reported as below a limit, and above zero."""
    return [o for o in observations if o.comparator not in ("<", "<=") and o.number > 0]
