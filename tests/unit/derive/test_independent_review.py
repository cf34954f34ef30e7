"""Derivation as the independent clinical review (issue 14) corrected it: the last dose of a stopped
thalidomide-class drug, steroid days during a recurrence, pregnancy windows by calendar day, and an
undocumented reproductive status past the usual reproductive age."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.courses import last_dose
from engine.scenario import Medication
from tests.unit.derive.helpers import NOW, ago, facts


def _day(days: int) -> str:
    """A date without a time, ``days`` calendar days before the evaluation day."""
    return (NOW.date() - timedelta(days=days)).isoformat()


@pytest.mark.parametrize(("started", "expected"), [(61, 0), (89, 0), (90, 0), (100, 10), (120, 30)])
def test_a_stopped_thalidomide_without_end_or_supply_ran_90_days(started: int, expected: int) -> None:
    f = facts(medications=[{"ingredient": "thalidomide", "status": "stopped", "start": ago(started)}])
    assert f.thalidomide_class_stopped_days == expected


def test_the_last_dose_is_capped_at_the_evaluation_time() -> None:
    def last(**med: Any) -> Any:
        return last_dose(Medication.model_validate({"ingredient": "thalidomide", **med}), NOW, 90)

    assert last(status="stopped", start=ago(61)) == NOW
    assert last(status="stopped", start=ago(100)) == NOW - timedelta(days=10)
    assert last(status="stopped", start=ago(40), days_supply=28) == NOW - timedelta(days=12)
    assert last(status="stopped", start=ago(40), end=ago(35)) == NOW - timedelta(days=35)
    assert last(status="stopped") is None


def test_a_stopped_thalidomide_61_days_ago_still_raises_the_pregnancy_window() -> None:
    f = facts(
        patient={"sex": "female", "birth_date": "1994-03-02"},
        observations=[{"kind": "pregnancy-status", "time": ago(1), "value": "pregnant"}],
        medications=[{"ingredient": "thalidomide", "status": "stopped", "start": ago(61)}],
    )
    assert f.pregnant and f.thalidomide_class_stopped_days == 0


def test_steroid_days_of_a_recurrence_count_from_when_it_was_recorded() -> None:
    f = facts(
        conditions=[
            {"code": "B20", "onset": ago(2700)},
            {"code": "B02.9", "status": "recurrence", "onset": ago(2300), "recorded": ago(12)},
        ],
        medications=[
            {"ingredient": "dolutegravir", "start": ago(61)},
            {"ingredient": "prednisone 20 mg", "start": ago(42)},
        ],
    )
    assert f.iris_condition_since_art
    assert f.corticosteroid_course_days == 42
    assert f.corticosteroid_days_during_iris == 12


@pytest.mark.parametrize(("days", "expected"), [(279, True), (280, True), (281, False)])
def test_a_dated_pregnancy_status_counts_for_280_calendar_days(days: int, expected: bool) -> None:
    f = facts(observations=[{"kind": "pregnancy-status", "time": _day(days), "value": "pregnant"}])
    assert f.pregnant is expected


@pytest.mark.parametrize(("days", "expected"), [(299, True), (300, True), (301, False)])
def test_a_dated_pregnancy_condition_counts_for_300_calendar_days(days: int, expected: bool) -> None:
    assert facts(conditions=[{"code": "Z34.90", "onset": _day(days)}]).pregnant is expected


@pytest.mark.parametrize(
    ("patient", "conditions", "observations", "expected"),
    [
        ({"sex": "female", "birth_date": "1966-01-10"}, [], [], True),
        ({"sex": "unknown", "birth_date": "1966-01-10"}, [], [], True),
        ({"sex": "female", "birth_date": "1970-01-10"}, [], [], True),  # 56: past 55
        ({"sex": "female", "birth_date": "1971-01-10"}, [], [], False),  # 55: potential assumed
        ({"sex": "male", "birth_date": "1966-01-10"}, [], [], False),
        ({"sex": "female"}, [], [], False),  # unknown age: potential assumed
        ({"sex": "female", "birth_date": "1966-01-10"}, [{"code": "Z90.710"}], [], False),
        ({"sex": "female", "birth_date": "1966-01-10"}, [{"code": "N95.1"}], [], False),
        (
            {"sex": "female", "birth_date": "1966-01-10"},
            [],
            [{"kind": "reproductive-potential", "time": ago(1), "value": False}],
            False,
        ),
        (
            {"sex": "female", "birth_date": "1966-01-10"},
            [],
            [{"kind": "pregnancy-status", "time": ago(1), "value": "pregnant"}],
            False,  # pregnant: reproductive potential, not a question
        ),
    ],
)
def test_reproductive_status_undocumented_past_the_age_range(
    patient: dict[str, Any],
    conditions: list[dict[str, Any]],
    observations: list[dict[str, Any]],
    expected: bool,
) -> None:
    f = facts(patient=patient, conditions=conditions, observations=observations)
    assert f.reproductive_status_undocumented is expected
