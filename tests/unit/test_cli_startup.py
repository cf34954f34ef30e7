"""What the command line loads to start: only what the command it runs needs (no timings here; the start-up
time is measured by benchmarks/cli_startup.py)."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

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
    "pydantic_settings",  # CLINRULES_TIME_ZONE is read without it, unless a .env file may set it
    "asyncio",
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
OTHER_COMMANDS = ["service.analytics.command", "service.db_cli", "service.rules_cli", "service.terms_cli"]
"""The modules of the commands other than `evaluate`, `schema`, `test` and `serve`: imported only when one of
their commands runs or shows its help."""
COMMANDS = ["evaluate", "schema", "test", "serve", "terms", "report", "rules", "db"]
"""Every command, in the order `clinrules --help` lists them: those of service.cli, then the others."""


def _typer(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if m.partition(".")[0] == "typer")


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
    assert "click" in loaded  # the probe sees what was imported
    assert sorted(loaded & {*SERVICE_STACK, *ENGINE, *OTHER_COMMANDS}) == []
    assert _typer(loaded) == []


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
    assert _typer(loaded) == []
    assert sorted(loaded & set(OTHER_COMMANDS)) == []  # the other commands load lazily


def test_help_lists_every_command_without_loading_the_engine_or_the_commands(tmp_path: Path) -> None:
    shown = tmp_path / "help.txt"
    loaded = _modules_after(
        "import contextlib, io, pathlib\n"
        "from service.cli import app\n"
        "text = io.StringIO()\n"
        "with contextlib.redirect_stdout(text):\n"
        "    app(['--help'], standalone_mode=False)\n"
        f"pathlib.Path({str(shown)!r}).write_text(text.getvalue(), encoding='utf-8')"
    )
    listed = set(re.findall(r"^\W*([a-z]+) {2,}\S", shown.read_text(encoding="utf-8"), re.MULTILINE))
    assert set(COMMANDS) <= listed
    assert "engine.evaluator" not in loaded
    assert sorted(loaded & {*SERVICE_STACK, *ENGINE}) == []
    assert sorted(loaded & set(OTHER_COMMANDS)) == []  # their short help is in the lazy table


def test_the_lazy_table_says_what_each_command_says_of_itself() -> None:
    from click import Context, Group

    from service.cli import LAZY
    from service.cli_common import short_help

    assert isinstance(app, Group)
    assert app.list_commands(Context(app)) == COMMANDS
    for name, lazy in LAZY.items():
        command = app.get_command(Context(app), name)
        assert command is not None and command.name == name
        assert short_help(command) == lazy.short_help


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
