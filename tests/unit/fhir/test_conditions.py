"""FHIR intake (engine.fhir): conditions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.scenario import CodeSystem, ConditionStatus
from tests.unit.fhir.builders import ICD10, SNOMED, Resource, cd4, condition, med_request, read


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("B45.1", {"iris-associated", "cryptococcal-meningitis"}),
        ("B451", {"iris-associated", "cryptococcal-meningitis"}),
        ("B45", {"iris-associated"}),
        ("B45.9", {"iris-associated"}),
        ("A17.0", {"iris-associated", "tuberculosis", "tb-meningitis"}),
        ("B20", {"hiv"}),
        ("O09.90", {"pregnancy"}),
    ],
)
def test_condition_codes_match_their_children(code: str, expected: set[str]) -> None:
    [c] = read(condition("c", [(ICD10, code, None)])).scenario.conditions
    assert set(c.concepts) == expected


def test_condition_prefers_the_first_icd10_coding_and_keeps_the_text() -> None:
    codings = [
        (SNOMED, "86406008", "HIV infection"),
        (ICD10, "B45.1", "Cryptococcal meningitis"),
        (ICD10, "B20", None),
    ]
    [c] = read(condition("c", codings, text="Cryptococcal meningitis in HIV")).scenario.conditions
    assert (c.system, c.code, c.text) == (CodeSystem.icd10cm, "B45.1", "Cryptococcal meningitis in HIV")
    # Every coding is passed on, so the HIV the other codings name is not lost.
    assert [(x.system, x.code) for x in c.codings] == [(s, code) for s, code, _ in codings]
    assert "hiv" in c.concepts


def test_a_pregnancy_in_a_later_coding_is_not_lost() -> None:
    codings = [(ICD10, "Z3A.20", "20 weeks"), (ICD10, "Z34.82", "Supervision of normal pregnancy")]
    concepts = {c for cond in read(condition("c", codings)).scenario.conditions for c in cond.concepts}
    assert "pregnancy" in concepts


def test_condition_falls_back_to_snomed_and_to_the_display() -> None:
    codings = [("http://example.org/local", "X1", None), (SNOMED, "86406008", "HIV infection")]
    [c] = read(condition("c", codings)).scenario.conditions
    assert (c.system, c.code, c.text, c.concepts) == (CodeSystem.snomed, "86406008", "HIV infection", ["hiv"])


@pytest.mark.parametrize(
    "resource",
    [
        condition("poems", text="POEMS syndrome"),
        condition("cf", [("http://example.org/local", "77", "Crow-Fukase syndrome")]),
        condition("both", [(ICD10, "D47.Z9", "Other neoplasms")], text="poems"),
    ],
)
def test_poems_is_recognised_by_text(resource: Resource) -> None:
    [c] = read(resource).scenario.conditions
    assert "poems" in c.concepts


def test_a_recognising_display_is_kept_beside_the_text() -> None:
    codings = [("http://example.org/local", "77", "POEMS syndrome")]
    [c] = read(condition("c", codings, text="Plasma cell disorder")).scenario.conditions
    assert c.text == "Plasma cell disorder; POEMS syndrome"
    assert c.concepts == ["poems"]


def test_condition_coded_only_in_an_unread_system_is_counted_by_system() -> None:
    # A local code the knowledge base cannot read might be an HIV diagnosis: the clinician is told.
    result = read(
        condition("c1", [("http://example.org/local", "77", None)]),
        condition("c2", [("http://example.org/local", "78", None)]),
        condition("c3", [("urn:oid:1.2.3.4", "9", None)], text="Something unrecognised"),
    )
    assert result.scenario.conditions == [] and result.problems == []
    assert result.notes == [
        "conditions coded only in code systems the knowledge base does not read, so not checked by any rule: "
        "http://example.org/local (2), urn:oid:1.2.3.4 (1)"
    ]


def test_conditions_in_known_systems_with_codes_of_no_interest_stay_silent() -> None:
    result = read(
        condition("c1", [(ICD10, "I10", "Hypertension")]),
        condition("c2", [(SNOMED, "38341003", None), ("http://example.org/local", "77", None)]),
        condition("c3", text="Seasonal allergies"),
    )
    assert result.scenario.conditions == [] and result.notes == []


def test_a_local_code_with_a_recognisable_text_is_read() -> None:
    local = condition("c", [("http://example.org/local", "77", None)], text="POEMS syndrome")
    [c] = read(local).scenario.conditions
    assert c.concepts == ["poems"] and c.codings[0].system == "http://example.org/local"


@pytest.mark.parametrize(
    ("clinical", "expected"),
    [
        ("active", ConditionStatus.active),
        ("recurrence", ConditionStatus.recurrence),
        ("relapse", ConditionStatus.relapse),
        ("inactive", ConditionStatus.inactive),
        ("remission", ConditionStatus.remission),
        ("resolved", ConditionStatus.resolved),
        ("something-else", ConditionStatus.unknown),
        (None, ConditionStatus.unknown),
    ],
)
def test_clinical_status_is_mapped(clinical: str | None, expected: ConditionStatus) -> None:
    [c] = read(condition("c", [(ICD10, "B20", None)], clinical=clinical)).scenario.conditions
    assert c.status is expected


def test_condition_dates() -> None:
    resource = condition(
        "c",
        [(ICD10, "B45.1", None)],
        onsetPeriod={"start": "2026-05-03"},
        recordedDate="2026-05-04T10:00:00+02:00",
    )
    [c] = read(resource).scenario.conditions
    assert c.onset == datetime(2026, 5, 3, tzinfo=UTC)
    assert c.recorded == datetime(2026, 5, 4, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "resource",
    [
        cd4("o", 40, status="entered-in-error"),
        cd4("o", 40, status="cancelled"),
        condition("c", [(ICD10, "I26.99", None)], verification="refuted"),
        condition("c", [(ICD10, "I26.99", None)], verification="entered-in-error"),
        med_request("m", "thalidomide 50 MG Oral Capsule", status="entered-in-error"),
        {**med_request("m", "efavirenz 600 MG"), "doNotPerform": True},
        {
            "resourceType": "MedicationStatement",
            "id": "ms",
            "status": "entered-in-error",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"text": "prednisone"},
        },
    ],
)
def test_ignored_statuses_leave_nothing_and_no_note(resource: Resource) -> None:
    result = read(resource)
    s = result.scenario
    assert (s.observations, s.conditions, s.medications, result.notes) == ([], [], [], [])


def test_preliminary_and_confirmed_are_kept() -> None:
    s = read(
        cd4("o", 40, status="preliminary"), condition("c", [(ICD10, "B20", None)], verification="confirmed")
    ).scenario
    assert len(s.observations) == 1 and len(s.conditions) == 1


def test_irrelevant_conditions_and_medications_are_skipped_without_validation() -> None:
    # Invalid as FHIR (a number where a date belongs) yet not reported: nothing in them could matter.
    pneumonia = condition("c", [(ICD10, "J18.9", "Pneumonia")])
    pneumonia["onsetDateTime"] = 12
    paracetamol = med_request("m", "Paracetamol 500 mg")
    paracetamol["authoredOn"] = 12
    imported = read(pneumonia, paracetamol)
    assert imported.scenario.conditions == [] and imported.scenario.medications == []
    assert imported.notes == []
