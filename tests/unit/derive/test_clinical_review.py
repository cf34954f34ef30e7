"""Derivation as the clinical review revised it: starting ART, courses, TB treatment, pregnancy, codes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.facts import PatientFacts
from tests.unit.derive.helpers import ago, facts

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
    assert stopped(status="stopped", start=ago(40)) == 0  # no end, no supply: may have run until now
    assert stopped(status="stopped", start=ago(130)) == 40  # ... or for the 90 days of a default supply
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
