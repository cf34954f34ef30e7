"""Cucumber JSON of a run: pytest-bdd's report of the feature files, plus one feature per case file.

A case becomes a scenario with three steps: ``Given the patient scenario "<name>"``, ``When the rules are
evaluated`` (failing when the scenario could not be evaluated) and ``Then`` its expectations (failing with
what was wrong), so any Cucumber report viewer shows case files beside feature files.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from service.suites.cards import card_labels
from service.suites.results import ScenarioResult, SuiteRun

NANOS = 1_000_000_000


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "case"


def _step(
    keyword: str, name: str, line: int, status: str, seconds: float, error: str | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {"status": status, "duration": int(seconds * NANOS)}
    if error:
        result["error_message"] = error
    return {"keyword": keyword, "name": name, "line": line, "match": {"location": ""}, "result": result}


def _case_element(r: ScenarioResult, index: int) -> dict[str, Any]:
    evaluated = r.status != "error"
    expectation = "; ".join(r.expected) or "nothing"
    problems = "\n".join([*r.problems, f"actual cards: {card_labels(r.actual)}"])
    then_status = "passed" if r.status == "passed" else ("failed" if evaluated else "skipped")
    return {
        "keyword": "Scenario",
        "id": f"{_slug(r.suite)};{_slug(r.name)}",
        "name": r.name,
        "line": index + 1,
        "description": "",
        "type": "scenario",
        "tags": [],
        "steps": [
            _step("Given", f'the patient scenario "{r.name}"', index + 1, "passed", 0.0),
            _step(
                "When",
                "the rules are evaluated",
                index + 1,
                "passed" if evaluated else "failed",
                r.duration,
                None if evaluated else problems,
            ),
            _step(
                "Then", expectation, index + 1, then_status, 0.0, problems if r.status == "failed" else None
            ),
        ],
    }


def cucumber_json(run: SuiteRun) -> list[dict[str, Any]]:
    """The Cucumber JSON document (a list of features)."""
    per_file: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in run.results:
        if r.kind == "case":
            per_file[r.suite].append(r)
    features = list(run.gherkin_cucumber)
    for suite, results in per_file.items():
        features.append(
            {
                "keyword": "Feature",
                "uri": suite,
                "name": Path(suite).stem,
                "id": _slug(suite),
                "line": 1,
                "description": "",
                "tags": [],
                "elements": [_case_element(r, i) for i, r in enumerate(results)],
            }
        )
    return features


def write_cucumber(run: SuiteRun, path: Path) -> None:
    """Write the run's Cucumber JSON to ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cucumber_json(run), indent=2, ensure_ascii=False), encoding="utf-8")
