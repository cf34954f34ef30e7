"""Prometheus metrics of one app instance (its own registry, so several apps can coexist in tests).

Under ``clinrules serve --workers N`` (N > 1) every worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (the Prometheus client's multiprocess mode) and a scrape of ``/metrics``,
whichever worker answers it, adds up all of them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Requests, latency, evaluations and cards by topic."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        self.requests = Counter(
            "clinrules_http_requests",
            "HTTP requests handled, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "clinrules_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.evaluations = Counter(
            "clinrules_evaluations",
            "Patient evaluations, by service (CDS Hooks service id, or 'evaluate').",
            ["service"],
            registry=self.registry,
        )
        self.cards = Counter(
            "clinrules_cards",
            "Cards (or findings) returned, by service, topic code and indicator.",
            ["service", "topic", "indicator"],
            registry=self.registry,
        )
        self.feedback = Counter(
            "clinrules_feedback",
            "Card feedback stored, by topic and outcome.",
            ["topic", "outcome"],
            registry=self.registry,
        )


def render(metrics: Metrics) -> bytes:
    """The Prometheus text of the whole server: all workers' values in multiprocess mode, else this one's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(metrics.registry)


@contextmanager
def multiprocess_directory(workers: int) -> Iterator[Path | None]:
    """For several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (before they start) to an emptied folder.

    A folder the operator set is kept but emptied of the last run's files (the client requires it); one
    made here is removed afterwards. One worker needs none (its registry is the whole server's).
    """
    if workers <= 1:
        yield None
        return
    configured = os.environ.get(MULTIPROC_ENV)
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="clinrules-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    try:
        yield folder
    finally:
        if not configured:
            shutil.rmtree(folder, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)
