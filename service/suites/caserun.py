"""Running YAML/JSON case files directly (no pytest), in process or against a service."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.suites.cards import Card
from service.suites.cases import LoadedCase, SuiteFileError, load_case_file
from service.suites.check import check, expectations, unknown_topics
from service.suites.results import ScenarioResult
from service.suites.targets import CaseError, SuiteTarget

Progress = Callable[[int], None]
"""Called with the number of scenarios just finished."""


def run_case(loaded: LoadedCase, target: SuiteTarget, known: frozenset[str] | None = None) -> ScenarioResult:
    """Evaluate one case and check it; invalid data is an error result, not an exception, and so is a topic
    no rule has (``known``: the topics of the rules evaluated; default: the target's)."""
    case = loaded.case
    unknown = unknown_topics(case, known if known is not None else target.topics())
    start = time.perf_counter()
    result = ScenarioResult(
        suite=loaded.path, name=case.name, kind="case", status="passed", expected=expectations(case)
    )
    try:
        cards: list[Card] = target.evaluate(loaded.data, case.at)
    except CaseError as exc:
        result.status = "error"
        result.problems = [str(exc)]
    else:
        result.actual = cards
        result.problems = check(case, cards)
        result.status = "failed" if result.problems else "passed"
    if unknown:  # a misspelt topic makes the check meaningless; an error reading the data still shows
        kept = result.problems if result.actual is None else []
        result.status, result.problems = "error", [*unknown, *kept]
    result.duration = time.perf_counter() - start
    return result


def file_error(path: Path, exc: SuiteFileError) -> ScenarioResult:
    """The result standing for a case file that could not be loaded."""
    return ScenarioResult(suite=str(path), name="(file)", kind="case", status="error", problems=[exc.message])


def load_cases(paths: Iterable[Path]) -> tuple[list[LoadedCase], list[ScenarioResult]]:
    """Every case of the files, and an error result for each file that could not be loaded."""
    cases: list[LoadedCase] = []
    errors: list[ScenarioResult] = []
    for path in paths:
        try:
            cases.extend(load_case_file(path))
        except SuiteFileError as exc:
            errors.append(file_error(path, exc))
    return cases, errors


def run_cases(
    cases: list[LoadedCase], target: SuiteTarget, progress: Progress | None = None, workers: int = 1
) -> list[ScenarioResult]:
    """Run cases in file order; ``workers`` > 1 overlaps HTTP requests (the engine itself is serial)."""
    known = target.topics() if cases else None
    if workers <= 1:
        results = []
        for loaded in cases:
            results.append(run_case(loaded, target, known))
            if progress:
                progress(1)
        return results
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_case, loaded, target, known) for loaded in cases]
        ordered = []
        for future in futures:
            ordered.append(future.result())
            if progress:
                progress(1)
        return ordered
