"""Running user feature files through pytest-bdd with the project's step library, in a subprocess.

One generated test module per feature file (so one broken file does not hide the others) binds it with
``scenarios()``; :mod:`service.suites.bdd_plugin` supplies the target and streams one JSON line per scenario,
which this module turns into :class:`~service.suites.results.ScenarioResult` while the run goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.suites.cards import Card
from service.suites.results import ScenarioResult, Status
from service.suites.topics import MISTAKE_MARKER

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the ``service`` package this process runs."""


def display_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it is below it, else as is."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _example_id(nodeid: str) -> str | None:
    if nodeid.endswith("]") and "[" in nodeid:
        return nodeid[nodeid.index("[") + 1 : -1]
    return None


def _result(record: dict[str, Any], modules: dict[str, Path]) -> ScenarioResult:
    scenario = record.get("scenario") or {}
    feature = scenario.get("feature") or {}
    module = record["nodeid"].split("::", 1)[0]
    suite = display_path(feature.get("filename") or modules.get(module, module))
    name = scenario.get("name") or record["nodeid"].split("::")[-1]
    steps: list[dict[str, Any]] = list(scenario.get("steps") or [])
    message = str(record.get("message") or "")
    status: Status = "passed"
    expected: list[str] = []
    problems: list[str] = []
    if record["outcome"] == "failed":
        status = "failed" if record.get("when") == "call" else "error"
        if "StepDefinitionNotFoundError" in message or "Step definition is not found" in message:
            status = "error"
            problems.append(message.split("StepDefinitionNotFoundError: ")[-1] + " (see docs/steps.md)")
        elif MISTAKE_MARKER in message:
            status = "error"
            problems.append(message.split(MISTAKE_MARKER, 1)[1].strip())
        else:
            for line in message.splitlines():
                if line.startswith("assert "):
                    break  # pytest's own rendering of the comparison repeats the message
                if line.strip():
                    problems.append(line.removeprefix("AssertionError: "))
        failing = next((s for s in steps if s.get("failed")), None)
        if failing is not None and status == "failed":
            expected.append(f"{failing.get('keyword', '')} {failing.get('name', '')}".strip())
    elif record["outcome"] == "skipped":
        status = "error"
        problems.append(f"skipped: {message}")
    alerts = record.get("alerts")
    return ScenarioResult(
        suite=suite,
        name=name,
        kind="gherkin",
        status=status,
        duration=float(record.get("duration") or 0.0),
        line=scenario.get("line_number"),
        expected=expected,
        problems=problems,
        actual=None if alerts is None else [Card.from_json(a) for a in alerts],
        example=_example_id(record["nodeid"]),
        steps=steps,
    )


def run_features(
    features: list[Path],
    url: str | None = None,
    rules_dir: Path | None = None,
    on_collected: Callable[[int], None] | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> tuple[list[ScenarioResult], list[dict[str, Any]]]:
    """Run the feature files; return a result per scenario and pytest-bdd's Cucumber JSON."""
    if not features:
        return [], []
    with tempfile.TemporaryDirectory(prefix="clinrules-suite-") as tmp:
        work = Path(tmp)
        (work / "pytest.ini").write_text("[pytest]\nbdd_features_base_dir = /\n", encoding="utf-8")
        modules: dict[str, Path] = {}
        for i, feature in enumerate(features):
            name = f"test_feature_{i:04d}.py"
            modules[name] = feature
            (work / name).write_text(
                f"from pytest_bdd import scenarios\n\nscenarios({json.dumps(str(feature.resolve()))})\n",
                encoding="utf-8",
            )
        results_path, cucumber_path, output_path = (
            work / "results.jsonl",
            work / "cucumber.json",
            work / "out",
        )
        env = dict(os.environ)
        # the pytest subprocess imports the same clinrules (checkout or installed) as this process
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        env["CLINRULES_TEST_RESULTS"] = str(results_path)
        env.pop("CLINRULES_TEST_URL", None)
        if url:
            env["CLINRULES_TEST_URL"] = url
        if rules_dir is not None:
            env["CLINRULES_RULES_DIR"] = str(rules_dir.resolve())
        command = [
            sys.executable, "-m", "pytest", *modules, "-c", str(work / "pytest.ini"), "--rootdir", str(work),
            "-p", "service.suites.bdd_plugin", "-p", "no:cacheprovider", "-q", "--no-header",
            "--import-mode=importlib", f"--cucumberjson={cucumber_path}",
        ]  # fmt: skip
        results: list[ScenarioResult] = []
        with open(output_path, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
            offset = 0
            while True:
                finished = proc.poll() is not None
                if results_path.exists():
                    with open(results_path, encoding="utf-8") as fh:
                        fh.seek(offset)
                        chunk = fh.read()
                    complete = chunk[: chunk.rfind("\n") + 1]
                    offset += len(complete.encode("utf-8"))
                    for line in complete.splitlines():
                        record = json.loads(line)
                        if record["event"] == "collected" and on_collected:
                            on_collected(int(record["count"]))
                        elif record["event"] == "collect-error":
                            module = record["nodeid"].split("::", 1)[0]
                            results.append(_collect_error(modules.get(module), record["message"]))
                        elif record["event"] == "result":
                            results.append(_result(record, modules))
                            if on_result:
                                on_result(results[-1])
                if finished:
                    break
                time.sleep(0.05)
        if proc.returncode not in (0, 1) and not results:
            tail = output_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            results.append(
                ScenarioResult(
                    suite=", ".join(display_path(f) for f in features),
                    name="(pytest)",
                    kind="gherkin",
                    status="error",
                    problems=[f"pytest exited with code {proc.returncode}", *tail],
                )
            )
        cucumber: list[dict[str, Any]] = []
        if cucumber_path.exists():
            try:
                cucumber = json.loads(cucumber_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                cucumber = []
        return results, cucumber


def _collect_error(feature: Path | None, message: str) -> ScenarioResult:
    lines = [line for line in message.splitlines() if line.strip()]
    wanted = [line for line in lines if line.startswith("E ") or "Error" in line][-3:] or lines[-3:]
    return ScenarioResult(
        suite=display_path(feature) if feature else "(feature)",
        name="(file)",
        kind="gherkin",
        status="error",
        problems=[line.removeprefix("E ").strip() for line in wanted],
    )
