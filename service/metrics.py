"""Prometheus metrics of one app instance (its own registry, so several apps can coexist in tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

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
