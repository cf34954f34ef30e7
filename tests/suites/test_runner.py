"""``clinrules test``: case files and feature files, in process and against a service, with reports."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from service.cli import app
from service.suites.cards import Card
from service.suites.cases import Case
from service.suites.check import check
from tests.suites.conftest import FAILING_FEATURE, PASSING_FEATURE, scenario

runner = CliRunner()
FHIR_BUNDLE = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "hiv-art-start-bundle.json"


def write_cases(folder: Path, cases: list[dict[str, object]], name: str = "cases.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump({"cases": cases}, allow_unicode=True), encoding="utf-8")
    return path


def passing_cases() -> list[dict[str, object]]:
    return [
        {
            "name": "low CD4",
            "scenario": scenario(42),
            "expect": [{"topic": "iris-risk", "indicator": "warning"}],
        },
        {"name": "high CD4", "scenario": scenario(300), "absent": ["iris-risk"]},
        {"name": "only this", "scenario": scenario(42), "expect": ["iris-risk"], "only": True},
    ]


def test_passing_case_file_exits_zero(suite_dir: Path) -> None:
    result = runner.invoke(app, ["test", str(write_cases(suite_dir, passing_cases()))])
    assert result.exit_code == 0, result.output
    assert "PASSED 3 scenarios: 3 passed, 0 failed, 0 errors" in result.output


def test_json_case_file_and_single_case(suite_dir: Path) -> None:
    path = suite_dir / "one.json"
    path.write_text(
        json.dumps({"name": "one", "scenario": scenario(42), "expect": ["iris-risk"]}), encoding="utf-8"
    )
    result = runner.invoke(app, ["test", str(path)])
    assert result.exit_code == 0, result.output


def test_failure_shows_expected_and_actual_cards(suite_dir: Path) -> None:
    expect: list[object] = [{"topic": "iris-risk", "indicator": "critical"}, "art-timing-tb"]
    cases: list[dict[str, object]] = [{"name": "wrong", "scenario": scenario(42), "expect": expect}]
    result = runner.invoke(app, ["test", str(write_cases(suite_dir, cases))])
    assert result.exit_code == 1
    out = result.output
    assert "FAILED wrong" in out and "Expected" in out and "Actual cards" in out
    assert "iris-risk is warning, expected critical" in out
    assert "missing: art-timing-tb" in out
    assert "Low CD4 at ART start" in out  # the actual card's summary


def test_invalid_scenario_is_an_error_naming_the_field(suite_dir: Path) -> None:
    bad = scenario(42)
    bad["observations"] = [{"kind": "cd4", "time": "2026-05-29", "value": -42, "unit": "cells/uL"}]
    path = write_cases(suite_dir, [{"name": "bad", "scenario": bad, "expect": ["iris-risk"]}])
    result = runner.invoke(app, ["test", str(path)])
    assert result.exit_code == 1
    assert "ERROR bad" in result.output and "observations.0.value" in result.output


def test_invalid_case_file_names_the_case(suite_dir: Path) -> None:
    path = write_cases(suite_dir, [{"name": "no scenario", "expect": ["iris-risk"]}])
    result = runner.invoke(app, ["test", str(path)])
    assert result.exit_code == 1
    assert "case 1 (no scenario)" in result.output and "scenario_file" in result.output


def test_nothing_to_run_exits_two(suite_dir: Path) -> None:
    assert runner.invoke(app, ["test", str(suite_dir)]).exit_code == 2
    assert runner.invoke(app, ["test", str(suite_dir / "missing.yaml")]).exit_code == 2


def test_fhir_bundle_from_a_file_with_an_evaluation_time(suite_dir: Path) -> None:
    shutil.copy(FHIR_BUNDLE, suite_dir / "bundle.json")  # not a case file: skipped when the folder is run
    write_cases(suite_dir, [{"name": "bundle", "scenario_file": "bundle.json", "at": "2026-06-01T09:00:00Z",
                             "expect": ["iris-risk"], "only": True}])  # fmt: skip
    result = runner.invoke(app, ["test", str(suite_dir)])
    assert result.exit_code == 0, result.output
    assert "1 scenarios: 1 passed" in result.output


def test_features_with_reports(suite_dir: Path, tmp_path: Path) -> None:
    (suite_dir / "pass.feature").write_text(PASSING_FEATURE, encoding="utf-8")
    (suite_dir / "fail.feature").write_text(FAILING_FEATURE, encoding="utf-8")
    write_cases(suite_dir, passing_cases())
    junit, cucumber = tmp_path / "out" / "junit.xml", tmp_path / "out" / "cucumber.json"
    result = runner.invoke(app, ["test", str(suite_dir), "--junit", str(junit), "--cucumber", str(cucumber)])
    assert result.exit_code == 1, result.output
    assert "8 scenarios: 7 passed, 1 failed, 0 errors" in result.output
    assert 'Then the "iris-risk" alert is critical' in result.output
    assert 'the "iris-risk" alert is warning, not critical' in result.output
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "1", "0")
    failure = root.find(".//testcase/failure")
    assert failure is not None and "actual cards: iris-risk (warning)" in (failure.text or "")
    features = json.loads(cucumber.read_text(encoding="utf-8"))
    names = {f["name"] for f in features}
    assert {"A user's own IRIS checks", "Wrong on purpose", "cases"} <= names
    statuses = [s["result"]["status"] for f in features for e in f["elements"] for s in e["steps"]]
    assert "failed" in statuses and statuses.count("failed") == 1


def test_unknown_step_points_to_the_vocabulary(suite_dir: Path) -> None:
    (suite_dir / "odd.feature").write_text(
        "Feature: odd\n  Scenario: flying\n    Given a patient who flies\n    When the rules are evaluated\n"
        "    Then no alert fires\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test", str(suite_dir)])
    assert result.exit_code == 1
    assert "ERROR flying" in result.output and "docs/steps.md" in result.output


def test_against_a_running_service(suite_dir: Path, service_url: str) -> None:
    (suite_dir / "pass.feature").write_text(PASSING_FEATURE, encoding="utf-8")
    (suite_dir / "fail.feature").write_text(FAILING_FEATURE, encoding="utf-8")
    write_cases(suite_dir, passing_cases())
    shutil.copy(FHIR_BUNDLE, suite_dir / "bundle.json")
    write_cases(suite_dir, [{"name": "bundle", "scenario_file": "bundle.json", "at": "2026-06-01T09:00:00Z",
                             "expect": ["iris-risk"], "only": True}], "fhir.yaml")  # fmt: skip
    result = runner.invoke(app, ["test", str(suite_dir), "--url", service_url])
    assert result.exit_code == 1, result.output
    assert f"against {service_url}" in result.output
    assert "9 scenarios: 8 passed, 1 failed, 0 errors" in result.output


def test_the_service_features_run_against_the_running_service(service_url: str) -> None:
    """Regression: ``features/service`` errored: "Step definition is not found" outside tests/."""
    features = Path(__file__).resolve().parents[2] / "features" / "service"
    result = runner.invoke(app, ["test", str(features), "--url", service_url])
    assert result.exit_code == 0, result.output
    assert "0 failed, 0 errors" in result.output
    metrics = httpx.get(f"{service_url}/metrics", timeout=10).text
    # the hook calls and the feedback of the scenarios reached the service at --url
    assert 'clinrules_feedback_total{outcome="overridden"' in metrics
    assert 'clinrules_evaluations_total{service="order-sign"}' in metrics


def test_a_case_file_as_the_docs_write_it_runs_against_a_service(suite_dir: Path, service_url: str) -> None:
    """Regression: YAML reads unquoted dates as dates, which could not be sent as JSON (a traceback)."""
    (suite_dir / "cases.yaml").write_text(
        "at: 2026-06-01T12:00:00Z\n"
        "cases:\n"
        "  - name: Very low CD4 at ART start\n"
        "    scenario:\n"
        "      patient: {birth_date: 1984-03-02, sex: male}\n"
        "      conditions: [{code: B20}]\n"
        "      observations: [{kind: cd4, time: 2026-05-29, value: 42, unit: cells/uL}]\n"
        "      medications:\n"
        "        - {ingredient: dolutegravir, status: draft, draft: true, start: 2026-06-01T08:00:00Z}\n"
        "    expect: [{topic: iris-risk, indicator: warning}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test", str(suite_dir), "--url", service_url])
    assert result.exit_code == 0, result.output
    assert "1 scenarios: 1 passed, 0 failed, 0 errors" in result.output, result.output


@pytest.mark.parametrize("kind", ["case file", "feature file"])
def test_unreachable_service_exits_two(suite_dir: Path, kind: str) -> None:
    from tests.suites.server import free_port

    if kind == "case file":
        path = write_cases(suite_dir, passing_cases())
    else:
        path = suite_dir / "pass.feature"
        path.write_text(PASSING_FEATURE, encoding="utf-8")
    result = runner.invoke(app, ["test", str(path), "--url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 2, result.output
    assert "cannot reach" in result.output


def test_check_reports_each_unmet_expectation() -> None:
    expect = [{"topic": "a", "indicator": "critical"}, "b"]
    case = Case.model_validate({"name": "x", "scenario": {}, "expect": expect, "absent": ["c"], "only": True})
    cards = [Card("a", "warning"), Card("c", "info"), Card("d", "info")]
    assert check(case, cards) == [
        "a is warning, expected critical",
        "missing: b",
        "must not fire but fired: c (info)",
        "unexpected: c (info), d (info)",
    ]
    assert (
        check(
            case.model_copy(update={"absent": [], "only": False}), [Card("a", "critical"), Card("b", "info")]
        )
        == []
    )


def test_the_project_features_pass_and_every_count_agrees() -> None:
    """``clinrules test features/`` exits 0, counting what pytest collects and what the page shows."""
    import subprocess
    import sys

    from engine.knowledge import load_knowledge_base
    from service.catalogue import FEATURES_DIR, build_catalogue

    root = Path(__file__).resolve().parents[2]
    page = build_catalogue(load_knowledge_base(), FEATURES_DIR)["scenario_count"]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/test_features.py"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"{page} tests collected" in collected
    result = runner.invoke(app, ["test", str(root / "features")])
    assert result.exit_code == 0, result.output
    assert f"PASSED {page} scenarios: {page} passed, 0 failed, 0 errors" in result.output
