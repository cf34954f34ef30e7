"""``clinrules rules mutate``: mutants run against Gherkin and case suites, reported in words and files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.knowledge import load_knowledge_base
from service.catalogue import build_catalogue
from service.cli import app
from service.suites.gherkin_inprocess import (
    GherkinUnavailable,
    load_step_library,
    read_scenarios,
    run_scenario,
)
from service.suites.mutate import MutationRun, SuiteNotReady, mutate
from service.suites.steps.target import EngineTarget
from tests.kb_factory import make_kb_dir, rule
from tests.suites.conftest import FAILING_FEATURE, PASSING_FEATURE, scenario

HIV = "HIV infection recorded, or a detectable HIV-1 RNA result"
STARTING = "Starting antiretroviral therapy now (ordered while no course is current: first start or restart)"

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "'Baseline CD4 count (last before ART start, within 180 days)'"
runner = CliRunner()

RISK = rule(
    "risk",
    {
        "all": [
            {"fact": "hiv", "is": True},
            {"fact": "art_starting_now", "is": True},
            {"fact": "baseline_cd4", "lt": {"param": "cd4_below"}},
        ]
    },
    parameters={"cd4_below": {"value": 100, "min": 0, "max": 500, "description": "CD4 below"}},
)
FEATURE = """\
Feature: Our own review of the risk rule
  Scenario: Very low CD4 when ART is ordered
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 42 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "risk" alert is warning
"""
NO_HIV_CASE = {
    "name": "ART ordered without HIV",
    "scenario": {**scenario(42), "conditions": []},
    "absent": ["risk"],
}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A rules folder with one rule and a suite folder with one feature file."""
    rules = make_kb_dir(tmp_path, [RISK])
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "risk.feature").write_text(FEATURE, encoding="utf-8")
    return rules, suite


def titles(run: MutationRun, status: str) -> set[str]:
    return {r.mutant.title for r in run.results if r.status == status}


def test_survivors_are_listed_in_words_and_killed_mutants_name_the_scenario(setup: tuple[Path, Path]) -> None:
    rules, suite = setup
    run = mutate([suite], rules, workers=1)
    assert titles(run, "survived") == {
        "risk: cd4_below 100 → 101",
        "risk: cd4_below 100 → 99",
        f"risk: {BASELINE} below cd4_below became at most cd4_below",
        f"risk: without '{HIV}'",
        f"risk: without '{STARTING}'",
        f"risk: without {BASELINE} below cd4_below",
    }
    killed = [r for r in run.results if r.status == "killed"]
    assert {r.mutant.kind for r in killed} == {"is-flipped", "indicator-lowered"}
    lowered = next(r for r in killed if r.mutant.kind == "indicator-lowered")
    assert lowered.killed_by is not None and lowered.killed_by.endswith(
        "risk.feature:2: Very low CD4 when ART is ordered"
    )
    assert "is warning" in lowered.detail


