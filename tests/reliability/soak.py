"""Many patients in one process: no crash, no leaked session, no patient's data in another's findings.

Used by ``test_soak.py`` (2,000 patients) and ``benchmarks/soak.py`` (10,000 by default).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from engine.evaluator import Evaluator
from engine.knowledge import KnowledgeBase, load_knowledge_base
from engine.scenario import Scenario
from tests.reliability.invariants import check_safety
from tests.reliability.scenario_gen import scenario_batch


@dataclass(frozen=True)
class SoakReport:
    """What a soak run did and found."""

    patients: int
    evaluations: int
    seconds: float
    with_findings: int
    findings: int
    fresh_checked: int


def _dump(evaluator: Evaluator, scenario: Scenario) -> dict[str, Any]:
    return evaluator.evaluate(scenario).model_dump(mode="json")


def run_soak(n: int, seed: int = 2026, fresh_every: int = 100, kb: KnowledgeBase | None = None) -> SoakReport:
    """Evaluate ``n`` random valid patients three ways and assert that every way agrees.

    1. in order, on one evaluator (checking the safety invariants of each);
    2. again in a shuffled order on the same evaluator, with a second pass interleaved patient by patient;
    3. every ``fresh_every``-th patient on a brand-new evaluator (its own compiled ruleset).

    Any difference means state leaked between patients. Finally no durable-rules session may be left.
    """
    started = time.perf_counter()
    kb = kb or load_knowledge_base()
    raw = scenario_batch(n, seed, "mixed")
    scenarios = [Scenario.model_validate(s) for s in raw]
    evaluator = Evaluator(kb)
    first: list[dict[str, Any]] = []
    for data, scenario in zip(raw, scenarios, strict=True):
        evaluation = evaluator.evaluate(scenario)
        check_safety(data, evaluation)
        first.append(evaluation.model_dump(mode="json"))
    order = list(range(n))
    random.Random(seed).shuffle(order)
    for a, b in zip(order, reversed(order), strict=True):  # interleave two orders, patient by patient
        assert _dump(evaluator, scenarios[a]) == first[a], f"patient {a} changed after other patients"
        assert _dump(evaluator, scenarios[b]) == first[b], f"patient {b} changed after other patients"
    fresh_checked = 0
    for i in range(0, n, fresh_every):
        assert _dump(Evaluator(kb), scenarios[i]) == first[i], f"patient {i} differs on a fresh engine"
        fresh_checked += 1
    runtime = evaluator.runtime
    assert runtime.live_sessions == 0, f"{runtime.live_sessions} durable-rules sessions left live"
    sample = random.Random(seed).sample(range(1, 3 * n + 1), min(200, 3 * n))
    assert not any(runtime.session_exists(f"s{i}") for i in sample), "a durable-rules session was not deleted"
    return SoakReport(
        patients=n,
        evaluations=3 * n + fresh_checked,
        seconds=time.perf_counter() - started,
        with_findings=sum(1 for r in first if r["findings"]),
        findings=sum(len(r["findings"]) for r in first),
        fresh_checked=fresh_checked,
    )
