"""Results at the same moment (the choice never depends on record order), comparators <= and >=, and data
dated after the evaluation time (counted within a margin, else left out with a note)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from engine.dated import CLOCK_SKEW, LATER_NOTE, counts_by
from engine.derive import derive
from engine.scenario_times import as_calendar_day
from engine.validation import parse_scenario
from tests.unit.derive.helpers import NOW, ago, facts

HIV = {"code": "B20", "onset": "2020-01-01"}
ART_ORDER = {"ingredient": "dolutegravir", "draft": True}


def _both_orders(observations: list[dict[str, Any]], **scenario: Any) -> list[Any]:
    """The facts of a scenario with its observations in record order, and reversed."""
    return [facts(observations=o, **scenario) for o in (observations, observations[::-1])]


def test_of_cd4_counts_at_the_same_moment_the_lowest_is_baseline_and_latest_whatever_the_order() -> None:
    cd4 = [{"kind": "cd4", "time": ago(3), "value": v} for v in (42, 150)]
    for f in _both_orders(cd4, conditions=[HIV], medications=[ART_ORDER]):
        assert (f.baseline_cd4, f.latest_cd4) == (42, 42)


def test_of_egfr_results_at_the_same_moment_the_lowest_is_the_latest() -> None:
    egfr = [{"kind": "egfr", "time": ago(3), "value": v} for v in (25, 60)]
    assert [f.latest_egfr for f in _both_orders(egfr)] == [25, 25]


def test_of_viral_loads_at_the_same_moment_a_detectable_one_is_chosen() -> None:
    vl = [
        {"kind": "viral-load", "time": ago(3), "value": 20, "comparator": "<"},
        {"kind": "viral-load", "time": ago(3), "value": 15},
    ]
    for o in (vl, vl[::-1]):
        derivation = derive(parse_scenario({"observations": o}), NOW)
        assert derivation.facts.hiv
        assert derivation.support["hiv"] == [f"HIV-1 RNA 15 copies/mL on {ago(3)[:10]}"]


def test_of_assessments_at_the_same_moment_yes_wins_whatever_the_order() -> None:
    answers = [{"kind": "reproductive-potential", "time": ago(1), "value": v} for v in (True, False)]
    old = {"birth_date": "1950-01-01", "sex": "female"}
    assert [f.reproductive_potential for f in _both_orders(answers, patient=old)] == [True, True]


@pytest.mark.parametrize(("comparator", "expected"), [("<=", 99.99), ("<", 99.99), (">=", 100.01)])
def test_a_result_reported_at_most_or_at_least_a_limit_counts_as_just_beyond_it(
    comparator: str, expected: float
) -> None:
    cd4 = [{"kind": "cd4", "time": ago(3), "value": 100, "comparator": comparator}]
    assert facts(observations=cd4).latest_cd4 == expected


def test_timed_data_counts_up_to_the_clock_skew_after_now_and_a_date_alone_while_its_day_has_begun() -> None:
    assert counts_by(NOW + CLOCK_SKEW, NOW)
    assert not counts_by(NOW + CLOCK_SKEW + timedelta(seconds=1), NOW)
    # A date alone counts once its day has begun in UTC+14: from 10:00 UTC the day before.
    day = as_calendar_day(date(2026, 6, 2))
    assert counts_by(day, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    assert not counts_by(day, datetime(2026, 6, 1, 9, 59, tzinfo=UTC))
    # A time at midnight UTC is a time: it has only the clock's margin.
    midnight = datetime(2026, 6, 2, tzinfo=UTC)
    assert not counts_by(midnight, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    assert counts_by(midnight, midnight - CLOCK_SKEW)


def test_a_cd4_dated_after_the_evaluation_time_is_not_used_and_is_noted() -> None:
    later = (NOW + timedelta(hours=2)).isoformat()
    scenario = {
        "conditions": [HIV],
        "medications": [ART_ORDER],
        "observations": [{"kind": "cd4", "time": later, "value": 42}],
    }
    derivation = derive(parse_scenario(scenario), NOW)
    assert derivation.facts.baseline_cd4 is None
    assert derivation.notes == [f"cd4 42 cells/uL of 2026-06-01T14:00:00+00:00: {LATER_NOTE}"]


def test_a_cd4_stamped_within_the_clock_skew_is_the_baseline_of_art_starting_now() -> None:
    # Just after midnight UTC: the baseline's calendar day would otherwise be the day after now's.
    now = datetime(2026, 6, 1, 23, 58, tzinfo=UTC)
    scenario = {
        "conditions": [HIV],
        "medications": [ART_ORDER],
        "observations": [{"kind": "cd4", "time": "2026-06-02T00:03:00Z", "value": 42}],
    }
    derivation = derive(parse_scenario(scenario), now)
    assert derivation.facts.baseline_cd4 == 42
    assert derivation.notes == []


def test_cryptococcal_meningitis_dated_after_now_is_noted_and_one_dated_today_east_of_utc_counts() -> None:
    later = {"code": "B45.1", "onset": "2026-07-01"}
    derivation = derive(parse_scenario({"conditions": [HIV, later]}), NOW)
    assert derivation.facts.crypto_meningitis_days is None
    assert derivation.notes == [f"B45.1 (active, since 2026-07-01): {LATER_NOTE}"]
    # 2026-06-02, a date alone, at 20:00 UTC on 2026-06-01: it is already 2026-06-02 east of UTC+4.
    today_east = {"code": "B45.1", "onset": "2026-06-02"}
    evening = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
    derivation = derive(parse_scenario({"conditions": [HIV, today_east]}), evening)
    assert derivation.facts.crypto_meningitis_days == 0
    assert derivation.notes == []


def test_a_delivery_dated_after_now_is_noted_and_does_not_end_the_pregnancy() -> None:
    scenario = {
        "patient": {"sex": "female", "birth_date": "1995-01-01"},
        "observations": [{"kind": "pregnancy-status", "time": ago(10), "value": "pregnant"}],
        "conditions": [{"code": "O80", "onset": "2026-08-01"}],
    }
    derivation = derive(parse_scenario(scenario), NOW)
    assert derivation.facts.pregnant
    assert [n.endswith(LATER_NOTE) for n in derivation.notes] == [True]
