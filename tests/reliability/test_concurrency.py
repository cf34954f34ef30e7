"""Many threads and several worker processes evaluating different patients at once: each patient gets
exactly the findings it gets alone."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine.evaluator import Evaluator
from engine.scenario import Scenario
from tests.reliability.scenario_gen import scenario_batch
from tests.reliability.workers import evaluate_into_queue

PATIENTS = scenario_batch(600, seed=99, kind="mixed")


@pytest.fixture(scope="module")
def alone(evaluator: Evaluator) -> dict[str, Any]:
    """Each patient evaluated by itself, serially: the expected answers."""
    return {
        d["patient"]["id"]: evaluator.evaluate(Scenario.model_validate(d)).model_dump(mode="json")
        for d in PATIENTS
    }


def test_the_patients_differ(alone: dict[str, Any]) -> None:
    distinct = {str(sorted(f["rule_id"] for f in r["findings"])) for r in alone.values()}
    assert len(distinct) >= 10  # otherwise swapping two patients' answers could go unseen


def test_many_threads_on_one_engine_each_get_their_own_findings(
    evaluator: Evaluator, alone: dict[str, Any]
) -> None:
    threads = 16
    start = threading.Barrier(threads)
    slices = [PATIENTS[i::threads] for i in range(threads)]

    def run(batch: list[dict[str, Any]]) -> dict[str, Any]:
        start.wait(timeout=30)  # all threads begin together
        return {
            d["patient"]["id"]: evaluator.evaluate(Scenario.model_validate(d)).model_dump(mode="json")
            for d in batch
        }

    with ThreadPoolExecutor(threads) as pool:
        results = [r for part in pool.map(run, slices) for r in part.items()]
    assert len(results) == len(PATIENTS)
    for patient_id, got in results:
        assert got == alone[patient_id], f"{patient_id} got findings that are not its own"
    assert evaluator.runtime.live_sessions == 0


def test_several_worker_processes_with_threads_each_get_their_own_findings(alone: dict[str, Any]) -> None:
    processes = 3
    context = multiprocessing.get_context("spawn")  # as server workers start: a fresh interpreter each
    queue = context.Queue()
    workers = [
        context.Process(target=evaluate_into_queue, args=(PATIENTS[i::processes], queue), daemon=True)
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    try:
        outcomes = [queue.get(timeout=60) for _ in workers]
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
    assert all(w.exitcode == 0 for w in workers)
    pids = {pid for pid, _ in outcomes}
    assert pids == {w.pid for w in workers} and os.getpid() not in pids
    merged: dict[str, Any] = {}
    for _, results in outcomes:
        merged.update(results)
    assert merged.keys() == alone.keys()
    for patient_id, got in merged.items():
        assert got == alone[patient_id], f"{patient_id} got findings that are not its own"
