"""The pytest plugin ``clinrules test`` loads to run user feature files with the project's step library.

It is loaded in a pytest subprocess (``-p service.suites.bdd_plugin``); the step library is the installed
``service.suites.steps``, the same the project's own tests use. It provides the ``clinrules_target`` fixture
(the engine in process, or the service at ``$CLINRULES_TEST_URL``), records the alerts each scenario saw, and
writes one JSON line per scenario to ``$CLINRULES_TEST_RESULTS`` for the runner to read as the run goes.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from service.suites.steps import STEP_PLUGINS
from service.suites.steps.target import Alert, Alerts, EngineTarget, Target
from service.suites.targets import HttpSuiteTarget

pytest_plugins = list(STEP_PLUGINS)

ENV_URL = "CLINRULES_TEST_URL"
ENV_RESULTS = "CLINRULES_TEST_RESULTS"


class HttpAlertTarget:
    """The service at ``url``: POST the Scenario JSON to ``/evaluate``, alerts from its findings."""

    def __init__(self, url: str) -> None:
        self.http = HttpSuiteTarget(url)
        self.url = self.http.url

    def evaluate(self, scenario_json: dict[str, Any]) -> list[Alert]:
        """Evaluate remotely (the scenario carries its evaluation time)."""
        findings, notes = self.http.findings_and_notes(scenario_json, None)
        return Alerts((Alert.from_finding_json(f) for f in findings), notes, self.http.topics())


class RecordingTarget:
    """Wraps a target and keeps the alerts of the last evaluation, for the report."""

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.last: list[Alert] | None = None
        self.url: str | None = getattr(inner, "url", None)
        """The running service evaluated against (the service steps talk to it too), or None."""

    def evaluate(self, scenario_json: dict[str, Any]) -> list[Alert]:
        """Evaluate with the wrapped target and remember the alerts."""
        self.last = None
        alerts = self.inner.evaluate(scenario_json)
        self.last = alerts
        return alerts


_recorder: RecordingTarget | None = None


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get(ENV_RESULTS)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


@pytest.fixture(scope="session")
def clinrules_target() -> Target:
    """The service at ``$CLINRULES_TEST_URL`` when set, else the engine in process; alerts recorded."""
    global _recorder
    url = os.environ.get(ENV_URL)
    _recorder = RecordingTarget(HttpAlertTarget(url) if url else EngineTarget())
    return _recorder


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the runner how many scenarios there are (for its progress bar)."""
    _write({"event": "collected", "count": len(session.items)})


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Forget the previous scenario's alerts."""
    if _recorder is not None:
        _recorder.last = None


def _scenario(report: pytest.TestReport) -> dict[str, Any] | None:
    try:
        from pytest_bdd.reporting import test_report_context_registry
    except ImportError:  # pragma: no cover - older pytest-bdd
        return getattr(report, "scenario", None)
    context = test_report_context_registry.get(report)
    return None if context is None else dict(context.scenario)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One JSON line per scenario: outcome, the failure, the steps and the alerts seen."""
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    crash = getattr(report.longrepr, "reprcrash", None)
    alerts = _recorder.last if _recorder is not None else None
    _write(
        {
            "event": "result",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "duration": report.duration,
            "message": crash.message
            if crash is not None
            else (str(report.longrepr) if report.failed else ""),
            "longrepr": str(report.longrepr) if report.failed else "",
            "scenario": _scenario(report),
            "alerts": None
            if alerts is None
            else [
                {
                    "topic": a.topic,
                    "indicator": a.indicator,
                    "summary": a.summary,
                    "rule_id": a.rule_id,
                    "reasons": list(a.reasons),
                }
                for a in alerts
            ],
        }
    )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A feature file that does not parse, or cannot be bound, is reported as an error of that file."""
    if report.failed:
        _write({"event": "collect-error", "nodeid": report.nodeid, "message": str(report.longrepr)})
