"""Derivation: baseline and result windows, corticosteroid courses, conditions, pregnancy, support."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.courses import current_course
from engine.derive import DerivationSettings, derive
from engine.scenario import Medication
from engine.validation import parse_scenario
from tests.unit.derive.helpers import NOW, ago, facts


@pytest.mark.parametrize(("measured", "expected"), [(180, 45.0), (181, None)])
def test_baseline_cd4_window_is_180_days_before_art_start(measured: int, expected: float | None) -> None:
    f = facts(
        medications=[{"ingredient": "dolutegravir", "start": ago(10)}],
        observations=[{"kind": "cd4", "time": ago(10 + measured), "value": 45}],
    )
    assert f.baseline_cd4 == expected


def test_baseline_is_the_last_cd4_on_or_before_art_start() -> None:
    f = facts(
        medications=[{"ingredient": "dolutegravir", "start": ago(30)}],
        observations=[
            {"kind": "cd4", "time": ago(60), "value": 20},
            {"kind": "cd4", "time": ago(30), "value": 40},
            {"kind": "cd4", "time": ago(5), "value": 180},
        ],
    )
    assert f.baseline_cd4 == 40 and f.latest_cd4 == 180 and f.cd4_above_baseline


def test_baseline_when_starting_now_is_the_latest_cd4() -> None:
    f = facts(
        medications=[{"ingredient": "dolutegravir", "draft": True}],
        observations=[{"kind": "cd4", "time": ago(3), "value": 0.099, "unit": "10*9/L"}],
    )
    assert f.baseline_cd4 == 99


def test_viral_load_fall_uses_the_limit_of_a_below_limit_result() -> None:
    f = facts(
        medications=[{"ingredient": "dolutegravir", "start": ago(40)}],
        observations=[
            {"kind": "viral-load", "time": ago(45), "value": 200000},
            {"kind": "viral-load", "time": ago(2), "value": 20, "comparator": "<"},
        ],
    )
    assert f.vl_log10_drop == pytest.approx(4.0)


def test_future_observations_are_ignored() -> None:
    f = facts(observations=[{"kind": "cd4", "time": (NOW + timedelta(days=1)).isoformat(), "value": 10}])
    assert f.latest_cd4 is None


@pytest.mark.parametrize(("days", "expected"), [(28, 28), (27, 27)])
def test_corticosteroid_course_length(days: int, expected: int) -> None:
    f = facts(medications=[{"ingredient": "prednisone", "start": ago(days)}])
    assert f.corticosteroid_course_days == expected and f.corticosteroid_active_or_ordered


def test_corticosteroid_course_survives_a_switch_of_drug() -> None:
    f = facts(
        medications=[
            {"ingredient": "dexamethasone", "status": "completed", "start": ago(40), "end": ago(20)},
            {"ingredient": "prednisolone", "start": ago(20)},
        ]
    )
    assert f.corticosteroid_course_days == 40


def test_stopped_corticosteroid_has_no_running_course() -> None:
    f = facts(
        medications=[{"ingredient": "prednisone", "status": "stopped", "start": ago(60), "end": ago(2)}]
    )
    assert f.corticosteroid_course_days is None and not f.corticosteroid_active_or_ordered


@pytest.mark.parametrize(("egfr", "expected"), [(30, 30.0), (29.9, 29.9)])
def test_latest_egfr(egfr: float, expected: float) -> None:
    assert facts(observations=[{"kind": "egfr", "time": ago(1), "value": egfr}]).latest_egfr == expected


def test_iris_associated_condition_since_art_start() -> None:
    base: dict[str, Any] = {"medications": [{"ingredient": "dolutegravir", "start": ago(30)}]}
    new = facts(**base, conditions=[{"code": "B45.1", "onset": ago(10)}])
    old = facts(**base, conditions=[{"code": "B45.1", "onset": ago(60), "status": "resolved"}])
    recurred = facts(**base, conditions=[{"code": "A15.0", "status": "recurrence", "recorded": ago(5)}])
    assert (
        new.iris_condition_since_art
        and not old.iris_condition_since_art
        and recurred.iris_condition_since_art
    )


def test_refuted_condition_is_ignored() -> None:
    assert not facts(conditions=[{"code": "B20", "status": "refuted"}]).hiv


def test_child_codes_match_their_parent() -> None:
    f = facts(conditions=[{"code": "B20"}, {"code": "N18.5"}, {"code": "G62.9"}, {"code": "O09.90"}])
    assert f.hiv and f.renal_failure_coded and f.peripheral_neuropathy and f.pregnant


@pytest.mark.parametrize(
    ("patient", "conditions", "expected"),
    [
        ({"sex": "female", "birth_date": "1990-01-01"}, [], True),
        ({"sex": "female", "birth_date": "1960-01-01"}, [], False),
        ({"sex": "male", "birth_date": "1990-01-01"}, [], False),
        ({"sex": "female", "birth_date": "1990-01-01"}, [{"code": "Z90.710"}], False),
        ({"sex": "unknown"}, [], True),
    ],
)
def test_reproductive_potential(
    patient: dict[str, Any], conditions: list[dict[str, Any]], expected: bool
) -> None:
    assert facts(patient=patient, conditions=conditions).reproductive_potential is expected


def test_assessment_overrides_reproductive_potential() -> None:
    f = facts(
        patient={"sex": "female", "birth_date": "1990-01-01"},
        observations=[{"kind": "reproductive-potential", "time": ago(1), "value": False}],
    )
    assert not f.reproductive_potential


@pytest.mark.parametrize(("days", "expected"), [(10, True), (300, False)])
def test_pregnancy_status_counts_within_nine_months(days: int, expected: bool) -> None:
    f = facts(observations=[{"kind": "pregnancy-status", "time": ago(days), "value": "pregnant"}])
    assert f.pregnant is expected


def test_latest_pregnancy_status_wins() -> None:
    f = facts(
        observations=[
            {"kind": "pregnancy-status", "time": ago(20), "value": "pregnant"},
            {"kind": "pregnancy-status", "time": ago(2), "value": "not-pregnant"},
        ]
    )
    assert not f.pregnant


def test_thalidomide_class_by_name_in_product_text() -> None:
    f = facts(medications=[{"ingredient": "Lenalidomide 10 MG Oral Capsule", "draft": True}])
    assert f.thalidomide_class_medication


def test_poems_is_recognised_by_text() -> None:
    assert facts(conditions=[{"text": "Crow-Fukase syndrome"}]).poems
    assert facts(conditions=[{"text": "POEMS syndrome", "code": "D47.Z9"}]).poems


def test_cryptococcal_meningitis_days_and_tb() -> None:
    f = facts(
        conditions=[{"code": "B45.1", "onset": ago(28)}, {"code": "A15.0", "onset": ago(20)}],
        medications=[
            {"ingredient": "rifampicin", "start": ago(30)},
            {"ingredient": "isoniazid", "start": ago(30)},
        ],
    )
    assert f.crypto_meningitis_days == 28 and f.active_tb and f.tb_treatment_days == 30


def test_course_start_is_none_when_the_active_prescription_has_no_start() -> None:
    meds = [Medication(ingredient="prednisone")]
    settings = DerivationSettings()
    course = current_course(meds, NOW, settings.course_gap_days, settings.default_supply_days)
    assert course.current and course.start is None


def test_support_names_the_data_behind_a_fact() -> None:
    d = derive(parse_scenario({"conditions": [{"code": "B20", "onset": ago(100)}]}), NOW)
    assert d.support["hiv"] and "B20" in d.support["hiv"][0]
