"""Mistakes in a suite itself are errors naming them: a misspelt topic (which a negative expectation would
otherwise pass), an unknown CDS Hooks request, a missing scenario file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from click.testing import CliRunner

from engine.knowledge import load_knowledge_base
from service.cli import app
from service.suites.targets import HttpSuiteTarget
from service.suites.topics import rule_topics
from tests.suites.conftest import scenario

runner = CliRunner()

MISSPELT_FEATURE = """\
Feature: Misspelt topics
  Scenario: negative on a misspelt topic
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 300 cells/µL 3 days ago
    When the rules are evaluated
    Then the "iris-rsk" alert does not fire

  Scenario: positive on a misspelt topic
    Given a male patient aged 40
    When the rules are evaluated
    Then the "iris-rsk" alert fires

  Scenario: a card of a misspelt topic
    Given the clinrules service is running
    And the EHR prepares the CDS Hooks request "patient-view-no-alerts"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And no "iris-rsk" card is shown

  Scenario: an unknown request
    Given the clinrules service is running
    And the EHR prepares the CDS Hooks request "patient-view-iris-rsk"
    When the EHR calls the "patient-view" service
    Then the service answers 200

  Scenario: the same steps, spelt right
    Given the clinrules service is running
    And the EHR prepares the CDS Hooks request "patient-view-no-alerts"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And no "iris-risk" card is shown
    And no "data-quality" card is shown
"""


def test_misspelt_topics_and_requests_in_a_feature_file_are_errors(suite_dir: Path) -> None:
    (suite_dir / "misspelt.feature").write_text(MISSPELT_FEATURE, encoding="utf-8")
    result = runner.invoke(app, ["test", str(suite_dir)])
    out = result.output
    assert result.exit_code == 1, out
    assert "5 scenarios: 1 passed, 0 failed, 4 errors" in out, out
    for name in (
        "negative on a misspelt topic",
        "positive on a misspelt topic",
        "a card of a misspelt topic",
    ):
        assert f"ERROR {name}" in out, out
    assert (
        out.count('unknown topic "iris-rsk": no rule of the loaded rules has it (did you mean "iris-risk"?)')
        == 3
    )
    assert "ERROR an unknown request" in out
    assert 'there is no CDS Hooks request "patient-view-iris-rsk"' in out
    assert "patient-view-iris-risk, patient-view-no-alerts" in out
    unknown_request = out.split("ERROR an unknown request")[1].split("Scenario suites")[0]
    assert "FileNotFoundError" not in out and "Expected" not in unknown_request


def case_file(folder: Path, cases: list[dict[str, Any]]) -> Path:
    path = folder / "cases.yaml"
    path.write_text(yaml.safe_dump({"at": "2026-06-01T12:00:00Z", "cases": cases}), encoding="utf-8")
    return path


MISSPELT_CASES = [
    {"name": "absent misspelt", "scenario": scenario(300), "absent": ["iris-rsk"]},
    {"name": "expect misspelt", "scenario": scenario(42), "expect": ["iris-rsk", "iris-risk"]},
    {"name": "spelt right", "scenario": scenario(300), "absent": ["iris-risk"]},
]


def test_misspelt_topics_in_a_case_file_are_errors(suite_dir: Path) -> None:
    result = runner.invoke(app, ["test", str(case_file(suite_dir, MISSPELT_CASES))])
    out = result.output
    assert result.exit_code == 1, out
    assert "3 scenarios: 1 passed, 0 failed, 2 errors" in out, out
    assert "ERROR absent misspelt" in out and "ERROR expect misspelt" in out
    assert out.count('unknown topic "iris-rsk"') == 2
    assert "missing: iris-rsk" not in out


def test_misspelt_topics_in_a_case_file_against_a_service(suite_dir: Path, service_url: str) -> None:
    result = runner.invoke(app, ["test", str(case_file(suite_dir, MISSPELT_CASES)), "--url", service_url])
    assert result.exit_code == 1, result.output
    assert "3 scenarios: 1 passed, 0 failed, 2 errors" in result.output, result.output


def test_a_service_whose_catalogue_cannot_be_read_is_checked_against_the_local_rules() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"title": "token required"})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    target = HttpSuiteTarget("http://service.example", client=client)
    assert target.topics() == rule_topics(load_knowledge_base())


def test_a_missing_scenario_file_names_the_case_and_the_file(suite_dir: Path) -> None:
    cases = [{"name": "from the EHR", "scenario_file": "bundles/gone.json", "expect": ["iris-risk"]}]
    result = runner.invoke(app, ["test", str(case_file(suite_dir, cases))])
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    assert "case 1 (from the EHR): scenario_file bundles/gone.json" in out, out
    assert "gone.json) cannot be read: No such file or directory" in out, out


def test_the_request_names_listed_are_the_fixtures() -> None:
    from service.suites.steps.fixtures import fixture_names

    names = fixture_names()
    assert "patient-view-iris-risk" in names and all(not n.endswith(".json") for n in names)
