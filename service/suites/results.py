"""The outcome of one scenario of a suite, and of a whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from service.suites.cards import Card

Status = Literal["passed", "failed", "error"]
Kind = Literal["gherkin", "case"]


@dataclass
class ScenarioResult:
    """One scenario: passed, failed (an expectation not met) or error (it could not be evaluated)."""

    suite: str
    """The file it comes from, as found."""
    name: str
    kind: Kind
    status: Status
    duration: float = 0.0
    line: int | None = None
    expected: list[str] = field(default_factory=list)
    """What was expected, one line each (the failing step, or the case's expectations)."""
    problems: list[str] = field(default_factory=list)
    """Why it failed, one line each."""
    actual: list[Card] | None = None
    """The cards shown, or None when the scenario was never evaluated."""
    example: str | None = None
    """The Examples row of a Scenario Outline (pytest's parameter id)."""
    steps: list[dict[str, Any]] = field(default_factory=list)
    """Gherkin steps as pytest-bdd reports them (keyword, name, failed, duration)."""

    @property
    def key(self) -> str:
        """A stable identity across runs: ``file::name[example]``."""
        suffix = f"[{self.example}]" if self.example else ""
        return f"{self.suite}::{self.name}{suffix}"

    @property
    def title(self) -> str:
        """The scenario's name with its Examples row."""
        return f"{self.name} [{self.example}]" if self.example else self.name


@dataclass
class SuiteRun:
    """Every scenario of a run, with the Cucumber JSON pytest-bdd wrote for the Gherkin part."""

    results: list[ScenarioResult] = field(default_factory=list)
    duration: float = 0.0
    gherkin_cucumber: list[dict[str, Any]] = field(default_factory=list)
    target: str = "engine"

    def count(self, status: Status) -> int:
        """How many scenarios ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        """True when every scenario passed (and there was at least one)."""
        return bool(self.results) and all(r.status == "passed" for r in self.results)
