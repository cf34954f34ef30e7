"""Derivation: facts from a scenario at an evaluation time, with the catalogue's boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.courses import current_course
from engine.derive import DerivationSettings, age_in_years, days_between, derive
from engine.facts import PatientFacts
from engine.scenario import Medication
from engine.validation import parse_scenario

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(days: int) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def facts(**scenario: Any) -> PatientFacts:
    return derive(parse_scenario(scenario), NOW).facts


def test_days_between_counts_calendar_days() -> None:
    assert days_between(NOW - timedelta(hours=1), NOW) == 0
    assert days_between(datetime(2026, 5, 31, 23, 59, tzinfo=UTC), NOW) == 1


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


# --- KNOWLEDGE.md §3 revised: starting ART, courses, boosters, HIV from a viral load ----------------------


def test_restart_after_an_interruption_is_starting_art() -> None:
    f = facts(
        medications=[
            {"ingredient": "efavirenz", "status": "stopped", "start": ago(500), "end": ago(200)},
            {"ingredient": "dolutegravir", "draft": True},
        ]
    )
    assert f.art_starting_now and f.art_ever and not f.on_art


def test_boosters_alone_or_with_a_non_antiretroviral_are_not_art() -> None:
    for name in ("nirmatrelvir/ritonavir", "ritonavir", "Cobicistat 150 MG Oral Tablet"):
        f = facts(medications=[{"ingredient": name, "draft": True}])
        assert not f.art_ordered_now and not f.art_starting_now, name
    assert facts(medications=[{"ingredient": "darunavir/cobicistat", "draft": True}]).art_starting_now


def test_completed_renewals_without_end_dates_are_one_course() -> None:
    meds: list[dict[str, Any]] = [
        {"ingredient": "efavirenz", "status": "completed", "start": ago(d)} for d in range(1051, 61, -90)
    ]
    meds.append({"ingredient": "efavirenz", "start": ago(61)})
    assert facts(medications=meds).art_days == 1051


def test_a_renewal_after_the_supply_ran_out_starts_a_new_course() -> None:
    def course(gap_start: int) -> int | None:
        return facts(
            medications=[
                {"ingredient": "efavirenz", "status": "completed", "start": ago(100), "days_supply": 30},
                {"ingredient": "efavirenz", "start": ago(gap_start)},
            ]
        ).art_days

    assert course(70) == 100  # within the 30-day supply (and the one-day tolerance)
    assert course(69) == 100
    assert course(68) == 68


def test_a_completed_prescription_within_its_supply_is_current() -> None:
    f = facts(
        medications=[
            {"ingredient": "efavirenz", "status": "completed", "start": ago(20), "days_supply": 30},
            {"ingredient": "dolutegravir", "draft": True},
        ]
    )
    assert f.on_art and not f.art_starting_now and f.art_days == 20


@pytest.mark.parametrize(
    ("value", "comparator", "expected"),
    [(85000, None, True), (40, ">", True), (20, "<", False), (20, "<=", False), (0, None, False)],
)
def test_a_detectable_hiv_rna_establishes_hiv(value: float, comparator: str | None, expected: bool) -> None:
    obs: dict[str, Any] = {"kind": "viral-load", "time": ago(3), "value": value}
    if comparator:
        obs["comparator"] = comparator
    assert facts(observations=[obs]).hiv is expected


# --- TB treatment, IRIS timing, steroid days -----------------------------------------------------------


def test_tb_treatment_starts_with_the_first_core_drug_not_isoniazid() -> None:
    f = facts(
        medications=[
            {"ingredient": "isoniazid", "start": ago(150)},
            {"ingredient": "rifampicin", "start": ago(20)},
        ]
    )
    assert f.tb_treatment_days == 20
    assert facts(medications=[{"ingredient": "isoniazid", "start": ago(20)}]).tb_treatment_days is None


@pytest.mark.parametrize(("onset", "expected"), [(30, False), (29, True), (31, False)])
def test_new_since_art_means_after_the_start_day(onset: int, expected: bool) -> None:
    f = facts(
        medications=[{"ingredient": "dolutegravir", "start": ago(30)}],
        conditions=[{"code": "A15.0", "onset": ago(onset)}],
    )
    assert f.iris_condition_since_art is expected


def test_a_recurrence_counts_only_when_recorded_after_art_started() -> None:
    def since(**dates: str) -> bool:
        return facts(
            medications=[{"ingredient": "dolutegravir", "start": ago(30)}],
            conditions=[{"code": "B45.1", "status": "relapse", **dates}],
        ).iris_condition_since_art

    assert since(recorded=ago(10), onset=ago(400))
    assert not since(recorded=ago(40))
    assert not since(onset=ago(40))
    assert not since()


def test_steroid_days_count_from_the_later_of_course_start_and_iris_onset() -> None:
    def days(iris_onset: int) -> int | None:
        return facts(
            medications=[{"ingredient": "prednisone", "start": ago(40)}],
            conditions=[{"code": "D89.3", "onset": ago(iris_onset)}],
        ).corticosteroid_days_during_iris

    assert days(2) == 2 and days(28) == 28 and days(60) == 40
    undated = facts(
        medications=[{"ingredient": "prednisone", "start": ago(40)}], conditions=[{"code": "D89.3"}]
    )
    assert undated.corticosteroid_days_during_iris is None and undated.corticosteroid_course_days == 40


# --- pregnancy and the last thalidomide dose --------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "statuses", "expected"),
    [
        ([{"code": "Z34.90", "onset": ago(250)}], [], True),
        ([{"code": "Z34.90", "onset": ago(900)}], [], False),  # stale: nothing later
        ([{"code": "Z34.90", "onset": ago(900), "recorded": ago(100)}], [], True),  # recorded recently
        ([{"code": "Z34.90", "onset": ago(250)}, {"code": "O80", "onset": ago(20)}], [], False),
        ([{"code": "Z34.90", "onset": ago(250)}, {"code": "Z37.0", "recorded": ago(10)}], [], False),
        ([{"code": "O80", "onset": ago(20)}], [], False),  # a delivery is not a pregnancy
        ([{"code": "Z37.0", "onset": ago(400)}], [(5, "pregnant")], True),
        ([{"code": "O80", "onset": ago(40)}], [(10, "not-pregnant")], False),
        ([{"code": "Z34.90", "onset": ago(5)}], [(10, "not-pregnant")], True),
        ([{"code": "Z34.90"}], [(10, "not-pregnant")], True),  # undated counts as now
        ([{"code": "Z34.90", "onset": ago(30)}, {"code": "O80"}], [], True),  # undated delivery ends none
    ],
)
def test_the_latest_pregnancy_evidence_decides(
    conditions: list[dict[str, Any]], statuses: list[tuple[int, str]], expected: bool
) -> None:
    observations = [{"kind": "pregnancy-status", "time": ago(d), "value": v} for d, v in statuses]
    assert facts(conditions=conditions, observations=observations).pregnant is expected


def test_days_since_the_last_thalidomide_dose() -> None:
    def stopped(**med: Any) -> int | None:
        return facts(medications=[{"ingredient": "thalidomide", **med}]).thalidomide_class_stopped_days

    assert stopped(status="stopped", start=ago(60), end=ago(8)) == 8
    assert stopped(status="completed", start=ago(40), days_supply=28) == 12
    assert stopped(status="stopped", start=ago(40)) == 40
    assert stopped(status="active", start=ago(40)) is None
    assert stopped(status="cancelled", start=ago(5)) is None


def test_an_assessment_as_transplant_candidate_is_its_own_fact() -> None:
    def assessed(value: bool) -> PatientFacts:
        return facts(observations=[{"kind": "transplant-ineligible", "time": ago(1), "value": value}])

    assert (
        assessed(False).transplant_candidate_assessed and not assessed(False).transplant_ineligible_assessed
    )
    assert assessed(True).transplant_ineligible_assessed and not assessed(True).transplant_candidate_assessed
    assert not facts().transplant_candidate_assessed


@pytest.mark.parametrize(
    ("code", "fact"),
    [
        ("I80.11", "vte_history"),
        ("I82.621", "vte_history"),
        ("E11.42", "peripheral_neuropathy"),
        ("B19.10", "hepatitis_b"),
        ("Z22.51", "hepatitis_b"),
    ],
)
def test_codes_added_to_the_value_sets(code: str, fact: str) -> None:
    assert getattr(facts(conditions=[{"code": code}]), fact)


def test_betamethasone_tablets_are_a_systemic_corticosteroid() -> None:
    f = facts(medications=[{"ingredient": "Betamethasone 0.5 MG Oral Tablet", "start": ago(3)}])
    assert f.corticosteroid_active_or_ordered and f.corticosteroid_course_days == 3
