"""The evaluation time of the derivation tests, and scenarios read and derived at it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.derive import derive
from engine.facts import PatientFacts
from engine.validation import parse_scenario

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(days: int) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def facts(**scenario: Any) -> PatientFacts:
    return derive(parse_scenario(scenario), NOW).facts
