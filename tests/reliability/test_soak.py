"""2,000 random valid patients in one process (``benchmarks/soak.py`` runs 10,000 the same way)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from engine.knowledge import load_knowledge_base
from engine.runtime import DurableRuntime, Firing
from tests.reliability.soak import run_soak


def test_two_thousand_patients_no_crash_no_leak_no_mixing() -> None:
    report = run_soak(2000, seed=2026, fresh_every=100, kb=load_knowledge_base())
    assert report.evaluations == 3 * 2000 + 20
    assert report.with_findings > 500  # the mix is not trivially empty


def test_the_soak_check_catches_a_leak_between_patients(monkeypatch: pytest.MonkeyPatch) -> None:
    # A mutant runtime that carries the last patient's fired rules into the next: the soak must fail.
    original = DurableRuntime.evaluate
    carried: list[Firing] = []

    def leaky(self: DurableRuntime, facts: Mapping[str, bool | int | float | str | None]) -> list[Firing]:
        fired = original(self, facts)
        result = list(dict.fromkeys([*fired, *carried]))
        carried[:] = fired
        return result

    monkeypatch.setattr(DurableRuntime, "evaluate", leaky)
    with pytest.raises(AssertionError):
        run_soak(200, seed=5, fresh_every=50)
