"""``clinrules test``: find the suites under the paths given, run them, collect one result per scenario."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from service.suites.caserun import load_cases, run_cases
from service.suites.cases import CASE_SUFFIXES, looks_like_case_file
from service.suites.gherkinrun import run_features
from service.suites.results import ScenarioResult, SuiteRun
from service.suites.targets import EngineSuiteTarget, HttpSuiteTarget, SuiteTarget, ensure_reachable


class ProgressSink(Protocol):
    """Receives progress: more scenarios to run, and scenarios finished."""

    def add_total(self, count: int) -> None:
        """``count`` more scenarios are known."""

    def advance(self, count: int) -> None:
        """``count`` scenarios finished."""


@dataclass
class Discovered:
    """The suite files under the paths given."""

    features: list[Path] = field(default_factory=list)
    case_files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def discover(paths: list[Path]) -> Discovered:
    """Feature files and case files: named files as given, folders searched recursively.

    In a folder, JSON/YAML files that hold no cases (scenario fixtures, say) are skipped; a file named
    explicitly is always read as a case file, so its errors are reported.
    """
    found = Discovered()
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.suffix == ".feature":
                    found.features.append(p)
                elif p.suffix in CASE_SUFFIXES and looks_like_case_file(p):
                    found.case_files.append(p)
        elif path.is_file() and path.suffix == ".feature":
            found.features.append(path)
        elif path.is_file():
            found.case_files.append(path)
        else:
            found.missing.append(str(path))
    return found


def make_target(url: str | None, rules_dir: Path | None) -> SuiteTarget:
    """The service at ``url``, or the engine in process with ``rules_dir``."""
    return HttpSuiteTarget(url) if url else EngineSuiteTarget(rules_dir)


def run_suites(
    found: Discovered,
    url: str | None = None,
    rules_dir: Path | None = None,
    progress: ProgressSink | None = None,
    target: SuiteTarget | None = None,
) -> SuiteRun:
    """Run case files (directly) and feature files (through pytest-bdd); results in file order."""
    start = time.perf_counter()
    run = SuiteRun(target=url or "engine")
    if url and target is None:
        ensure_reachable(url)  # before anything runs: a feature file would otherwise fail every scenario
    cases, errors = load_cases(found.case_files)
    if progress:
        progress.add_total(len(cases))
    run.results.extend(errors)
    if cases:
        target = target or make_target(url, rules_dir)
        try:
            run.results.extend(
                run_cases(cases, target, progress.advance if progress else None, workers=8 if url else 1)
            )
        finally:
            if isinstance(target, HttpSuiteTarget):
                target.close()

    def advance(_: ScenarioResult) -> None:
        if progress:
            progress.advance(1)

    gherkin, cucumber = run_features(
        found.features,
        url=url,
        rules_dir=rules_dir,
        on_collected=progress.add_total if progress else None,
        on_result=advance,
    )
    run.results.extend(gherkin)
    run.gherkin_cucumber = cucumber
    run.duration = time.perf_counter() - start
    return run
