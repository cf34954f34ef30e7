"""``clinrules rules mutate``: run scenario suites against every mutant of the rules, in worker processes.

The suites are read once per process: Gherkin scenarios run in process with the step library
(:mod:`service.suites.gherkin_inprocess`), case files directly. First every scenario runs on the rules as
they are (the baseline): one that fails already is left out and listed; the topics each of the others names
or sees fire decide which scenarios a mutant of a rule meets first. Each worker process then builds each
mutant it is given into its own engine and runs the scenarios until one fails (the mutant is *killed*) or
none is left (it *survived*). A mutant the loader refuses is *invalid*; a survivor listed in
``mutation-equivalents.yaml`` is *equivalent*.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.errors import KnowledgeBaseError
from engine.evaluator import Evaluator
from engine.knowledge import KnowledgeBase, load_knowledge_base
from engine.mutation.build import generate_mutants, mutant_knowledge_base
from engine.mutation.equivalents import EQUIVALENTS_FILE, Equivalent, equivalent_for, load_equivalents
from engine.mutation.mutants import Mutant
from service.suites.gherkinrun import display_path
from service.suites.mutation_suites import Probe, SuiteNotReady, Suites

MutantStatus = Literal["killed", "survived", "invalid", "equivalent"]
__all__ = ["MutantResult", "MutationRun", "SuiteNotReady", "mutate"]


@dataclass
class MutantResult:
    """What became of one mutant."""

    mutant: Mutant
    status: MutantStatus
    detail: str = ""
    """Why: the scenario that killed it and what failed, the loader's refusal, or the equivalence reason."""
    killed_by: str | None = None
    scenarios_run: int = 0
    wrongly_equivalent: bool = False
    """Listed as equivalent, yet a scenario killed it."""


@dataclass
class MutationRun:
    """Every mutant's result, with the run's context."""

    rules_dir: str
    ruleset_version: str
    suite_files: list[str]
    scenarios: int
    workers: int
    equivalents_file: str
    results: list[MutantResult] = field(default_factory=list)
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    """Scenarios left out because they fail on the rules as they are, each with why."""


# -- one process's state: the base knowledge base, the suites, the scenario order -------------------------

_state: dict[str, Any] = {}


def _init(paths: list[Path], rules_dir: Path | None, topics: list[set[str] | None]) -> None:
    kb = load_knowledge_base(rules_dir)
    suites = Suites(paths)
    _state.update(kb=kb, suites=suites, topics=topics)


def _order(suites: Suites, topics: list[set[str] | None], topic: str) -> list[Probe]:
    """Scenarios that name or see the rule's topic first (they are the likeliest to fail), then the rest;
    none of those that fail on the rules as they are."""
    first = [p for p, t in zip(suites.probes, topics, strict=True) if t is not None and topic in t]
    return first + [p for p, t in zip(suites.probes, topics, strict=True) if t is not None and topic not in t]


def run_mutant(mutant: Mutant) -> MutantResult:
    """Build the mutant into an engine and run the scenarios until one fails (in this process's state)."""
    kb: KnowledgeBase = _state["kb"]
    suites: Suites = _state["suites"]
    try:
        evaluator = Evaluator(mutant_knowledge_base(kb, mutant))
    except KnowledgeBaseError as exc:
        where = f"{display_path(exc.path)}: {exc.field}"
        return MutantResult(mutant, "invalid", f"the loader refuses it: {where}: {exc.detail}")
    count = 0
    try:
        for probe in _order(suites, _state["topics"], kb.rules[mutant.rule_id].topic):
            count += 1
            outcome, message, _ = suites.run(probe, evaluator)
            if outcome != "passed":
                return MutantResult(mutant, "killed", message, killed_by=probe.label, scenarios_run=count)
        return MutantResult(mutant, "survived", "every scenario still passes", scenarios_run=count)
    finally:
        evaluator.runtime.close()


