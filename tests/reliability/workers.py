"""Worker-process side of the concurrency test: its own engine, several threads, patients of its own."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from typing import Any

from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
from engine.scenario import Scenario


def evaluate_in_threads(batch: list[dict[str, Any]], threads: int = 4) -> tuple[int, dict[str, Any]]:
    """Evaluate ``batch`` with ``threads`` threads on one engine; patient id -> findings JSON, and the pid."""
    evaluator = Evaluator(load_knowledge_base())

    def one(data: dict[str, Any]) -> tuple[str, Any]:
        evaluation = evaluator.evaluate(Scenario.model_validate(data))
        return data["patient"]["id"], evaluation.model_dump(mode="json")

    with ThreadPoolExecutor(threads) as pool:
        results = dict(pool.map(one, batch))
    assert evaluator.runtime.live_sessions == 0
    return os.getpid(), results


def evaluate_into_queue(batch: list[dict[str, Any]], queue: Queue[tuple[int, dict[str, Any]]]) -> None:
    """Process target: evaluate ``batch`` in threads and put (pid, results) on ``queue``."""
    queue.put(evaluate_in_threads(batch))
