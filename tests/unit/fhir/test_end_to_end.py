"""FHIR intake (engine.fhir): end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.fhir import scenario_from_bundle, scenario_from_resources
from engine.scenario import CodeSystem, MedicationStatus, ObservationKind, Scenario, Sex
from tests.unit.fhir.builders import AT, FIXTURES, ICD10, bundle, cd4, condition, evaluator, fixture, patient


def test_hiv_bundle_becomes_a_scenario() -> None:
    result = scenario_from_bundle(fixture("hiv-art-start-bundle.json"))
    s = result.scenario
    assert result.notes == []
    assert result.patient_id == "pat-hiv-1"
    assert s.patient.id == "pat-hiv-1"
    assert s.patient.sex is Sex.male
    assert s.patient.birth_date is not None and s.patient.birth_date.isoformat() == "1986-07-14"
    [hiv] = s.conditions
    assert (hiv.code, hiv.system, hiv.concepts) == ("B20", CodeSystem.icd10cm, ["hiv"])
    assert hiv.text == "HIV infection"
    cd4_obs, vl_obs = s.observations
    assert cd4_obs.kind is ObservationKind.cd4
    assert cd4_obs.value == pytest.approx(45.0)
    assert cd4_obs.unit == "cells/uL"
    assert vl_obs.kind is ObservationKind.viral_load and vl_obs.value == 250000
    assert vl_obs.time == datetime(2026, 4, 20, 8, 30, tzinfo=UTC)  # from effectivePeriod.start
    [art] = s.medications
    assert art.classes == ["art"]  # product-level code, ingredients recognised in the display
    assert art.code == "1999563"
    assert art.ingredient.startswith("TLD tablet; dolutegravir")
    assert art.start == datetime(2026, 4, 28, 10, tzinfo=UTC)  # authoredOn wins over the dispense validity
    assert not art.draft


def test_end_to_end_bundle_fires_iris_risk() -> None:
    result = scenario_from_bundle(fixture("hiv-art-start-bundle.json"), evaluation_time=AT)
    evaluation = evaluator().evaluate(result.scenario, at=AT)
    assert "iris-risk" in [f.rule_id for f in evaluation.findings]
    assert evaluation.facts.baseline_cd4 == pytest.approx(45.0)
    assert evaluation.facts.art_days == 17


def test_end_to_end_draft_order_fires_iris_risk() -> None:
    prefetch = [
        patient("pat-hiv-2", gender="female", birthDate="1992-01-05"),
        bundle(
            condition("hiv", [(ICD10, "Z21", None)], subject={"reference": "Patient/pat-hiv-2"}),
            cd4("cd4", 0.045, "10*9/L", subject={"reference": "Patient/pat-hiv-2"}),
        ),
    ]
    result = scenario_from_resources(prefetch, draft_orders=[fixture("draft-orders-bundle.json")])
    assert result.notes == []
    [draft] = result.scenario.medications
    assert draft.draft and draft.status is MedicationStatus.draft and draft.classes == ["art"]
    evaluation = evaluator().evaluate(result.scenario, at=AT)
    assert evaluation.facts.art_starting_now is True
    assert "iris-risk" in [f.rule_id for f in evaluation.findings]


def test_mixed_quality_bundle_keeps_what_it_can_and_says_what_it_left_out() -> None:
    result = scenario_from_bundle(fixture("mixed-quality-bundle.json"))
    s = result.scenario
    kinds = [o.kind for o in s.observations]
    assert kinds == [
        ObservationKind.viral_load,
        ObservationKind.pregnancy_status,
        ObservationKind.transplant_ineligible,
    ]
    assert [c.concepts for c in s.conditions] == [["poems"]]
    assert [m.ingredient for m in s.medications] == ["prednisone"]
    assert len(result.notes) == 2
    assert (
        "Observation/obs-cd4-abc.valueQuantity.value: must be a number, not a string; left out"
        in result.notes
    )
    assert "Observation/obs-cd4-mg: unit 'mg' cannot be converted for cd4; left out" in result.notes


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_the_scenario_read_is_a_valid_scenario(name: str) -> None:
    # The intake attaches items it validated one by one; the whole must still pass the Scenario's checks.
    scenario = scenario_from_bundle(fixture(name), evaluation_time=AT).scenario
    assert Scenario.model_validate(scenario.model_dump(round_trip=True)) == scenario


_PREGNANT = {
    "resourceType": "Observation",
    "id": "preg",
    "status": "final",
    "subject": {"reference": "Patient/p1"},
    "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
    "effectiveDateTime": "2026-06-08",
    "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]},
}
_JUNE = datetime(2026, 6, 10, 12, tzinfo=UTC)


def _topics(*resources: dict[str, Any]) -> list[str]:
    woman = patient("p1", gender="female", birthDate="1990-01-01")
    result = scenario_from_bundle(bundle(woman, *resources), evaluation_time=_JUNE)
    return [f.rule_id for f in evaluator().evaluate(result.scenario, at=_JUNE).findings]


def test_a_draft_order_whose_validity_ends_before_it_starts_still_raises_the_critical_card() -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "thal",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "thalidomide 100 mg capsule"},
        "authoredOn": "2026-06-10",
        "dispenseRequest": {"validityPeriod": {"start": "2026-06-10", "end": "2026-05-10"}},
    }
    assert _topics(order) == ["thalidomide-teratogenicity"]


def test_a_statement_stopped_in_a_month_counts_to_the_end_of_that_month() -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "id": "thal",
        "status": "stopped",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "thalidomide"},
        "effectivePeriod": {"start": "2026-01-01", "end": "2026-05"},
    }
    assert _topics(_PREGNANT, statement) == ["thalidomide-pregnancy"]  # 10 days after 31 May, not 40


def test_an_order_dated_only_by_its_dosage_bounds_is_dated_by_them() -> None:
    bounds = {"timing": {"repeat": {"boundsPeriod": {"start": "2026-03-01", "end": "2026-06-01"}}}}
    stopped = {
        "resourceType": "MedicationRequest",
        "id": "thal",
        "status": "stopped",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "thalidomide"},
        "dosageInstruction": [bounds],
    }
    assert _topics(_PREGNANT, stopped) == ["thalidomide-pregnancy"]
    art = {
        **stopped,
        "id": "art",
        "status": "active",
        "medicationCodeableConcept": {"text": "dolutegravir"},
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-05-01"}}}}],
    }
    hiv = condition("hiv", [(ICD10, "B20", None)])
    result = scenario_from_bundle(bundle(patient("p1"), hiv, art), evaluation_time=_JUNE)
    assert evaluator().evaluate(result.scenario, at=_JUNE).facts.art_days == 40
