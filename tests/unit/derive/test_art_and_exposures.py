"""Derivation: ages and days, ART courses, measurements at thresholds, thalidomide exposure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.derive import age_in_years, days_between
from tests.unit.derive.helpers import NOW, ago, facts


def test_days_between_counts_calendar_days() -> None:
    assert days_between(NOW - timedelta(hours=1), NOW, UTC) == 0
    assert days_between(datetime(2026, 5, 31, 23, 59, tzinfo=UTC), NOW, UTC) == 1


@pytest.mark.parametrize(
    ("birth", "expected"), [(datetime(1961, 6, 1, tzinfo=UTC), 65), (datetime(1961, 6, 2, tzinfo=UTC), 64)]
)
def test_age_turns_on_the_birthday(birth: datetime, expected: int) -> None:
    assert age_in_years(birth, NOW) == expected


def test_age_unknown_without_birth_date() -> None:
    assert facts().age_years is None


@pytest.mark.parametrize(("started", "days"), [(90, 90), (91, 91), (0, 0)])
def test_days_on_art(started: int, days: int) -> None:
    f = facts(medications=[{"ingredient": "dolutegravir", "start": ago(started)}])
    assert f.on_art and f.art_days == days


def test_art_course_starts_at_the_earliest_chained_prescription() -> None:
    f = facts(
        medications=[
            {"ingredient": "efavirenz", "status": "completed", "start": ago(60), "end": ago(30)},
            {"ingredient": "dolutegravir", "start": ago(30)},
        ]
    )
    assert f.art_days == 60


def test_art_course_after_a_long_gap_starts_again() -> None:
    f = facts(
        medications=[
            {"ingredient": "efavirenz", "status": "stopped", "start": ago(400), "end": ago(200)},
            {"ingredient": "dolutegravir", "start": ago(10)},
        ]
    )
    assert f.art_days == 10 and f.art_ever


def test_art_draft_order_without_current_art_is_starting_now() -> None:
    f = facts(medications=[{"ingredient": "Dolutegravir 50 MG Oral Tablet", "status": "draft"}])
    assert f.art_starting_now and f.art_ordered_now and not f.on_art and not f.art_ever


def test_art_draft_order_during_a_current_course_is_not_a_start() -> None:
    # KNOWLEDGE.md §3: a refill or a switch during a current course is not starting ART.
    f = facts(
        medications=[
            {"ingredient": "efavirenz", "start": ago(400)},
            {"ingredient": "dolutegravir", "draft": True},
        ]
    )
    assert f.art_ordered_now and not f.art_starting_now and f.on_art and f.art_days == 400


def test_a_stopped_prescription_without_an_end_does_not_run_until_now() -> None:
    f = facts(
        medications=[
            {"ingredient": "efavirenz", "status": "stopped", "start": ago(800)},
            {"ingredient": "dolutegravir", "start": ago(20)},
            {"ingredient": "prednisone", "status": "completed", "start": ago(500)},
            {"ingredient": "prednisone", "start": ago(5)},
        ]
    )
    assert f.art_days == 20 and f.corticosteroid_course_days == 5


def test_a_recurrence_counts_unless_recorded_before_art() -> None:
    base: dict[str, Any] = {"medications": [{"ingredient": "dolutegravir", "start": ago(30)}]}
    recurred = {"code": "A15.0", "status": "recurrence", "onset": ago(200), "recorded": ago(10)}
    earlier = {**recurred, "recorded": ago(40)}
    assert facts(**base, conditions=[recurred]).iris_condition_since_art
    assert not facts(**base, conditions=[earlier]).iris_condition_since_art


def test_a_cd4_below_a_limit_counts_as_just_below_it() -> None:
    f = facts(observations=[{"kind": "cd4", "time": ago(1), "value": 50, "comparator": "<"}])
    assert f.latest_cd4 is not None and 49.9 < f.latest_cd4 < 50


def test_measurements_never_round_up_across_a_threshold() -> None:
    f = facts(observations=[{"kind": "cd4", "time": ago(1), "value": 99.996}])
    assert f.latest_cd4 == 99.99


def test_baseline_is_taken_by_day_on_the_day_art_starts() -> None:
    f = facts(
        medications=[{"ingredient": "dolutegravir", "start": "2026-05-01"}],
        observations=[{"kind": "cd4", "time": "2026-05-01T10:00:00Z", "value": 40}],
    )
    assert f.baseline_cd4 == 40


@pytest.mark.parametrize("status", ["active", "on-hold", "intended", "unknown"])
def test_a_thalidomide_order_counts_whatever_its_dates(status: str) -> None:
    future = (NOW + timedelta(days=3)).isoformat()
    f = facts(medications=[{"ingredient": "Thalomid 100 MG Oral Capsule", "status": status, "start": future}])
    assert f.thalidomide_class_medication


def test_a_stopped_thalidomide_is_not_an_exposure() -> None:
    stopped = {"ingredient": "thalidomide", "status": "stopped", "start": ago(9)}
    assert not facts(medications=[stopped]).thalidomide_class_medication


def test_pregnancy_means_reproductive_potential_whatever_else_is_recorded() -> None:
    f = facts(
        patient={"sex": "female", "birth_date": "1980-01-01"},
        conditions=[{"code": "N95.1"}, {"code": "Z34.00"}],
    )
    assert f.pregnant and f.reproductive_potential


@pytest.mark.parametrize(
    "ingredient",
    [
        "Thalidomide-Celgene 50 mg capsule",
        "THALIDOMIDE_50MG_CAP",
        "thalidomide100mg",
        "lenalidomide-dexamethasone (Rd) regimen",
        "Revlimid 10 mg capsule",
    ],
)
def test_thalidomide_class_names_in_product_texts(ingredient: str) -> None:
    assert facts(medications=[{"ingredient": ingredient, "draft": True}]).thalidomide_class_medication


def test_a_topical_corticosteroid_is_not_systemic() -> None:
    f = facts(medications=[{"ingredient": "hydrocortisone 1% topical cream", "start": ago(40)}])
    assert f.corticosteroid_course_days is None and not f.corticosteroid_active_or_ordered


def test_entered_in_error_medication_is_ignored() -> None:
    f = facts(medications=[{"ingredient": "efavirenz", "start": ago(5), "status": "entered-in-error"}])
    assert not f.on_art and not f.art_ever
