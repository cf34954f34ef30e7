"""Where a case file's scenarios are evaluated: the engine in this process, or a running service."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from engine import fhir
from engine.errors import ClinrulesError, ScenarioError
from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
from engine.scenario import Scenario
from engine.validation import scenario_with_notes
from engine.valuesets import ValueSets
from service.suites.cards import Card
from service.suites.topics import catalogue_topics, local_topics, rule_topics


class CaseError(Exception):
    """The scenario could not be evaluated (invalid patient data, or the service refused it)."""


class TargetUnavailable(Exception):
    """The service cannot be reached at all: the run stops instead of failing every case."""


class SuiteTarget(Protocol):
    """Evaluates one scenario (project JSON or a FHIR Bundle) and returns its cards in display order."""

    def evaluate(self, data: dict[str, Any], at: datetime | None) -> list[Card]:
        """The cards for ``data``, evaluated at ``at`` (else the scenario's own time, else now)."""
        ...

    def topics(self) -> frozenset[str] | None:
        """The topics of the rules evaluated (see :mod:`service.suites.topics`); None when not known."""
        ...


def _json_value(value: object) -> str:
    """A YAML case file's unquoted dates and times, as the ISO 8601 text the project's JSON takes."""
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def ensure_reachable(url: str, timeout: float = 10.0) -> None:
    """Raise :class:`TargetUnavailable` when nothing answers HTTP at ``url`` (any answer will do)."""
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=timeout)
    except httpx.TransportError as exc:
        raise TargetUnavailable(f"cannot reach {url}: {exc}") from exc


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def read_scenario(data: dict[str, Any], at: datetime | None, value_sets: ValueSets | None = None) -> Scenario:
    """A :class:`Scenario` from project JSON or FHIR JSON, read with ``value_sets`` (those of the rules it is
    evaluated with; None: the shipped ones); :class:`CaseError` for invalid data.

    Data left out (an observation in a unit that cannot be converted) is left out as the service leaves it
    out; a case compares cards only, so its notes are not kept.
    """
    try:
        if fhir.looks_like_fhir(data):
            return fhir.scenario_from_bundle(data, at, value_sets).checked().scenario
        return scenario_with_notes(data, value_sets)[0]
    except ScenarioError as exc:
        raise CaseError(f"invalid scenario: {exc}") from exc


class EngineSuiteTarget:
    """The rules engine in this process, compiled once from ``rules_dir`` (default: the project's rules)."""

    def __init__(self, rules_dir: Path | None = None, evaluator: Evaluator | None = None) -> None:
        self.evaluator = evaluator or Evaluator(load_knowledge_base(rules_dir))

    def topics(self) -> frozenset[str]:
        """The topics of the rules of this engine."""
        return rule_topics(self.evaluator.kb)

    def evaluate(self, data: dict[str, Any], at: datetime | None) -> list[Card]:
        """Read the scenario and evaluate it in process."""
        when = _utc(at)
        scenario = read_scenario(data, when, self.evaluator.kb.value_sets)
        try:
            evaluation = self.evaluator.evaluate(scenario, at=when)
        except ClinrulesError as exc:
            raise CaseError(f"engine error: {exc}") from exc
        return [Card.from_finding(f) for f in evaluation.findings]


def _problem_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return str(body)[:300]
    parts = [str(body.get("detail") or body.get("title") or "")]
    for e in body.get("errors") or []:
        if isinstance(e, dict):
            parts.append(f"{e.get('field', e.get('pointer', ''))}: {e.get('message', e.get('detail', ''))}")
    return "; ".join(p for p in parts if p) or response.reason_phrase


class HttpSuiteTarget:
    """A running clinrules service: ``POST {url}/evaluate`` with the scenario, cards from ``findings``.

    An evaluation time is sent as the project JSON's ``evaluation_time`` and as the ``at`` query parameter
    (which a FHIR Bundle needs).
    """

    def __init__(self, url: str, timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout, headers={"Accept": "application/json"})
        self._topics: frozenset[str] | None = None

    def topics(self) -> frozenset[str]:
        """The topics in the catalogue of the service (``GET /rules``, read once), else the local rules'."""
        if self._topics is None:
            try:
                found = catalogue_topics(self.client.get(f"{self.url}/rules"))
            except httpx.HTTPError:
                found = None
            self._topics = found if found is not None else local_topics()
        return self._topics

    def evaluate(self, data: dict[str, Any], at: datetime | None) -> list[Card]:
        """POST the scenario and map the returned findings to cards."""
        return [Card.from_json(f) for f in self.findings(data, at)]

    def findings(self, data: dict[str, Any], at: datetime | None) -> list[dict[str, Any]]:
        """POST the scenario and return the findings JSON of the answer."""
        return self.findings_and_notes(data, at)[0]

    def findings_and_notes(
        self, data: dict[str, Any], at: datetime | None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """POST the scenario and return the findings JSON of the answer and its notes (data left out)."""
        when = _utc(at)
        params: dict[str, str] = {}
        body = data
        if when is not None:
            params["at"] = when.isoformat().replace("+00:00", "Z")
            if not fhir.looks_like_fhir(data):
                body = {**data, "evaluation_time": params["at"]}
        try:
            response = self.client.post(
                f"{self.url}/evaluate",
                content=json.dumps(body, default=_json_value, ensure_ascii=False).encode(),
                params=params,
                headers={"Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:
            raise TargetUnavailable(f"cannot reach {self.url}/evaluate: {exc}") from exc
        if response.status_code >= 500:
            raise CaseError(f"service error {response.status_code}: {_problem_text(response)}")
        if response.status_code >= 400:
            raise CaseError(f"rejected ({response.status_code}): {_problem_text(response)}")
        payload = response.json()
        findings = payload.get("findings") if isinstance(payload, dict) else None
        if not isinstance(findings, list):
            raise CaseError("the service's answer has no 'findings' list")
        notes = payload.get("notes") or []
        return [f for f in findings if isinstance(f, dict)], [str(n) for n in notes if isinstance(n, str)]

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()
