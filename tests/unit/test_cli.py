"""The command line: evaluate, schema and the rules commands, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from service.cli import app

runner = CliRunner()
STARTING_ART: dict[str, Any] = {
    "patient": {"birth_date": "1990-05-01", "sex": "female"},
    "evaluation_time": "2026-04-10T09:00:00Z",
    "conditions": [{"code": "B20"}],
    "observations": [{"kind": "cd4", "time": "2026-02-01", "value": 45}],
    "medications": [{"ingredient": "dolutegravir", "start": "2026-02-15"}],
}


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(STARTING_ART))
    return path


def test_evaluate_prints_a_table_of_alerts(scenario_file: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(scenario_file)])
    assert result.exit_code == 0, result.output
    assert "iris-risk" in result.output and "Baseline CD4" in result.output


def test_evaluate_json_and_evaluation_time_option(scenario_file: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(scenario_file), "--json"])
    payload = json.loads(result.stdout)
    assert [f["topic"] for f in payload["findings"]] == ["iris-risk"]
    later = runner.invoke(app, ["evaluate", str(scenario_file), "--json", "--at", "2026-12-01T00:00:00Z"])
    assert json.loads(later.stdout)["findings"] == []


def test_evaluate_reads_stdin() -> None:
    result = runner.invoke(app, ["evaluate", "-", "--json"], input=json.dumps(STARTING_ART))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["facts"]["baseline_cd4"] == 45


def test_invalid_scenario_gives_one_line_per_field_and_exit_2() -> None:
    bad = {
        "observations": [
            {"kind": "cd4", "time": "2026-01-01", "value": 5, "unit": "mg"},
            {"kind": "cd4", "time": "2026-01-01", "value": "lots"},
        ],
        "colour": "red",
    }
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "evaluate", "-"],
        input=json.dumps(bad),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    fields = [line.split(":")[1].strip() for line in lines]
    # observations.0's unit cannot be converted: left out with a note, not an error (KNOWLEDGE.md §4).
    assert fields == ["observations.1.value", "colour"]
    assert "Traceback" not in done.stderr


def test_a_result_dated_after_the_evaluation_time_is_in_the_notes() -> None:
    later = [{"kind": "cd4", "time": "2026-04-11T09:00:00Z", "value": 45}]
    scenario = {**STARTING_ART, "observations": later}
    result = runner.invoke(app, ["evaluate", "-", "--json"], input=json.dumps(scenario))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notes"] == [
        "cd4 45 cells/uL of 2026-04-11T09:00:00+00:00: dated after the evaluation time; not used"
    ]


def test_unconvertible_unit_is_left_out_with_a_note() -> None:
    scenario = {
        "evaluation_time": "2026-06-01T09:00:00Z",
        "observations": [
            {"kind": "cd4", "time": "2026-01-01", "value": 5, "unit": "mg"},
            {"kind": "cd4", "time": "2026-02-01", "value": 45, "unit": "cells/uL"},
        ],
    }
    result = runner.invoke(app, ["evaluate", "-", "--json"], input=json.dumps(scenario))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["notes"] == ["observations.0: unit 'mg' cannot be converted for cd4; left out"]
    assert payload["facts"]["latest_cd4"] == 45  # the other observation still counts
    table = runner.invoke(app, ["evaluate", "-"], input=json.dumps(scenario))
    assert table.exit_code == 0
    assert "unit 'mg' cannot be converted for cd4; left out" in table.output


def test_a_medication_ending_before_it_starts_is_kept_without_its_end() -> None:
    scenario = {
        "patient": {"birth_date": "1990-01-01", "sex": "female"},
        "evaluation_time": "2026-06-10T12:00:00Z",
        "observations": [{"kind": "cd4", "time": "2026-01-01", "value": 5, "unit": "mg"}],
        "medications": [
            {"ingredient": "prednisone", "start": "2026-01-01"},
            {"ingredient": "thalidomide", "status": "draft", "start": "2026-06-10", "end": "2026-05-10"},
        ],
    }
    result = runner.invoke(app, ["evaluate", "-", "--json"], input=json.dumps(scenario))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["notes"] == [
        "observations.0: unit 'mg' cannot be converted for cd4; left out",
        "medications.1.end: ends before it starts ('2026-05-10T00:00:00+00:00' is before the start "
        "'2026-06-10T00:00:00+00:00'); the end is not used",
    ]
    assert "thalidomide-teratogenicity" in [f["topic"] for f in payload["findings"]]
    strict = parse_scenario_errors(scenario)
    assert strict == ["observations.0.unit", "medications.1.end"]  # the strict reading still refuses both


def parse_scenario_errors(data: dict[str, Any]) -> list[str]:
    """The fields the strict reading of the project's JSON refuses."""
    from engine.errors import ScenarioError
    from engine.validation import parse_scenario

    with pytest.raises(ScenarioError) as refused:
        parse_scenario(data)
    return [p.field for p in refused.value.problems]


def test_malformed_json_is_a_clear_error() -> None:
    result = runner.invoke(app, ["evaluate", "-"], input='{"observations": [')
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


def test_schema_is_json_schema_of_a_scenario() -> None:
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    assert set(schema["properties"]) >= {"patient", "observations", "conditions", "medications"}


def test_rules_list_show_and_coverage() -> None:
    listed = runner.invoke(app, ["rules", "list"])
    assert listed.exit_code == 0 and "thalidomide-pregnancy" in listed.output
    header = next(line for line in listed.output.splitlines() if " id " in line)
    helped = " ".join(runner.invoke(app, ["rules", "list", "--help"]).output.split())
    columns = header.replace("┃", " ").split()
    assert columns == ["id", "version", "status", "indicator", "evidence", "title"]
    assert f"{', '.join(columns[:-1])} and {columns[-1]}" in helped  # the help names the columns shown
    shown = runner.invoke(app, ["rules", "show", "iris-risk"])
    assert shown.exit_code == 0 and "cd4_below = 100" in shown.output and "aidsinfonet-483" in shown.output
    assert runner.invoke(app, ["rules", "show", "nope"]).exit_code == 2
    coverage = runner.invoke(app, ["rules", "coverage"])
    assert coverage.exit_code == 0 and "0 not covered" in coverage.output


def test_a_broken_rules_folder_stops_with_file_and_field(tmp_path: Path) -> None:
    from tests.kb_factory import make_kb_dir, rule

    root = make_kb_dir(tmp_path, [rule("bad", {"fact": "nope", "is": True})])
    result = runner.invoke(app, ["rules", "list", "--rules", str(root)])
    assert result.exit_code == 3
    assert "bad.yaml: when.fact: unknown fact 'nope'" in result.output
