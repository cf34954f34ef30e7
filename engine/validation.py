"""Turning pydantic validation errors into one clear line per wrong field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from engine.errors import FieldProblem, ScenarioError
from engine.scenario import Scenario


def field_problems(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldProblem]:
    """One :class:`FieldProblem` per error, with a dotted path such as ``observations.2.unit``."""
    problems = []
    for err in exc.errors():
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


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario in the project's JSON; raise :class:`ScenarioError` listing every wrong field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(field_problems(exc)) from exc
