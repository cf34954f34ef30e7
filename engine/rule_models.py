"""The knowledge base's data models: sources, statements, and the rule file with its parts.

Loading and cross-checking them is :mod:`engine.knowledge`; these classes only say what one file may hold.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

from engine.conditions import Node

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$", max_length=64)]
Evidence = Literal["high", "moderate", "low", "very-low"]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite number written as one: ``yes`` (a boolean) or ``"100"`` (a text) is refused, as in conditions."""


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("only spaces: write the text")
    return text


Text = Annotated[str, AfterValidator(_not_blank)]
"""A text with something in it besides spaces."""


class _Strict(BaseModel):
    # Validators are built on first use: a knowledge base read from the cache (engine.kb_cache) needs none.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Source(_Strict):
    """A document the knowledge base rests on."""

    id: Slug
    title: str
    citation: str
    kind: Literal["seed", "external"]
    design: str | None = None
    seed: str | None = None
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None


class Statement(_Strict):
    """A unit of source knowledge, paraphrased; rules name the statements they encode."""

    id: Slug
    source: Slug
    text: str
    role: Literal["finding", "background", "safety"]
    evidence: Evidence
    not_encoded: str | None = Field(default=None, description="Why no rule encodes this statement.")


class Indicator(StrEnum):
    """CDS Hooks card urgency, most urgent first."""

    critical = "critical"
    warning = "warning"
    info = "info"

    @property
    def rank(self) -> int:
        """0 for critical, 1 for warning, 2 for info: the order findings are shown in."""
        return ("critical", "warning", "info").index(self.value)


class Status(StrEnum):
    """Lifecycle of a rule: active and shadow rules are compiled into the engine.

    A ``shadow`` rule is evaluated on every request and recorded in the audit but never shown: the
    committee sees how often it would fire before it goes live. ``draft`` and ``retired`` are not evaluated.
    """

    active = "active"
    shadow = "shadow"
    draft = "draft"
    retired = "retired"

    @property
    def evaluated(self) -> bool:
        """True for the statuses compiled into the engine (active and shadow)."""
        return self in (Status.active, Status.shadow)


class Parameter(_Strict):
    """A configurable threshold with its default, unit and the range a deployment may set it in."""

    value: Number
    unit: str | None = None
    min: Number
    max: Number
    description: str


class SuggestionAction(_Strict):
    """What accepting a suggestion does; ``target`` names the draft orders of a medication class to act on."""

    type: Literal["create", "update", "delete"]
    description: str
    target: Literal["draft-orders"] | None = None
    medication_class: str | None = None


class Suggestion(_Strict):
    """A suggested action for the clinician (CDS Hooks suggestion)."""

    label: str
    is_recommended: bool = False
    actions: list[SuggestionAction] = Field(default_factory=list)


class Link(_Strict):
    """A link to read more (CDS Hooks link)."""

    label: str
    url: str


class OverrideReason(_Strict):
    """A reason a clinician may give for overriding the card."""

    code: Slug
    display: str


class Escalation(_Strict):
    """Raise the indicator when a further condition holds (e.g. critical with reproductive potential)."""

    indicator: Indicator
    when: dict[str, Any]


class ReportedFact(_Strict):
    """A fact shown in the card's detail whether or not it is part of the condition (once: not again when
    it is already one of the reasons the rule fired for)."""

    fact: str
    label: str | None = None
    when: dict[str, Any] | None = None
    """Show the line only when this condition holds (fact tests against fixed values)."""
    text: str | None = None
    """A sentence shown in place of "label: value" (for a line whose ``when`` already fixes the value)."""


class Rule(_Strict):
    """One rule file: what it says, what it rests on, and when it fires."""

    id: Slug
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    status: Status
    title: Annotated[Text, StringConstraints(min_length=3, max_length=120)]
    topic: Slug
    indicator: Indicator
    statements: list[Slug] = Field(min_length=1)
    evidence: Evidence
    evidence_note: str
    summary: Annotated[Text, StringConstraints(min_length=10, max_length=139)]
    detail: str
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    when: dict[str, Any]
    concludes: list[Slug] = Field(default_factory=list)
    safety: bool = Field(default=False, description="Also checked in plain Python; either path fires it.")
    escalate: list[Escalation] = Field(default_factory=list)
    report: list[ReportedFact] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    override_reasons: list[OverrideReason] = Field(default_factory=list)

    _condition: Node | None = PrivateAttr(default=None)
    _escalations: list[tuple[Indicator, Node]] = PrivateAttr(default_factory=list)
    _report_conditions: list[Node | None] = PrivateAttr(default_factory=list)
    _path: str = PrivateAttr(default="")

    @property
    def condition(self) -> Node:
        """The parsed condition tree."""
        assert self._condition is not None
        return self._condition

    @property
    def escalations(self) -> list[tuple[Indicator, Node]]:
        """Parsed escalations, in file order."""
        return self._escalations

    @property
    def report_conditions(self) -> list[Node | None]:
        """Parsed ``report`` conditions, one per reported fact (None: always shown)."""
        return self._report_conditions

    @property
    def path(self) -> str:
        """The file this rule was loaded from."""
        return self._path

    def defaults(self) -> dict[str, float]:
        """Parameter name → default value."""
        return {name: p.value for name, p in self.parameters.items()}
