"""The project's own specification against every mutant of the shipped rules.

Every mutant that is not listed as equivalent (with the reason) must be killed by a scenario in
``features/clinical``, and the per-rule scores the catalogue shows (``rules/mutation-scores.json``) must be
the ones this run gives. After a rule or scenario change, refresh them with::

    clinrules rules mutate features/clinical --write-scores rules/mutation-scores.json
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.knowledge import load_knowledge_base
from engine.mutation.equivalents import EQUIVALENTS_FILE
from engine.paths import default_rules_dir
from service.mutation_scores import SCORES_FILE, file_hash, suites_hash
from service.suites.mutate import mutate
from service.suites.mutation_report import scores_json
from service.suites.runner import discover

CLINICAL = Path(__file__).resolve().parents[2] / "features" / "clinical"
REFRESH = "clinrules rules mutate features/clinical --write-scores rules/mutation-scores.json"


def recorded() -> dict[str, object]:
    data: dict[str, object] = json.loads((default_rules_dir() / SCORES_FILE).read_text(encoding="utf-8"))
    return data


def test_the_recorded_scores_are_for_these_rules_and_scenarios() -> None:
    """Cheap staleness check: the hashes recorded with the scores match the files as they are."""
    scores = recorded()
    found = discover([CLINICAL])
    assert scores["ruleset_version"] == load_knowledge_base().version, f"rules changed: run {REFRESH}"
    assert scores["suites_hash"] == suites_hash([*found.features, *found.case_files]), (
        f"scenarios changed: run {REFRESH}"
    )
    assert scores["equivalents_hash"] == file_hash(default_rules_dir() / EQUIVALENTS_FILE), f"run {REFRESH}"


def test_the_clinical_specification_kills_every_mutant_that_is_not_equivalent() -> None:
    run = mutate([CLINICAL])
    survivors = [r.mutant.title for r in run.results if r.status == "survived"]
    assert survivors == [], (
        "mutants no scenario notices (docs/mutation.md says how to add one):\n" + "\n".join(survivors)
    )
    assert run.warnings == [] and run.excluded == []
    assert {r.status for r in run.results} >= {"killed"}
    # Each equivalent mutant has its reason; each invalid one is refused by the loader, never by a crash.
    assert all(r.detail for r in run.results if r.status in ("equivalent", "invalid"))
    assert all("the loader refuses it" in r.detail for r in run.results if r.status == "invalid")
    assert scores_json(run) == recorded(), f"the recorded scores are stale: run {REFRESH}"
