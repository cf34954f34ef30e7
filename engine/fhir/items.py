"""Scenario items built from values the intake has already checked, without validating them a second time.

The intake reads every value through the narrow models and its own checks, so validating the finished item
again (pydantic, with the model validators and the recognition of concepts) would repeat work it has done.
Each builder here first confirms that the values are exactly those the model's validation would leave
unchanged (stripped strings within their lengths, times within 1900-2199, a period in order, a measurement
already in its canonical unit); only then is the item made, as ``model_construct`` makes it. Anything else
returns None and the caller validates the item as before, so every message and every refusal stays the
model's own.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from engine.scenario import (
    EARLIEST,
    LATEST,
    MEASUREMENTS,
    CodeSystem,
    Coding,
    Condition,
    ConditionStatus,
    Medication,
    MedicationStatus,
    Observation,
    ObservationKind,
    Patient,
    Scenario,
    Sex,
    in_range,
)
from engine.scenario_times import CALENDAR_DAY
from engine.valuesets import ValueSets

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def _make(model: type[M], values: dict[str, Any]) -> M:
    """An instance of ``model`` holding ``values`` (every field, in order), as ``model_construct`` makes it,
    without its per-field look-ups of aliases and defaults (the scenario models have neither to resolve)."""
    item = model.__new__(model)
    _set(item, "__dict__", values)
    _set(item, "__pydantic_fields_set__", set(values))
    _set(item, "__pydantic_extra__", None)
    _set(item, "__pydantic_private__", None)
    return item


_MISSING = object()


def _clean(text: str | None, longest: int) -> bool:
    """True when ``text`` is None, or a string pydantic would keep as it is (stripped, 1..longest long)."""
    return text is None or (0 < len(text) <= longest and text == text.strip())


# The bounds as calendar days: comparing two times of one zone is several times faster than of two.
_FIRST_DAY, _END_DAY = EARLIEST.replace(tzinfo=CALENDAR_DAY), LATEST.replace(tzinfo=CALENDAR_DAY)


def _time(value: datetime | None) -> datetime | object | None:
    """The time as the model keeps it (UTC), or ``_MISSING`` when the model would refuse it."""
    if value is None:
        return None
    zone = value.tzinfo
    if (zone is UTC and EARLIEST <= value < LATEST) or (
        zone is CALENDAR_DAY and _FIRST_DAY <= value < _END_DAY
    ):
        return value  # what in_range keeps unchanged: the intake's times are UTC or calendar days
    try:
        return in_range(value)
    except ValueError:
        return _MISSING


def scenario(
    patient: Patient,
    observations: list[Observation],
    conditions: list[Condition],
    medications: list[Medication],
    evaluation_time: datetime | None,
) -> Scenario | None:
    """The Scenario of items already made, when the model keeps ``evaluation_time`` as it is (None, or an
    aware time within 1900-2199: it keeps its offset) and the lists are within its limits; else None."""
    if evaluation_time is not None and (evaluation_time.tzinfo is None or _time(evaluation_time) is _MISSING):
        return None  # refused, or given a zone by the model
    if len(observations) > 5000 or len(conditions) > 5000 or len(medications) > 5000:
        return None
    values = {"patient": patient, "observations": observations, "conditions": conditions}
    return _make(Scenario, values | {"medications": medications, "evaluation_time": evaluation_time})


def patient(pid: str | None, birth_date: date | None, sex: Sex) -> Patient | None:
    """The Patient, when the model keeps these values as they are (an id stripped and at most 128 long, a
    birth date within 1900-2199); else None."""
    if not _clean(pid, 128) or (
        birth_date is not None and not EARLIEST.year <= birth_date.year < LATEST.year
    ):
        return None
    return _make(Patient, {"id": pid, "birth_date": birth_date, "sex": sex})


def codings(items: list[dict[str, str]]) -> list[Coding] | None:
    """The scenario Codings of already-bounded (system, code) pairs; None when one is not as the model
    keeps it (unstripped or empty)."""
    out: list[Coding] = []
    for item in items:
        system, code = item["system"], item["code"]
        if not (_clean(system, 256) and _clean(code, 64)):
            return None
        out.append(_make(Coding, {"system": system, "code": code}))
    return out


def condition_concepts(
    vs: ValueSets, system: CodeSystem, code: str | None, text: str | None, coded: list[Coding]
) -> list[str]:
    """What :attr:`engine.scenario.Condition.concepts` computes, for these fields."""
    found = set(vs.condition_concepts(system.value, code, text))
    for coding in coded:
        found |= vs.condition_concepts(coding.system, coding.code, None)
    return sorted(found)


def medication_classes(vs: ValueSets, ingredient: str, code: str | None, coded: list[Coding]) -> list[str]:
    """What :attr:`engine.scenario.Medication.classes` computes, for these fields."""
    found = set(vs.medication_classes(ingredient, code))
    for coding in coded:
        found |= vs.medication_classes(None, coding.code, coding.system)
    return sorted(found)


def condition_fields_clean(code: str | None, text: str | None, coded: list[Coding] | None) -> bool:
    """True when a Condition of these fields needs no validation beyond its times."""
    return coded is not None and _clean(code, 32) and _clean(text, 500) and bool(code or text or coded)


def condition(
    code: str | None,
    system: CodeSystem,
    coded: list[Coding],
    text: str | None,
    status: ConditionStatus,
    onset: datetime | None,
    recorded: datetime | None,
    concepts: list[str],
) -> Condition | None:
    """The Condition, when its fields passed :func:`condition_fields_clean`; None when a time is refused."""
    start, when = _time(onset), _time(recorded)
    if start is _MISSING or when is _MISSING:
        return None
    values = {"code": code, "system": system, "codings": list(coded), "text": text, "status": status}
    item = _make(Condition, values | {"onset": start, "recorded": when})
    item.__dict__["concepts"] = concepts  # what the cached property would compute
    return item


def medication_fields_clean(ingredient: str, code: str | None, coded: list[Coding] | None) -> bool:
    """True when a Medication of these fields needs no validation beyond its times and supply."""
    return coded is not None and _clean(ingredient, 500) and _clean(code, 32)


def medication(
    ingredient: str,
    code: str | None,
    coded: list[Coding],
    status: MedicationStatus,
    draft: bool,
    days_supply: int | None,
    start: datetime | None,
    end: datetime | None,
    classes: list[str],
) -> Medication | None:
    """The Medication, when its fields passed :func:`medication_fields_clean`; None when the model would
    refuse a time, the supply or the period."""
    began, ended = _time(start), _time(end)
    if began is _MISSING or ended is _MISSING:
        return None
    if days_supply is not None and not 1 <= days_supply <= 3650:
        return None
    if isinstance(began, datetime) and isinstance(ended, datetime) and ended < began:
        return None
    values = {
        "ingredient": ingredient,
        "code": code,
        "codings": list(coded),
        "status": status,
        "start": began,
    }
    item = _make(Medication, values | {"end": ended, "days_supply": days_supply, "draft": draft})
    item.__dict__["classes"] = classes
    return item


def kept_unit(vs: ValueSets, kind: ObservationKind, unit: str | None) -> bool:
    """Whether the model keeps a ``kind`` measurement in ``unit`` as it is: its canonical unit, stripped,
    with the factor 1 (the model would otherwise convert it)."""
    spec = vs.observations[kind.value]
    return unit is not None and unit == spec.unit and _clean(unit, 1_000) and spec.factor(unit) in (None, 1)


def observation(
    kind: ObservationKind,
    when: datetime,
    value: float | bool | str,
    unit: str | None,
    unit_kept: bool,
    comparator: str | None,
) -> Observation | None:
    """The Observation, when the values are those its validation keeps unchanged (``unit_kept``: see
    :func:`kept_unit`); else None."""
    time = _time(when)
    if not isinstance(time, datetime):
        return None
    if kind in MEASUREMENTS:
        if not unit_kept or type(value) is not float or not math.isfinite(value) or value < 0:
            return None
    elif unit is not None or comparator is not None:
        return None
    elif kind is ObservationKind.pregnancy_status:
        if value not in ("pregnant", "not-pregnant"):
            return None
    elif type(value) is not bool:
        return None
    return _make(
        Observation, {"kind": kind, "time": time, "value": value, "unit": unit, "comparator": comparator}
    )
