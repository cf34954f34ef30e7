"""A command given a rules folder reads every scenario with that folder's value sets, not the shipped ones.

The folder here adds a local name (``localhivterm``) and a local SNOMED CT code (999999001) to the ``hiv``
condition set; only its own value sets know them, so only they make the patient one with HIV and fire
``iris-risk``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from engine.paths import default_rules_dir
from service.app import create_app
from service.cli import app
from service.settings import Settings

runner = CliRunner()
LOCAL_CODE = "999999001"


@pytest.fixture
def local_rules(tmp_path: Path) -> Path:
    """The shipped rules, with ``localhivterm`` and SNOMED CT 999999001 added to the hiv condition set."""
    root = tmp_path / "v2"
    shutil.copytree(default_rules_dir(), root)
    path = root / "valuesets.yaml"
    sets = yaml.safe_load(path.read_text(encoding="utf-8"))
    hiv = sets["conditions"]["hiv"]
    hiv["text"] = [*hiv.get("text", []), "localhivterm"]
    hiv["hand_kept"]["snomed"]["codes"].append(LOCAL_CODE)
    path.write_text(yaml.safe_dump(sets, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def native(condition: dict[str, Any]) -> dict[str, Any]:
    """The README's example patient (CD4 42, dolutegravir being ordered) with ``condition`` as her HIV."""
    return {
        "patient": {"birth_date": "1984-03-02", "sex": "female"},
        "evaluation_time": "2026-06-01T09:00:00Z",
        "conditions": [condition],
        "observations": [{"kind": "cd4", "time": "2026-05-20", "value": 42, "unit": "cells/uL"}],
        "medications": [{"ingredient": "dolutegravir", "status": "draft", "draft": True}],
    }


def bundle() -> dict[str, Any]:
    """The same patient as a FHIR Bundle, her HIV coded only as SNOMED CT 999999001."""
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1984-03-02"},
        {
            "resourceType": "Condition",
            "id": "c",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": LOCAL_CODE}]},
            "onsetDateTime": "2025-11-01",
        },
        {
            "resourceType": "Observation",
            "id": "o",
            "status": "final",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "24467-3"}]},
            "effectiveDateTime": "2026-05-20",
            "valueQuantity": {
                "value": 42,
                "unit": "cells/uL",
                "system": "http://unitsofmeasure.org",
                "code": "/uL",
            },
        },
        {
            "resourceType": "MedicationRequest",
            "id": "m",
            "status": "draft",
            "intent": "order",
            "subject": {"reference": "Patient/p"},
            "medicationCodeableConcept": {"text": "dolutegravir"},
        },
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


LOCAL_TEXT = native({"text": "localhivterm", "onset": "2025-11-01"})
LOCAL_SNOMED = native({"code": LOCAL_CODE, "system": "snomed", "onset": "2025-11-01"})


def topics(scenario: dict[str, Any], tmp_path: Path, *options: str) -> list[str]:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path), "--json", "--at", "2026-06-01T09:00:00Z", *options])
    assert result.exit_code == 0, result.output
    return [f["topic"] for f in json.loads(result.output)["findings"]]


@pytest.mark.parametrize("scenario", [LOCAL_TEXT, LOCAL_SNOMED, bundle()], ids=["text", "snomed", "fhir"])
def test_evaluate_reads_the_scenario_with_the_rules_folders_value_sets(
    scenario: dict[str, Any], local_rules: Path, tmp_path: Path
) -> None:
    assert topics(scenario, tmp_path) == []
    assert topics(scenario, tmp_path, "--rules", str(local_rules)) == ["iris-risk"]


def test_a_case_file_under_test_rules_uses_the_folders_value_sets(local_rules: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    cases = [
        {"name": name, "scenario": scenario, "expect": ["iris-risk"]}
        for name, scenario in (("text", LOCAL_TEXT), ("snomed", LOCAL_SNOMED), ("fhir", bundle()))
    ]
    document = {"at": "2026-06-01T09:00:00Z", "cases": cases}
    (suite / "cases.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    result = runner.invoke(app, ["test", str(suite), "--rules", str(local_rules)])
    assert result.exit_code == 0, result.output
    assert "3 passed" in result.output


def test_rules_diff_lists_a_case_whose_cards_change_only_through_value_sets(
    local_rules: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    cases = [
        {"name": "local HIV name", "scenario": LOCAL_TEXT, "absent": ["il2-not-recommended"]},
        {"name": "B20", "scenario": native({"code": "B20"}), "absent": ["il2-not-recommended"]},
    ]
    (suite / "cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    result = runner.invoke(app, ["rules", "diff", str(default_rules_dir()), str(local_rules), str(suite)])
    assert result.exit_code == 1, result.output
    assert "1 of 2 scenarios change" in result.output
    changed = [line for line in result.output.splitlines() if "iris-risk" in line]
    assert changed and all("local HIV name" in line for line in changed), result.output


def test_the_service_reads_with_the_value_sets_of_its_rules_folder(local_rules: Path, tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'audit.db'}", rules_dir=local_rules, _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        for scenario in (LOCAL_TEXT, LOCAL_SNOMED, bundle()):
            response = client.post("/evaluate", json=scenario, params={"at": "2026-06-01T09:00:00Z"})
            assert response.status_code == 200, response.text
            assert [f["topic"] for f in response.json()["findings"]] == ["iris-risk"]


def test_rules_mutate_reads_the_cases_with_the_folders_value_sets(local_rules: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    cases = [{"name": "local HIV name", "scenario": LOCAL_TEXT, "expect": ["iris-risk"]}]
    (suite / "cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    args = [
        "rules",
        "mutate",
        str(suite),
        "--rules",
        str(local_rules),
        "--rule",
        "iris-risk",
        "--workers",
        "1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "fail on the rules as they are" not in result.output, result.output
