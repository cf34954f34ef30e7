"""What the When step evaluates against: the engine in-process, or (later) a running service.

A target takes the patient Scenario JSON and returns :class:`Alert` objects, the small common shape the Then
steps check. The in-process :class:`EngineTarget` maps engine findings; an HTTP target maps CDS Hooks cards
or the ``/evaluate`` JSON (whose findings :meth:`Alert.from_finding_json` reads directly).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from engine.evaluator import Evaluator
from engine.findings import Finding
from engine.knowledge import load_knowledge_base
from engine.validation import scenario_with_notes
from service.suites.topics import rule_topics

THALIDOMIDE_PROPOSED = "thalidomide-proposed"
"""The conclusion a rule asserts when it suggests thalidomide; the thalidomide safety rules match it."""


@dataclass(frozen=True)
class Alert:
    """One alert as the clinician sees it, whatever produced it."""

    rule_id: str
    topic: str
    indicator: str
    summary: str
    detail: str
    reasons: list[str] = field(default_factory=list)
    """Why it fired: the text of each ``because`` entry."""
    concludes: list[str] = field(default_factory=list)
    """Conclusions the rule asserts for other rules (e.g. ``thalidomide-proposed``)."""
    rests_on: list[str] = field(default_factory=list)
    """Ids of the rules whose conclusions this alert relies on (rule chaining)."""
    citations: list[str] = field(default_factory=list)
    """Ids of the sources the alert cites, in the order shown."""
    links: list[str] = field(default_factory=list)
    """Addresses of the alert's links, in the order shown."""

    @classmethod
    def from_finding(cls, finding: Finding) -> Alert:
        """The alert for an engine :class:`~engine.findings.Finding`."""
        return cls(
            rule_id=finding.rule_id,
            topic=finding.topic,
            indicator=finding.indicator.value,
            summary=finding.summary,
            detail=finding.detail,
            reasons=[b.text for b in finding.because],
            concludes=list(finding.concludes),
            rests_on=list(dict.fromkeys(rule for b in finding.because for rule in b.by)),
            citations=[c.id for c in finding.citations],
            links=[link.url for link in finding.links],
        )

    @classmethod
    def from_finding_json(cls, data: Mapping[str, Any]) -> Alert:
        """The alert for a finding as JSON (``Finding.model_dump(mode="json")``, the ``/evaluate`` output)."""
        because: Sequence[Mapping[str, Any]] = data.get("because") or []
        return cls(
            rule_id=str(data["rule_id"]),
            topic=str(data["topic"]),
            indicator=str(data["indicator"]),
            summary=str(data.get("summary", "")),
            detail=str(data.get("detail", "")),
            reasons=[str(b.get("text", "")) for b in because],
            concludes=[str(c) for c in data.get("concludes") or []],
            rests_on=list(dict.fromkeys(str(r) for b in because for r in b.get("by") or [])),
            citations=[str(c.get("id", "")) for c in data.get("citations") or []],
            links=[str(link.get("url", "")) for link in data.get("links") or []],
        )


class Alerts(list[Alert]):
    """The alerts of one evaluation, most urgent first, its ``notes`` (the data it left out, and why), and
    the ``topics`` of the rules evaluated (None when not known: the Then steps then check no topic name)."""

    def __init__(
        self, alerts: Iterable[Alert] = (), notes: Iterable[str] = (), topics: frozenset[str] | None = None
    ) -> None:
        super().__init__(alerts)
        self.notes = list(notes)
        self.topics = topics


@runtime_checkable
class Target(Protocol):
    """Anything that evaluates a patient Scenario JSON and returns the alerts, most urgent first."""

    def evaluate(self, scenario_json: dict[str, Any]) -> list[Alert]:
        """Evaluate one scenario (its ``evaluation_time`` is set) and return its alerts in display order."""
        ...


class EngineTarget:
    """The rules engine in this process: ``Evaluator(load_knowledge_base())``."""

    def __init__(self, evaluator: Evaluator | None = None) -> None:
        self.evaluator = evaluator if evaluator is not None else Evaluator(load_knowledge_base())
        self.topics = rule_topics(self.evaluator.kb)

    def evaluate(self, scenario_json: dict[str, Any]) -> list[Alert]:
        """Validate the Scenario JSON, evaluate it and map each finding to an :class:`Alert`."""
        scenario, notes = scenario_with_notes(scenario_json, self.evaluator.kb.value_sets)
        evaluation = self.evaluator.evaluate(scenario)
        alerts = (Alert.from_finding(f) for f in evaluation.findings)
        return Alerts(alerts, [*evaluation.notes, *notes], self.topics)
