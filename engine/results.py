"""Observations as the rules read them: by kind up to the evaluation time, baselines, and measured values.

A measurement is floored so that it never rounds up across a threshold, and a result reported beyond an
assay's limit counts as just beyond it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from datetime import datetime, timedelta

from engine.scenario import Observation, ObservationKind, Scenario


def observations_of(scenario: Scenario, kind: ObservationKind, now: datetime) -> list[Observation]:
    """Observations of a kind made at or before ``now``, oldest first."""
    return sorted(
        (o for o in scenario.observations if o.kind is kind and o.time <= now), key=lambda o: o.time
    )


_time = operator.attrgetter("time")


def observations_by_kind(scenario: Scenario, now: datetime) -> dict[ObservationKind, list[Observation]]:
    """Every kind's observations made at or before ``now``, oldest first: :func:`observations_of` for all
    kinds in one pass."""
    grouped: dict[ObservationKind, list[Observation]] = {}
    # One stable sort, then grouping: each kind's list is in the order observations_of gives it.
    for o in sorted([o for o in scenario.observations if o.time <= now], key=_time):
        grouped.setdefault(o.kind, []).append(o)
    return grouped


def latest(observations: Sequence[Observation]) -> Observation | None:
    """The last of observations sorted oldest first."""
    return observations[-1] if observations else None


def baseline(observations: Sequence[Observation], start: datetime, window_days: int) -> Observation | None:
    """The last observation on or before the day of ``start``, no more than ``window_days`` days before it."""
    last_day = start.date()
    first_day = last_day - timedelta(days=window_days)
    candidates = [o for o in observations if first_day <= o.time.date() <= last_day]
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
    (above) a limit counts as just below (above) it, so "< 50" satisfies "CD4 < 50".
    """
    if observation is None:
        return None
    value = observation.number
    if observation.comparator == "<":
        value -= 0.01
    elif observation.comparator == ">":
        value += 0.01
    return math.floor(value * 100) / 100


def assessed(scenario: Scenario, kind: ObservationKind, now: datetime) -> bool | None:
    """The latest clinician assessment of a kind, or None when there is none."""
    return assessment(observations_of(scenario, kind, now))


def assessment(observations: Sequence[Observation]) -> bool | None:
    """The latest of clinician assessments sorted oldest first, or None when there is none."""
    return bool(observations[-1].value) if observations else None


def detectable_hiv_rna(observations: Sequence[Observation]) -> list[Observation]:
    """HIV-1 RNA results above the assay's limit: not reported as below a limit, and above zero."""
    return [o for o in observations if o.comparator not in ("<", "<=") and o.number > 0]
