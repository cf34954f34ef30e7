"""The installable product: the wheel, in a fresh virtualenv outside the checkout, serves and runs suites.

The wheel is built with ``pip wheel --no-deps`` (the build backend comes from the package registry) and
installed with ``--no-deps`` into a new virtualenv in a temporary folder; its dependencies are those this test
runs with (the new environment reads their site-packages through a ``.pth`` file, which does not pull in an
editable clinrules). Everything then runs from the temporary folder, with no ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.suites.server import free_port

ROOT = Path(__file__).resolve().parents[2]
BUILD_IGNORES = (".git", ".venv", "build", "dist", "*.egg-info", "reports", "__pycache__", ".*_cache")

pytestmark = pytest.mark.slow

SUITE = """\
Feature: A committee member's own checks, written from docs/steps.md
  Scenario: A pregnant patient is proposed thalidomide
    Given a female patient aged 29
    And the patient is pregnant
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical

  Scenario: A CD4 count well above the threshold
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 450 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert does not fire
"""

SERVICE_SUITE = """\
Feature: The EHR's view
  Scenario: discovery
    Given the clinrules service is running
    When the EHR asks for the CDS services
    Then the service answers 200
"""


@dataclass(frozen=True)
class Installed:
    """The fresh environment: interpreter, console script, and a working folder outside the checkout."""

    python: Path
    clinrules: Path
    work: Path

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run the installed ``clinrules`` in the working folder."""
        return subprocess.run(
            [str(self.clinrules), *args], cwd=self.work, env=_env(self.work), capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CLINRULES_"))}
    env["CLINRULES_DATABASE_URL"] = f"sqlite:///{work / 'audit.db'}"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a copy, so that the build leaves nothing in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_IGNORES))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("clinrules-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A new virtualenv holding only the wheel (dependencies read from this environment)."""
    base = tmp_path_factory.mktemp("fresh")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True, capture_output=True, timeout=300, cwd=base, env=_env(base),
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "clinrules-test-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    work = base / "work"
    work.mkdir()
    return Installed(python=python, clinrules=env_dir / "bin" / "clinrules", work=work)


def test_the_wheel_carries_rules_features_page_and_step_library(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "engine/rulebase/iris/iris-risk.yaml" in names and "engine/rulebase/statements.yaml" in names
    assert "service/static/index.html" in names and "service/static/app.js" in names
    assert "service/suites/steps/given.py" in names
    assert "service/suites/steps/cds/patient-view-iris-risk.json" in names
    assert "service/features/clinical/iris-risk.feature" in names
    # every file of the packages ships (a new kind of data file needs its pattern in pyproject.toml)
    files = [f for d in ("engine", "service") for f in (ROOT / d).rglob("*") if f.is_file()]
    sources = {f.relative_to(ROOT).as_posix() for f in files if "__pycache__" not in f.parts}
    assert sources <= names, f"files missing from the wheel: {sorted(sources - names)}"


def test_the_installed_code_is_the_wheels(installed: Installed) -> None:
    where = subprocess.run(
        [str(installed.python), "-c", "import engine.paths as p; print(p.__file__, p.default_rules_dir())"],
        cwd=installed.work, env=_env(installed.work), capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(str(installed.python.parent.parent) in line for line in where), where
    assert where[1].endswith("engine/rulebase")


def test_rules_list_outside_the_checkout(installed: Installed) -> None:
    result = installed.run("rules", "list")
    assert result.returncode == 0, result.stderr
    assert "iris-risk" in result.stdout and "thalidomide-pregnancy" in result.stdout


def test_a_users_suite_in_process(installed: Installed) -> None:
    (installed.work / "mine.feature").write_text(SUITE, encoding="utf-8")
    (installed.work / "ehr.feature").write_text(SERVICE_SUITE, encoding="utf-8")
    result = installed.run("test", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 scenarios: 3 passed, 0 failed, 0 errors" in result.stdout


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[tuple[str, str]]:
    """``clinrules serve`` of the installed wheel on a free port; its URL and its first line of output."""
    port = free_port()
    log = installed.work / "serve.out"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [str(installed.clinrules), "serve", "--port", str(port)], cwd=installed.work,
            env=_env(installed.work), stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/health", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the installed service did not start") from None
                time.sleep(0.2)
        yield url, log.read_text(encoding="utf-8").splitlines()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_prints_where_to_go_and_serves_page_and_docs(served: tuple[str, str]) -> None:
    url, first_line = served
    assert first_line == f"clinrules on {url}/ui · API docs {url}/docs · CDS Hooks {url}/cds-services"
    page = httpx.get(f"{url}/ui", timeout=10)
    assert page.status_code == 200 and "clinrules" in page.text
    assert httpx.get(f"{url}/ui/static/app.js", timeout=10).status_code == 200
    catalogue = httpx.get(f"{url}/ui/api/catalogue", timeout=10).json()
    assert catalogue["scenario_count"] > 100 and all(r["scenarios"] for r in catalogue["rules"])
    services = httpx.get(f"{url}/cds-services", timeout=10).json()["services"]
    assert {s["hook"] for s in services} >= {"patient-view", "order-sign"}


def test_a_users_suite_against_the_installed_service(installed: Installed, served: tuple[str, str]) -> None:
    url, _ = served
    result = installed.run("test", ".", "--url", url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"against {url}" in result.stdout
    assert "3 scenarios: 3 passed, 0 failed, 0 errors" in result.stdout
