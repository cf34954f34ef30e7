"""The scenarios of the suites, loaded once per process and runnable against any engine (mutation testing).

Gherkin scenarios run in process through :mod:`service.suites.gherkin_inprocess`; case files directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.evaluator import Evaluator
from service.suites.caserun import load_cases, run_case
from service.suites.cases import LoadedCase
from service.suites.runner import discover
from service.suites.targets import EngineSuiteTarget

Outcome = Literal["passed", "failed", "error"]


class SuiteNotReady(Exception):
    """The suites cannot serve: nothing to run, a missing path, or a scenario failing on the rules as is."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


@dataclass(frozen=True)
class Probe:
    """One scenario of the suites (a Gherkin scenario or Examples row, or a case)."""

    kind: Literal["gherkin", "case"]
    suite: str
    name: str
    line: int | None
    index: int
    """Its position among the scenarios of its kind."""

    @property
    def label(self) -> str:
        """``file:line: name``."""
        where = f"{self.suite}:{self.line}" if self.line else self.suite
        return f"{where}: {self.name}"


class _RecordingTarget:
    """The engine target of the Gherkin steps, remembering the topics of the alerts it returned."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.topics: set[str] = set()

    def evaluate(self, scenario_json: dict[str, Any]) -> Any:
        alerts = self.inner.evaluate(scenario_json)
        self.topics.update(a.topic for a in alerts)
        return alerts


class Suites:
    """The scenarios of the suite paths, loaded once, runnable against any engine."""

    def __init__(self, paths: list[Path]) -> None:
        found = discover(paths)
        if found.missing:
            raise SuiteNotReady(f"no such file or folder: {', '.join(found.missing)}")
        self.files = sorted({*found.features, *found.case_files})
        cases, errors = load_cases(found.case_files)
        if errors:
            raise SuiteNotReady(
                "a case file cannot be read", [f"{e.suite}: {'; '.join(e.problems)}" for e in errors]
            )
        self.cases: list[LoadedCase] = cases
        self.gherkin: list[Any] = []
        self.library: Any = None
        if found.features:
            from service.suites.gherkin_inprocess import load_step_library, read_scenarios

            self.library = load_step_library()
            self.gherkin = read_scenarios(found.features)
        self.probes = [Probe("gherkin", s.suite, s.title, s.line, i) for i, s in enumerate(self.gherkin)] + [
            Probe("case", c.path, c.case.name, None, i) for i, c in enumerate(self.cases)
        ]
        if not self.probes:
            raise SuiteNotReady("no scenario found: no .feature, .yaml, .yml or .json suite with scenarios")

    def named_topics(self, probe: Probe) -> set[str]:
        """The topic codes a scenario names in its expectations."""
        if probe.kind == "gherkin":
            return set(self.gherkin[probe.index].topics)
        case = self.cases[probe.index].case
        return {e.topic for e in case.expect} | set(case.absent)

    def run(self, probe: Probe, evaluator: Evaluator) -> tuple[Outcome, str, set[str]]:
        """Run one scenario against ``evaluator``: outcome, why it did not pass, the topics that fired."""
        if probe.kind == "gherkin":
            from service.suites.gherkin_inprocess import engine_target, run_scenario

            target = _RecordingTarget(engine_target(evaluator))
            outcome, message = run_scenario(self.gherkin[probe.index], self.library, target)
            return outcome, message, target.topics
        result = run_case(self.cases[probe.index], EngineSuiteTarget(evaluator=evaluator))
        topics = {card.topic for card in result.actual or []}
        return result.status, "; ".join(result.problems), topics
