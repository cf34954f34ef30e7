"""Turning pydantic validation errors into one clear line per wrong field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from engine.errors import FieldProblem, ScenarioError
from engine.scenario import END_BEFORE_START, UNCONVERTIBLE, Scenario, reading
from engine.valuesets import ValueSets


def field_problems(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldProblem]:
    """One :class:`FieldProblem` per error, with a dotted path such as ``observations.2.unit``."""
    return _problems(exc.errors(), prefix)


def _problems(errors: Sequence[ErrorDetails], prefix: tuple[str | int, ...] = ()) -> list[FieldProblem]:
    problems = []
    for err in errors:
        loc = list(prefix) + list(err["loc"])
        message = err["msg"]
        ctx = err.get("ctx") or {}
        if err["type"] == "clinrules":
            loc.append(ctx["field"])
            message = ctx["message"]
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(".".join(str(p) for p in loc) or "(body)", message))
    return problems


def parse_scenario(data: Any, value_sets: ValueSets | None = None) -> Scenario:
    """Validate a scenario in the project's JSON; raise :class:`ScenarioError` listing every wrong field.

    Its codes, texts and units are read with ``value_sets`` (those of the rules it will be evaluated with;
    None: the shipped ones).

    Strict: an observation in a unit that cannot be converted is an error here too (naming its ``unit``); a
    caller that can report what it left out uses :func:`scenario_with_notes`.
    """
    try:
        return Scenario.model_validate(data, context=reading(value_sets))
    except ValidationError as exc:
        raise ScenarioError(field_problems(exc)) from exc


def _left_out(err: ErrorDetails, items: str, key: str) -> int | None:
    """The index in ``items`` of the item this error refuses only for the reason marked ``key``, else None."""
    loc = err["loc"]
    ctx = err.get("ctx") or {}
    if err["type"] == "clinrules" and key in ctx and len(loc) == 2 and loc[0] == items:
        index = loc[1]
        return index if isinstance(index, int) else None
    return None


def _unconvertible(err: ErrorDetails) -> int | None:
    """The index of the observation this error refuses only for its unit, else None."""
    return _left_out(err, "observations", UNCONVERTIBLE)


def _end_before_start(err: ErrorDetails) -> int | None:
    """The index of the medication this error refuses only for ending before it starts, else None."""
    return _left_out(err, "medications", END_BEFORE_START)


def scenario_with_notes(data: Any, value_sets: ValueSets | None = None) -> tuple[Scenario, list[str]]:
    """Validate a scenario in the project's JSON, read with ``value_sets`` as :func:`parse_scenario` reads
    it, and the notes on what was left out of it.

    An observation in a unit that cannot be converted is left out and reported, never guessed (KNOWLEDGE.md
    §4), as the FHIR intake does: the other data, and every safety alert that does not need that value,
    still count. A medication that ends before it starts is kept without its end (an unknown end: still
    taken, or taken as long as its supply may have run), with a note, as the FHIR intake keeps it: leaving
    the drug out could hide the alerts it raises. Any other fault (a wrong type, a missing field) is an
    error, :class:`ScenarioError` listing every wrong field.
    """
    context = reading(value_sets)
    try:
        return Scenario.model_validate(data, context=context), []
    except ValidationError as exc:
        errors = exc.errors()
        left_out = {i: err for err in errors if (i := _unconvertible(err)) is not None}
        no_end = {i: err for err in errors if (i := _end_before_start(err)) is not None}
        others = [err for err in errors if _unconvertible(err) is None and _end_before_start(err) is None]
        if others or not isinstance(data, dict):
            raise ScenarioError(_problems(others or errors)) from exc
    kept = [o for i, o in enumerate(data.get("observations") or []) if i not in left_out]
    fixed = dict(data, observations=kept)
    if no_end:
        meds = data["medications"]
        fixed["medications"] = [
            {k: v for k, v in m.items() if k != "end"} if i in no_end else m for i, m in enumerate(meds)
        ]
    try:
        scenario = Scenario.model_validate(fixed, context=context)
    except ValidationError as exc:  # not expected: only whole observations and ends were taken out
        raise ScenarioError(field_problems(exc)) from exc
    notes = [f"observations.{i}: {left_out[i]['ctx'][UNCONVERTIBLE]}; left out" for i in sorted(left_out)]
    notes += [
        f"medications.{i}.end: ends before it starts ({no_end[i]['ctx'][END_BEFORE_START]}); "
        "the end is not used"
        for i in sorted(no_end)
    ]
    return scenario, notes
