"""What the command line loads to start: only what the command it runs needs (no timings here; the start-up
time is measured by benchmarks/cli_startup.py)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import engine
from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = {
    "patient": {"birth_date": "1984-03-02", "sex": "female"},
    "evaluation_time": "2026-06-01T09:00:00Z",
    "conditions": [{"code": "B20"}],
    "medications": [{"ingredient": "thalidomide", "status": "draft", "draft": True}],
}
SERVICE_STACK = [
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "prometheus_client",
    "httpx",
    "fhir.resources",
    "engine.fhir",
    "engine.lint",
    "service.app",
    "service.settings",
    "service.suites",
]
"""Never needed to evaluate a scenario in the project's JSON from the command line."""
ENGINE = [
    "pydantic",
    "yaml",
    "durable",
    "engine.evaluator",
    "engine.knowledge",
    "engine.scenario",
    "rich.table",
]
"""Needed by the commands that evaluate or show rules, not by the command line itself."""


def _modules_after(code: str) -> set[str]:
    """The modules loaded by a fresh interpreter that ran ``code`` (which prints nothing itself)."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_command_line_loads_neither_the_engine_nor_the_service() -> None:
    loaded = _modules_after("import service.cli")
    assert "typer" in loaded  # the probe sees what was imported
    assert sorted(loaded & {*SERVICE_STACK, *ENGINE}) == []


def test_evaluating_project_json_loads_the_engine_but_not_the_service_nor_fhir(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    loaded = _modules_after(
        "import contextlib, io\n"
        "from service.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    app(['evaluate', {str(scenario)!r}], standalone_mode=False)"
    )
    assert {"engine.evaluator", "durable", "rich.table"} <= loaded  # it did evaluate, and print a table
    assert sorted(loaded & set(SERVICE_STACK)) == []


def test_a_command_run_in_process_leaves_the_garbage_collector_on(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    assert gc.isenabled()
    result = CliRunner().invoke(app, ["evaluate", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "thalidomide-teratogenicity" in result.output
    assert gc.isenabled()


def test_a_command_run_as_its_own_process_prints_the_same(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    in_process = CliRunner().invoke(app, ["evaluate", str(scenario), "--json"])
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "evaluate", str(scenario), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(done.stdout) == json.loads(in_process.stdout)


def test_the_engine_package_still_exports_its_entry_points() -> None:
    from engine import Evaluator, KnowledgeBase, Scenario, load_knowledge_base
    from engine.evaluator import Evaluator as Defined

    assert Evaluator is Defined
    assert {"Evaluation", "Evaluator", "KnowledgeBase", "Scenario", "load_knowledge_base"} <= set(dir(engine))
    assert KnowledgeBase.__module__ == "engine.knowledge" and Scenario.__module__ == "engine.scenario"
    assert callable(load_knowledge_base)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = engine.nope


def test_a_short_command_run_as_its_own_process_turns_the_collector_off(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    probe = (
        "import contextlib, gc, io, sys\n"
        "from service.cli import app\n"
        "from service.cli_common import run_as_process\n"
        f"sys.argv = ['clinrules', 'evaluate', {str(scenario)!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    run_as_process(app)\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT, check=True
    )
    assert done.stdout.split() == ["False", "True"]
