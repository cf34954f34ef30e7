"""FHIR intake (engine.fhir): what a rule reads is read strictly; what no rule reads is never looked at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fhir.builders import (
    ICD10,
    LOINC,
    Resource,
    cd4,
    condition,
    med_request,
    observation,
    patient,
    quantity,
    read,
)


@pytest.mark.parametrize(
    ("resource", "field", "message"),
    [
        (cd4("bad-1", "abc"), "Observation/bad-1.valueQuantity.value", "must be a number, not a string"),
        (
            cd4("bad-1b", True),
            "Observation/bad-1b.valueQuantity.value",
            "must be a number, not true or false",
        ),
        ({**cd4("bad-2", 45), "valueQuantity": [45]}, "Observation/bad-2.valueQuantity", "must be an object"),
        ({**cd4("bad-3", 45), "status": 7}, "Observation/bad-3.status", "must be a string, not a number"),
        (
            cd4("bad-4", 45, when="2026-05-01T08:00:00"),
            "Observation/bad-4.effectiveDateTime",
            "is a time without a time zone",
        ),
        (cd4("bad-4b", 45, when="yesterday"), "Observation/bad-4b.effectiveDateTime", "is not a FHIR date"),
        (cd4("bad-4c", 45, when="2026-02-30"), "Observation/bad-4c.effectiveDateTime", "is not a valid date"),
        (cd4("bad-4d", 45, when=20260501), "Observation/bad-4d.effectiveDateTime", "must be a string"),
        (
            {**condition("bad-6", [(ICD10, "B20", None)]), "code": "B20"},
            "Condition/bad-6.code",
            "must be an object, not a string",
        ),
        (
            {**med_request("bad-7", "efavirenz"), "authoredOn": {"date": "x"}},
            "MedicationRequest/bad-7.authoredOn",
            "must be a string",
        ),
        (patient("bad-8", birthDate="14/07/1986"), "Patient/bad-8.birthDate", "is not a FHIR date"),
        (
            patient("bad-9", gender={"code": "male"}),
            "Patient/bad-9.gender",
            "must be a string, not an object",
        ),
        (
            {**cd4("bad-10", 45), "valueQuantity": {"value": 45, "code": "/uL", "comparator": "about"}},
            "Observation/bad-10.valueQuantity.comparator",
            "",
        ),
    ],
)
def test_a_malformed_element_a_rule_reads_is_a_problem_naming_resource_and_path(
    resource: Resource, field: str, message: str
) -> None:
    result = read(resource, cd4("good", 45))
    assert [o.value for o in result.scenario.observations] == [45]  # the others are still read
    [problem] = result.problems
    assert problem.field == field
    assert message in problem.message
    [note] = result.notes
    assert note == f"{field}: {problem.message}; left out"


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("category", {"coding": [{"code": "outpatient"}]}),  # one object where R4 has a list (the sandbox)
        ("intent", None),
        ("identifier", 12),
        ("extension", [{"url": 5}]),
        ("unexpected", 1),
        ("id", 7),
    ],
)
def test_a_malformed_element_no_rule_reads_is_ignored(element: str, value: Any) -> None:
    thalidomide = {**med_request("thal", "thalidomide 50 mg", status="draft"), element: value}
    result = read(thalidomide)
    assert result.problems == [] and result.notes == []
    [medication] = result.scenario.medications
    assert medication.classes == ["thalidomide-class"]


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("1 daily", "dosageInstruction: must be an array, not a string"),
        (
            [{"timing": {"repeat": {"boundsPeriod": {"end": 20260601}}}}],
            "dosageInstruction.0.timing.repeat.boundsPeriod.end: a date or time must be a string",
        ),
    ],
)
def test_a_malformed_dosage_read_only_for_its_bounds_is_noted_and_never_costs_the_drug(
    value: Any, where: str
) -> None:
    thalidomide = {**med_request("thal", "thalidomide 50 mg", status="draft"), "dosageInstruction": value}
    result = read(thalidomide)
    assert result.problems == []  # not a 422: the order is read as it was without its dosages
    assert result.notes == [f"MedicationRequest/thal.{where}; not used"]
    [medication] = result.scenario.medications
    assert (medication.classes, medication.start, medication.end) == (["thalidomide-class"], None, None)
    dated = {**thalidomide, "authoredOn": "2026-05-01"}
    assert read(dated).notes == []  # dated otherwise: its dosages are not read at all


def test_unread_parts_of_a_read_resource_are_ignored() -> None:
    # The CD4 percentage component is not read, so its malformed value does not cost the CD4 count.
    panel = observation("p", "24467-3", **quantity(45, "/uL"))
    panel["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": "8123-2"}]}, "valueQuantity": {"value": "n/a"}}
    ]
    panel["valueCodeableConcept"] = "not read for a count"
    result = read(panel)
    assert result.problems == [] and [o.value for o in result.scenario.observations] == [45]


def test_resources_no_rule_can_use_are_not_validated() -> None:
    # Invalid as FHIR where it does not matter: a glucose, a pneumonia, a paracetamol order.
    glucose = observation("glu", "2345-7", **quantity("abc", "mg/dL"))
    pneumonia = {**condition("c", [(ICD10, "J18.9", "Pneumonia")]), "onsetDateTime": 12}
    paracetamol = {**med_request("m", "Paracetamol 500 mg"), "authoredOn": 12}
    result = read(glucose, pneumonia, paracetamol, {"resourceType": "Encounter", "status": 12})
    assert result.problems == [] and result.notes == []


def test_a_malformed_code_is_a_problem_because_it_could_name_what_a_rule_reads() -> None:
    result = read({**cd4("odd", 45), "code": "24467-3"}, {**condition("c"), "code": {"coding": "B20"}})
    assert [p.field for p in result.problems] == ["Observation/odd.code", "Condition/c.code.coding"]


def test_each_resource_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.fhir.report as report

    seen: list[tuple[int, str]] = []
    real = report.convert  # type: ignore[attr-defined]

    def counting(data: Any, kind: Any) -> Any:
        seen.append((id(data), kind.__name__))
        return real(data, kind)

    monkeypatch.setattr(report, "convert", counting)
    read(cd4("a", 45), condition("c", [(ICD10, "B20", None)]), med_request("m", "efavirenz"))
    assert len(seen) == len(set(seen))  # no part of any resource is read twice as the same model


def test_numbers_beyond_floating_point_are_a_problem_not_a_crash() -> None:
    result = read(cd4("huge", 10**400), cd4("inf", float("inf")))
    assert [p.field for p in result.problems] == [
        "Observation/huge.valueQuantity",
        "Observation/inf.valueQuantity.value",
    ]
