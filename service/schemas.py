"""Response shapes of the project's own API (rules catalogue, evaluation, health)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.findings import Citation, Evaluation, StatementRef
from engine.knowledge import Link, OverrideReason, Parameter, Suggestion


class EvaluateResponse(Evaluation):
    """The evaluation of the posted scenario, with what kind of input it was."""

    input_format: Literal["scenario", "fhir"] = Field(description="Project JSON scenario, or FHIR R4.")


class RuleSummary(BaseModel):
    """One rule in the catalogue."""

    id: str
    version: str
    status: str
    title: str
    topic: str
    indicator: str
    evidence: str
    summary: str


class RuleParameter(Parameter):
    """A threshold with the value in force in this deployment."""

    in_force: float = Field(description="The value used (default, or the deployment's override).")


class RuleDetail(RuleSummary):
    """A rule in full: what it says, what it rests on, its thresholds and when it fires."""

    evidence_note: str
    detail: str
    statements: list[StatementRef]
    citations: list[Citation]
    parameters: dict[str, RuleParameter]
    condition: dict[str, Any] = Field(description="The rule's condition over derived facts, as written.")
    concludes: list[str]
    safety: bool
    suggestions: list[Suggestion]
    links: list[Link]
    override_reasons: list[OverrideReason]


class RuleList(BaseModel):
    """The rule catalogue."""

    ruleset_version: str
    rules: list[RuleSummary]


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Readiness: rules compiled and database reachable."""

    status: Literal["ready"] = "ready"
    ruleset_version: str
    rules: int
    database: Literal["ok"] = "ok"
