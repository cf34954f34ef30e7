"""Observations (and their components) → scenario Observations: kind, time, value, unit."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from engine.fhir import items
from engine.fhir import terminology as terms
from engine.fhir.gather import Found, observation_parts
from engine.fhir.models import CodeableConcept, ObservationBody, ObservationHead, Quantity
from engine.fhir.report import Report
from engine.fhir.times import first_error, instant, observed_at
from engine.fhir.wholes import ObservationWhole, whole_of
from engine.scenario import MEASUREMENTS, Observation, ObservationKind, reading
from engine.valuesets import ValueSets, remember

IGNORED_STATUS = frozenset({"entered-in-error", "cancelled"})


def kind_of(vs: ValueSets, code: CodeableConcept) -> ObservationKind | None:
    """The first coding of ``code`` that names an observation concept (remembered per distinct code)."""
    memo = vs.memos["observation-code"]
    codings = code.coding
    # One coding (the usual case) is its own key; a pair of strings never equals a tuple of pairs.
    key = (
        (codings[0].system, codings[0].code)
        if len(codings) == 1
        else tuple([(c.system, c.code) for c in codings])
    )
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    return remember(memo, key, _first_kind(vs, code))  # type: ignore[no-any-return]


def _first_kind(vs: ValueSets, code: CodeableConcept) -> ObservationKind | None:
    for coding in code.coding:
        if coding.code:
            kind = terms.observation_kind(vs, coding.system, coding.code)
            if kind is not None:
                return kind
    return None


def _conversion(
    vs: ValueSets, kind: ObservationKind, quantity: Quantity
) -> tuple[float, str | None, bool] | str:
    """The factor to the canonical unit, that unit, and whether the scenario model keeps a value in it as it
    is (:func:`items.kept_unit`), for a quantity's coded and printed units; or why it cannot be converted.
    Remembered per distinct (kind, system, code, unit): records repeat a few units."""
    memo = vs.memos["conversion"]
    key = (kind, quantity.system, quantity.code, quantity.unit)
    known = memo.get(key)
    if known is not None:
        return known  # type: ignore[no-any-return]
    candidates = [
        u for u in (quantity.code if quantity.system in (None, terms.UCUM) else None, quantity.unit) if u
    ]
    if not candidates:
        return "no unit"
    read = [terms.unit_factor(vs, kind, u) for u in candidates]
    factors = [f for f in read if f is not None]
    if not factors:
        return f"unit '{candidates[0]}' cannot be converted"
    factor = factors[0]
    # The coded and the printed unit disagree (cells/uL printed, 10*9/L coded: a factor of 1000), or the
    # UCUM code is one no conversion reads (%: a CD4 percentage printed as cells/uL): which one the laboratory
    # meant cannot be settled, so neither is guessed. A printed unit alone unknown leaves the code to decide.
    conflict = len(read) == 2 and (read[0] is None or not math.isclose(factor, factors[-1], rel_tol=1e-9))
    if conflict:
        return f"unit code '{candidates[0]}' and printed unit '{candidates[1]}' give different values"
    unit = terms.canonical_unit(vs, kind)
    return remember(memo, key, (factor, unit, items.kept_unit(vs, kind, unit)))  # type: ignore[no-any-return]


def read_observation(
    found: Found, vs: ValueSets, report: Report
) -> tuple[ObservationBody | ObservationWhole, list[Observation]] | None:
    """The observations one Observation resource holds (one per recognised part), with its body (for the
    subject check). None when no rule can use it: not recognised, or entered in error / cancelled."""
    valid = whole_of(found, ObservationWhole)
    head = valid if valid is not None else report.validate(ObservationHead, found.raw, found.label)
    if head is None or head.status in IGNORED_STATUS:
        return None
    if head.component:
        parts = [(prefix, raw, kind_of(vs, code)) for prefix, raw, code in observation_parts(found, head)]
        read = [(prefix, raw, kind) for prefix, raw, kind in parts if kind is not None]
    else:  # the common case: the observation itself, no components
        kind = kind_of(vs, head.code) if head.code is not None else None
        read = [("", found.raw, kind)] if kind is not None else []
    if not read:
        unread = _unread_systems(vs, found, head)
        if unread:
            report.unread_systems("Observation", unread)
        return None
    body = valid if valid is not None else report.validate(ObservationBody, found.raw, found.label)
    if body is None:
        return None
    when = instant(observed_at(body), found.label, "time", report)
    out: list[Observation] = []
    for prefix, raw, kind in read:
        label = f"{found.label}.{prefix[:-1]}" if prefix else found.label
        if when is None:
            report.note(f"{label}: no effective time or issued time for {kind.value}; left out")
            continue
        observation = _value(
            raw, prefix, kind, when, found.label, label, vs, report, valid if not prefix else None
        )
        if observation is not None:
            out.append(observation)
    return body, out


def _unread_systems(vs: ValueSets, found: Found, head: ObservationHead | ObservationWhole) -> set[str]:
    """The code systems to report for an Observation no rule could read, or none when it was understood
    (coded in a system the knowledge base reads, with a code no rule uses).

    The Observation's own code decides: coded only in systems the knowledge base does not read, it could be
    a result a rule needs (a programme's own CD4 code, with a SNOMED CT component of no known code), so it is
    reported, whatever its components are coded in. Without a coded code of its own, its parts decide.
    """
    codes = [head.code] if head.code is not None else []
    systems = {c.system or "(no system)" for code in codes for c in code.coding}
    if not systems:
        parts = [code for _, _, code in observation_parts(found, head)]
        systems = {c.system or "(no system)" for code in parts for c in code.coding}
    return set() if any(terms.known_system(vs, s) for s in systems) else systems


def _value(
    raw: dict[str, Any],
    prefix: str,
    kind: ObservationKind,
    when: datetime,
    resource_label: str,
    label: str,
    vs: ValueSets,
    report: Report,
    valid: ObservationWhole | None = None,
) -> Observation | None:
    """One part's value as a scenario Observation, read as its kind reads it (from ``valid`` when the part is
    the resource itself and it was read whole)."""
    unit: str | None = None
    unit_kept = False
    comparator: str | None = None
    value: float | bool | str
    if kind in MEASUREMENTS:
        if raw.get("valueQuantity") is None:
            report.note(f"{label}: no valueQuantity value for {kind.value}; left out")
            return None
        quantity = (
            valid.valueQuantity
            if valid is not None
            else report.validate(Quantity, raw["valueQuantity"], f"{resource_label}.{prefix}valueQuantity")
        )
        if quantity is None:
            return None
        if quantity.value is not None and not math.isfinite(quantity.value):
            report.invalid(f"{resource_label}.{prefix}valueQuantity.value", "must be a finite number")
            return None
        if quantity.value is None:
            report.note(f"{label}: no valueQuantity value for {kind.value}; left out")
            return None
        conversion = _conversion(vs, kind, quantity)
        if isinstance(conversion, str):
            report.note(f"{label}: {conversion} for {kind.value}; left out")
            return None
        factor, unit, unit_kept = conversion
        value = round(quantity.value * factor, 6) if factor != 1 else quantity.value
        comparator = quantity.comparator
    elif kind is ObservationKind.pregnancy_status:
        concept = (
            valid.valueCodeableConcept or CodeableConcept()
            if valid is not None and raw.get("valueCodeableConcept")
            else report.validate(
                CodeableConcept,
                raw.get("valueCodeableConcept") or {},
                f"{resource_label}.{prefix}valueCodeableConcept",
            )
        )
        if concept is None:
            return None
        status = next(
            (s for s in (terms.pregnancy_value(vs, c.system, c.code) for c in concept.coding) if s), None
        )
        if status is None:
            report.note(f"{label}: pregnancy status value not recognised; left out")
            return None
        value = status
    else:
        if raw.get("valueBoolean") is None:
            report.note(f"{label}: the assessment {kind.value} needs valueBoolean; left out")
            return None
        answer = (
            valid.valueBoolean
            if valid is not None
            else report.validate(bool, raw["valueBoolean"], f"{resource_label}.{prefix}valueBoolean")
        )
        if answer is None:
            return None
        value = answer
    built = items.observation(kind, when, value, unit, unit_kept, comparator)
    if built is not None:
        return built
    try:
        return Observation.model_validate(
            {"kind": kind, "time": when, "value": value, "unit": unit, "comparator": comparator},
            context=reading(vs),
        )
    except ValidationError as exc:
        report.note(f"{label}: {kind.value} not usable ({first_error(exc)}); left out")
        return None
