"""First contact: what a run leaves behind is ignored by git; the run command installs no browser."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from service.app import create_app
from service.server import welcome
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

ROOT = Path(__file__).resolve().parents[2]


def test_what_a_run_leaves_is_ignored(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'clinrules.db'}", _env_file=None)
    with TestClient(create_app(settings)) as client:
        answer = client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk"))
        assert answer.status_code == 200
        left = sorted(p.name for p in tmp_path.iterdir())
    assert ".clinrules-salt" in left and "clinrules.db" in left
    check = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *left, "reports/junit.xml"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    not_ignored = [line.split("\t")[-1] for line in check.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == [], f"left in the checkout and not in .gitignore: {not_ignored}"


def test_the_run_command_installs_no_browser() -> None:
    for script in ("scripts/serve.sh", "scripts/setup.sh"):
        text = (ROOT / script).read_text(encoding="utf-8")
        assert "apt-get" not in text and "chromium" not in text.lower(), script
    assert "chromium" in (ROOT / "scripts" / "browser.sh").read_text(encoding="utf-8")
    assert "scripts/browser.sh" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")


def test_the_welcome_line_names_page_docs_and_cds_hooks() -> None:
    assert welcome("0.0.0.0", 8000) == (
        "clinrules on http://127.0.0.1:8000/ui · API docs http://127.0.0.1:8000/docs"
        " · CDS Hooks http://127.0.0.1:8000/cds-services"
    )
    assert welcome("::1", 9000).startswith("clinrules on http://[::1]:9000/ui")


def _usable(python: str) -> bool:
    """A CPython 3.11 or 3.12 that can make a venv and has its C headers."""
    probe = (
        "import ensurepip, os, sys, sysconfig, venv\n"
        "assert (3, 11) <= sys.version_info[:2] < (3, 13)\n"
        "assert os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))\n"
    )
    return (
        Path(python).is_file() and subprocess.run([python, "-c", probe], capture_output=True).returncode == 0
    )


def _chosen(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    run = subprocess.run(
        ["bash", "scripts/python.sh"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip()


def test_setup_makes_the_venv_from_the_systems_optimised_python() -> None:
    assert _chosen(PYTHON="/opt/own/bin/python3.11") == "/opt/own/bin/python3.11"
    system = [p for p in ("/usr/bin/python3.12", "/usr/bin/python3.11") if _usable(p)]
    assert _chosen() == (system[0] if system else "python3")
    assert "scripts/python.sh" in (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