def _baseline(suites: Suites, kb: KnowledgeBase) -> tuple[list[set[str] | None], list[str]]:
    """Run every scenario on the rules as they are: the topics each names or sees (None for a scenario that
    fails already: it could not tell a mutant apart, and is left out), and those failures."""
    evaluator = Evaluator(kb)
    failures: list[str] = []
    topics: list[set[str] | None] = []
    try:
        for probe in suites.probes:
            outcome, message, fired = suites.run(probe, evaluator)
            if outcome != "passed":
                failures.append(f"{probe.label}: {outcome}: {message}")
                topics.append(None)
            else:
                topics.append(suites.named_topics(probe) | fired)
    finally:
        evaluator.runtime.close()
    if failures and len(failures) == len(topics):
        raise SuiteNotReady(
            "every scenario fails on the rules as they are: nothing can tell a mutant apart", failures
        )
    return topics, failures


def _apply_equivalents(
    results: list[MutantResult], entries: list[Equivalent], path: Path, rule_ids: list[str] | None
) -> list[str]:
    warnings: list[str] = []
    used: set[int] = set()
    for result in results:
        entry = equivalent_for(result.mutant, entries)
        if entry is None:
            continue
        used.add(entries.index(entry))
        if result.status == "survived":
            result.status, result.detail = "equivalent", entry.reason
        elif result.status == "killed":
            result.wrongly_equivalent = True
            warnings.append(
                f"{path}: '{result.mutant.title}' is listed as equivalent but a scenario kills it"
            )
    for i, entry in enumerate(entries):
        if i not in used and (rule_ids is None or entry.rule in rule_ids):  # rules left out are not checked
            warnings.append(
                f"{path}: equivalents.{i} ({entry.rule}, {entry.kind}, {entry.target}) matches no mutant"
            )
    return warnings


def _pool(
    workers: int, paths: list[Path], rules_dir: Path | None, topics: list[set[str] | None]
) -> ProcessPoolExecutor:
    """Worker processes holding the suites and the knowledge base.

    Forked from this process when it runs a single thread (the workers then inherit what is loaded, and
    start at once); otherwise started fresh, each loading the rules and the suites itself, since forking a
    process with other threads can copy a lock some thread holds.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
        initargs=(paths, rules_dir, topics),
    )  # fmt: skip


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def mutate(
    paths: list[Path],
    rules_dir: Path | None = None,
    workers: int | None = None,
    rule_ids: list[str] | None = None,
    equivalents_path: Path | None = None,
    on_total: Callable[[int], None] | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> MutationRun:
    """Generate the mutants of the rules and run the suites against each; results in generation order.

    Raises :class:`KnowledgeBaseError` when the rules (or the equivalents file) do not load, and
    :class:`SuiteNotReady` when the suites cannot serve (nothing to run, a scenario failing as is).
    """
    start = time.perf_counter()
    kb = load_knowledge_base(rules_dir)
    unknown = sorted(set(rule_ids or []) - set(kb.rules))
    if unknown:
        raise SuiteNotReady(f"no rule {', '.join(unknown)} in {kb.directory}")
    equivalents_path = equivalents_path or kb.directory / EQUIVALENTS_FILE
    entries = load_equivalents(equivalents_path)
    suites = Suites(paths)
    topics, failing = _baseline(suites, kb)
    mutants = generate_mutants(kb, rule_ids)
    workers = max(1, min(workers or default_workers(), len(mutants) or 1))
    run = MutationRun(
        rules_dir=str(kb.directory),
        ruleset_version=kb.version,
        suite_files=[str(f) for f in suites.files],
        scenarios=len(suites.probes) - len(failing),
        workers=workers,
        equivalents_file=str(equivalents_path),
        excluded=failing,
    )
    _state.update(kb=kb, suites=suites, topics=topics)
    results: dict[int, MutantResult] = {}
    if workers == 1:
        if on_total:
            on_total(len(mutants))
        for i, mutant in enumerate(mutants):
            results[i] = run_mutant(mutant)
            if on_result:
                on_result(results[i])
    else:
        pool = _pool(workers, paths, rules_dir, topics)
        try:
            futures = {pool.submit(run_mutant, m): i for i, m in enumerate(mutants)}
            if on_total:  # after the workers started: a progress bar's thread must not be forked
                on_total(len(mutants))
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if on_result:
                    on_result(results[futures[future]])
        finally:  # on Ctrl-C or an error, the mutants not yet started are dropped, not waited for
            pool.shutdown(cancel_futures=True)
    run.results = [results[i] for i in range(len(mutants))]
    run.warnings = _apply_equivalents(run.results, entries, equivalents_path, rule_ids)
    run.duration = time.perf_counter() - start
    return run