def test_case_files_kill_mutants_and_equivalents_are_applied_and_checked(setup: tuple[Path, Path]) -> None:
    rules, suite = setup
    (suite / "cases.yaml").write_text(yaml.safe_dump({"cases": [NO_HIV_CASE]}), encoding="utf-8")
    (rules / "mutation-equivalents.yaml").write_text(
        yaml.safe_dump(
            {
                "equivalents": [
                    {"rule": "risk", "kind": "threshold", "target": "cd4_below 100 → 101",
                     "reason": "no CD4 count between 100 and 101 is ever reported"},
                    {"rule": "risk", "kind": "is-flipped", "target": "hiv is true",
                     "reason": "wrongly listed here"},
                    {"rule": "risk", "kind": "clause-deleted", "target": "sex eq male",
                     "reason": "no such clause"},
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )  # fmt: skip
    run = mutate([suite], rules, workers=1)
    without_hiv = next(r for r in run.results if r.mutant.title == f"risk: without '{HIV}'")
    assert without_hiv.status == "killed" and "ART ordered without HIV" in str(without_hiv.killed_by)
    assert titles(run, "equivalent") == {"risk: cd4_below 100 → 101"}
    flipped = next(
        r for r in run.results if r.mutant.kind == "is-flipped" and r.mutant.target == "hiv is true"
    )
    assert flipped.status == "killed" and flipped.wrongly_equivalent
    assert len(run.warnings) == 2
    assert "listed as equivalent but a scenario kills it" in run.warnings[0]
    assert "equivalents.2 (risk, clause-deleted, sex eq male) matches no mutant" in run.warnings[1]
    # Mutating another rule only, the entries about this one are not checked.
    (rules / "other.yaml").write_text(
        yaml.safe_dump(rule("other", {"fact": "il2_medication", "is": True})), encoding="utf-8"
    )
    assert mutate([suite], rules, workers=1, rule_ids=["other"]).warnings == []


def test_scenarios_failing_on_the_rules_as_they_are_are_left_out_and_listed(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    rules, suite = setup
    wrong = FEATURE.replace("alert is warning", "alert is critical").replace(
        "Very low CD4", "Wrong on purpose"
    )
    (suite / "wrong.feature").write_text(wrong, encoding="utf-8")
    run = mutate([suite], rules, workers=1)
    assert run.scenarios == 1 and len(run.excluded) == 1
    assert (
        'wrong.feature:2: Wrong on purpose when ART is ordered: failed: Then the "risk" alert is critical'
        in (run.excluded[0])
    )
    # Left out, it kills nothing: the same survivors as without it.
    assert len(titles(run, "survived")) == 6
    junit = tmp_path / "m.xml"
    done = runner.invoke(app, ["rules", "mutate", str(suite), "--rules", str(rules), "--junit", str(junit)])
    assert (
        done.exit_code == 0 and "1 scenario(s) fail on the rules as they are and were left out" in done.output
    )
    assert ET.parse(junit).getroot().find(".//testcase[@classname='baseline']/error") is not None
    (suite / "risk.feature").unlink()
    with pytest.raises(SuiteNotReady, match="every scenario fails") as caught:
        mutate([suite], rules, workers=1)
    assert "Wrong on purpose" in caught.value.details[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SuiteNotReady, match="no scenario found"):
        mutate([empty], workers=1)


def test_in_process_gherkin_runs_as_pytest_bdd_does(tmp_path: Path) -> None:
    (tmp_path / "ok.feature").write_text(PASSING_FEATURE, encoding="utf-8")
    (tmp_path / "wrong.feature").write_text(
        FAILING_FEATURE + "\n  Scenario: A sentence nobody defined\n    Given the moon is full\n",
        encoding="utf-8",
    )
    scenarios = read_scenarios([tmp_path / "ok.feature", tmp_path / "wrong.feature"])
    assert [s.title for s in scenarios] == [
        "Very low CD4 when ART is ordered",
        "Threshold [60-fires]",
        "Threshold [99-fires]",
        "Threshold [150-does not fire]",
        "Expects critical where the rule says warning",
        "A sentence nobody defined",
    ]
    library, target = load_step_library(), EngineTarget()
    outcomes = [run_scenario(s, library, target) for s in scenarios]
    assert [o for o, _ in outcomes] == ["passed"] * 4 + ["failed", "error"]
    assert outcomes[4][1].startswith('Then the "iris-risk" alert is critical')
    assert "no step definition matches: Given the moon is full" in outcomes[5][1]


def test_cli_table_json_junit_and_min_score(setup: tuple[Path, Path], tmp_path: Path) -> None:
    rules, suite = setup
    junit = tmp_path / "reports" / "mutation.xml"
    args = ["rules", "mutate", str(suite), "--rules", str(rules), "--workers", "1"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "Surviving mutants" in table.output and f"risk: without '{HIV}'" in table.output
    assert "9 mutants: 3 killed, 6 survived, 0 invalid, 0 equivalent; score 33.3%" in table.output
    as_json = runner.invoke(app, [*args, "--json", "--junit", str(junit), "--min-score", "50"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["summary"] == {
        "killed": 3,
        "survived": 6,
        "invalid": 0,
        "equivalent": 0,
        "mutants": 9,
        "score": 0.3333,
    }
    assert data["kinds"]["is-flipped"]["score"] == 1.0 and data["rules"]["risk"]["mutants"] == 9
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "6" and root.get("tests") == "9"
    failure = root.find(f".//testcase[@name=\"clause-deleted: without '{HIV}'\"]/failure")
    assert failure is not None and "mutant survived" in str(failure.get("message"))
    assert runner.invoke(app, [*args, "--min-score", "33"]).exit_code == 0


def test_cli_exit_codes_for_what_cannot_run(setup: tuple[Path, Path], tmp_path: Path) -> None:
    rules, suite = setup
    missing = runner.invoke(app, ["rules", "mutate", str(tmp_path / "nowhere"), "--rules", str(rules)])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    unknown = runner.invoke(app, ["rules", "mutate", str(suite), "--rules", str(rules), "--rule", "nope"])
    assert unknown.exit_code == 2 and "no rule nope" in unknown.output
    (rules / "risk.yaml").write_text("id: risk\n", encoding="utf-8")
    broken = runner.invoke(app, ["rules", "mutate", str(suite), "--rules", str(rules)])
    assert broken.exit_code == 3 and "risk.yaml" in broken.output


def test_worker_processes_give_the_same_results_as_one(setup: tuple[Path, Path], tmp_path: Path) -> None:
    """Through the console script, single-threaded: the workers are forked from it."""
    rules, suite = setup
    (suite / "cases.yaml").write_text(yaml.safe_dump({"cases": [NO_HIV_CASE]}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "service.cli",
        "rules",
        "mutate",
        str(suite),
        "--rules",
        str(rules),
        "--json",
    ]
    done = subprocess.run([*command, "--workers", "2"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    pooled = json.loads(done.stdout)
    assert pooled["workers"] == 2
    alone = mutate([suite], rules, workers=1)
    assert [(m["id"], m["status"]) for m in pooled["mutants"]] == [
        (r.mutant.id, r.status) for r in alone.results
    ]


def test_the_catalogue_shows_scores_only_for_the_rules_they_were_computed_for(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    rules, suite = setup
    scores = rules / "mutation-scores.json"
    done = runner.invoke(
        app, ["rules", "mutate", str(suite), "--rules", str(rules), "--write-scores", str(scores)]
    )
    assert done.exit_code == 0, done.output
    (entry,) = build_catalogue(load_knowledge_base(rules), tmp_path)["rules"]
    assert entry["mutation"] == {
        "mutants": 9, "killed": 3, "survived": 6, "invalid": 0, "equivalent": 0, "score": 0.3333
    }  # fmt: skip
    text = (rules / "risk.yaml").read_text(encoding="utf-8")
    (rules / "risk.yaml").write_text(text.replace("version: 1.0.0", "version: 1.0.1"), encoding="utf-8")
    (edited,) = build_catalogue(load_knowledge_base(rules), tmp_path)["rules"]
    assert edited["mutation"] is None


def test_a_missing_step_library_is_reported_not_crashed() -> None:
    with pytest.raises(GherkinUnavailable, match="no_such_steps"):
        load_step_library(("no_such_steps.given",))


def test_with_other_threads_running_the_workers_are_started_fresh(setup: tuple[Path, Path]) -> None:
    """Forking a process whose other threads may hold locks is unsafe: such a process spawns its workers."""
    rules, suite = setup
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        pooled = mutate([suite], rules, workers=2)
    finally:
        release.set()
        other.join()
    alone = mutate([suite], rules, workers=1)
    assert pooled.workers == 2
    assert [(r.mutant.id, r.status) for r in pooled.results] == [
        (r.mutant.id, r.status) for r in alone.results
    ]
