"""FHIR intake (engine.fhir): bundles and patients."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.fhir import looks_like_fhir, scenario_from_bundle, scenario_from_resources
from engine.scenario import ObservationKind, Sex
from tests.unit.fhir.builders import ICD10, bundle, cd4, condition, fixture, med_request, patient, read


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"resourceType": "Bundle", "type": "collection"}, True),
        ({"resourceType": "Observation"}, True),
        ({"patient": {}, "observations": []}, False),
        ({"resourceType": 3}, False),
        ([{"resourceType": "Patient"}], False),
        ("Patient", False),
        (None, False),
    ],
)
def test_looks_like_fhir(data: Any, expected: bool) -> None:
    assert looks_like_fhir(data) is expected


@pytest.mark.parametrize("junk", ["Patient", None, 42, [], {"no": "type"}, {"resourceType": None}])
def test_things_that_are_not_resources_are_reported(junk: Any) -> None:
    result = read(junk, cd4("good", 45))
    assert len(result.scenario.observations) == 1
    assert result.notes == ["item 1: not a FHIR resource (no resourceType); left out"]


def test_resource_types_not_used_are_not_validated() -> None:
    # An invalid Encounter costs nothing and says nothing: the rules do not use encounters.
    result = read({"resourceType": "Encounter", "id": "e", "status": 12, "nonsense": True})
    assert result.notes == []


def test_the_input_is_not_modified() -> None:
    data = fixture("mixed-quality-bundle.json")
    before = copy.deepcopy(data)
    scenario_from_bundle(data)
    assert data == before


def test_nested_bundles_are_flattened() -> None:
    inner = bundle(cd4("o2", 60))
    outer = bundle(patient(), cd4("o1", 50), inner, type="searchset")
    result = read(outer, bundle(condition("c", [(ICD10, "B20", None)])))
    assert [o.value for o in result.scenario.observations] == [50, 60]
    assert len(result.scenario.conditions) == 1
    assert result.patient_id == "p1"


def test_bundle_entries_without_resources_are_skipped() -> None:
    data = bundle(cd4("o1", 50))
    data["entry"].append({"fullUrl": "http://example.org/Observation/gone", "request": {"method": "DELETE"}})
    result = scenario_from_bundle(data)
    assert len(result.scenario.observations) == 1 and result.notes == []


def test_a_bundle_without_type_is_read_as_clients_send_it() -> None:
    # The CDS Hooks sandbox sends draftOrders as a Bundle with no type; nothing reads the type.
    data = bundle(cd4("o1", 50), id="b1")
    del data["type"]
    result = scenario_from_bundle(data)
    assert len(result.scenario.observations) == 1
    assert result.notes == [] and result.problems == []


def test_a_bundle_whose_entry_is_not_a_list_is_reported() -> None:
    result = scenario_from_bundle(
        {"resourceType": "Bundle", "id": "b", "type": "collection", "entry": {"x": 1}}
    )
    assert result.scenario.observations == []
    assert [p.field for p in result.problems] == ["Bundle/b.entry"]
    assert any(n.startswith("Bundle/b.entry:") for n in result.notes)


def test_an_unknown_resource_type_is_a_problem_and_an_unused_known_type_is_not() -> None:
    result = scenario_from_resources([{"resourceType": "Banana", "id": "x"}, {"resourceType": "Encounter"}])
    assert [p.field for p in result.problems] == ["Banana/x"]


def test_the_same_resource_twice_is_used_once() -> None:
    result = read(cd4("o1", 50), bundle(cd4("o1", 50)))
    assert len(result.scenario.observations) == 1 and result.notes == []
    changed = read(cd4("o1", 50), cd4("o1", 70))
    assert [o.value for o in changed.scenario.observations] == [50]
    assert changed.notes == ["Observation/o1: given twice with different content; the first is used"]


def test_resources_of_another_patient_are_left_out() -> None:
    theirs = {**cd4("o2", 10), "subject": {"reference": "Patient/someone-else"}}
    ours = {**cd4("o1", 50), "subject": {"reference": "https://ehr.example.org/fhir/Patient/p1"}}
    result = read(patient("p1"), ours, theirs)
    assert [o.value for o in result.scenario.observations] == [50]
    assert result.notes == ["Observation/o2: belongs to another patient; left out"]
    assert "someone-else" not in " ".join(result.notes)


def test_urn_uuid_subjects_resolve_against_the_patient_full_url() -> None:
    data = fixture("hiv-art-start-bundle.json")
    stranger = {**cd4("o-x", 10), "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-00000000dead"}}
    data["entry"].append({"resource": stranger})
    result = scenario_from_bundle(data)
    assert [o.value for o in result.scenario.observations if o.kind is ObservationKind.cd4] == [
        pytest.approx(45.0)
    ]
    assert result.notes == ["Observation/o-x: belongs to another patient; left out"]


def test_a_second_patient_is_reported() -> None:
    result = read(patient("p1", gender="female"), patient("p2", gender="male"))
    assert result.patient_id == "p1" and result.scenario.patient.sex is Sex.female
    assert result.notes == ["a second Patient resource; left out (the patient is Patient/p1)"]


@pytest.mark.parametrize(
    ("gender", "expected"),
    [("female", Sex.female), ("male", Sex.male), ("other", Sex.other), (None, Sex.unknown)],
)
def test_patient_gender(gender: str | None, expected: Sex) -> None:
    extra = {"gender": gender} if gender else {}
    assert read(patient(**extra)).scenario.patient.sex is expected


_INDIVIDUAL_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-individual-sex"
_BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"


def _sex_extension(code: str) -> dict[str, Any]:
    return {"url": _INDIVIDUAL_SEX, "valueCoding": {"system": "http://snomed.info/sct", "code": code}}


@pytest.mark.parametrize(
    ("gender", "extensions", "expected"),
    [
        # US Core 8 writes the sex only in the individual-sex extension, with no Patient.gender.
        (None, [_sex_extension("248152002")], Sex.female),
        (None, [_sex_extension("248153007")], Sex.male),
        ("unknown", [_sex_extension("248152002")], Sex.female),
        (None, [{"url": _BIRTH_SEX, "valueCode": "F"}], Sex.female),
        (None, [{"url": _BIRTH_SEX, "valueCode": "M"}, _sex_extension("248152002")], Sex.female),
        # Patient.gender, when it says male or female, decides.
        ("male", [_sex_extension("248152002")], Sex.male),
        # Unreadable or foreign extensions are ignored, never a reason to refuse the request.
        (
            None,
            [{"url": _INDIVIDUAL_SEX, "valueCoding": "female"}, 7, {"url": "urn:x", "valueCode": "F"}],
            Sex.unknown,
        ),
        (
            None,
            [{"url": _INDIVIDUAL_SEX, "valueCoding": {"system": "urn:local", "code": "248152002"}}],
            Sex.unknown,
        ),
    ],
)
def test_sex_from_us_core_extensions(gender: str | None, extensions: list[Any], expected: Sex) -> None:
    resource = {"resourceType": "Patient", "id": "p", "birthDate": "1990-01-01", "extension": extensions}
    if gender is not None:
        resource["gender"] = gender
    imported = scenario_from_resources([resource])
    assert imported.problems == []
    assert imported.scenario.patient.sex is expected


def test_no_patient_gives_an_empty_patient() -> None:
    result = read(cd4("o", 45))
    assert result.patient_id is None
    assert result.scenario.patient.id is None and result.scenario.patient.sex is Sex.unknown


def test_partial_dates_are_taken_as_their_first_day_and_noted() -> None:
    result = read(patient(birthDate="1984-03"), condition("c", [(ICD10, "B20", None)], onsetDateTime="2025"))
    s = result.scenario
    assert s.patient.birth_date is not None and s.patient.birth_date.isoformat() == "1984-03-01"
    assert s.conditions[0].onset == datetime(2025, 1, 1, tzinfo=UTC)
    assert result.notes == [
        "Patient/p1: birthDate '1984-03' is a partial date; taken as 1984-03-01",
        "Condition/c: onset '2025' is a partial date; taken as 2025-01-01",
    ]


def test_evaluation_time_is_passed_on() -> None:
    result = scenario_from_bundle(bundle(cd4("o", 45)), evaluation_time=datetime(2026, 5, 15, 12))
    assert result.scenario.evaluation_time == datetime(2026, 5, 15, 12, tzinfo=UTC)


def test_a_single_resource_in_place_of_a_list_is_read_as_one_resource() -> None:
    result = scenario_from_resources(cd4("o", 45), draft_orders=med_request("d", "dolutegravir"))
    assert len(result.scenario.observations) == 1 and result.notes == []
    assert [m.draft for m in result.scenario.medications] == [True]


def test_a_patient_without_id_does_not_exclude_references_by_id() -> None:
    nameless = {"resourceType": "Patient", "gender": "female"}
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:6f1e3c1a-0000-4000-8000-0000000000aa", "resource": nameless},
            {"resource": {**cd4("o", 45), "subject": {"reference": "Patient/123"}}},
        ],
    }
    result = scenario_from_bundle(data)
    assert len(result.scenario.observations) == 1 and result.notes == []
    assert result.patient_id is None and result.scenario.patient.sex is Sex.female


def test_a_single_resource_works_as_a_bundle() -> None:
    result = scenario_from_bundle(patient("solo", birthDate="2000-01-01"))
    assert result.patient_id == "solo"


def test_a_primitive_extension_beside_a_date_is_valid() -> None:
    obs = cd4("o", 40)
    obs["_effectiveDateTime"] = {"extension": [{"url": "http://example.org/x", "valueCode": "unknown"}]}
    imported = read(obs)
    assert imported.problems == [] and len(imported.scenario.observations) == 1


def test_a_search_page_with_a_next_link_is_reported() -> None:
    # Only the first page was given: the caller must fetch the rest or refuse; the intake never hides it.
    page = {
        **bundle(cd4("o1", 50), id="obs"),
        "link": [{"relation": "next", "url": "https://ehr/fhir?page=2"}],
    }
    result = read(page)
    assert result.next_links == ["Bundle/obs"]
    assert any(
        n.startswith("Bundle/obs: only this page of the search result was given") for n in result.notes
    )
    assert len(result.scenario.observations) == 1


def test_a_bundle_with_only_self_links_has_no_next_page() -> None:
    result = read({**bundle(cd4("o1", 50)), "link": [{"relation": "self", "url": "https://ehr/fhir?x"}]})
    assert result.next_links == [] and result.notes == []


def _search(*resources: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    entries = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    return {
        **bundle(),
        "type": "searchset",
        "entry": [*entries, {"resource": outcome, "search": {"mode": "outcome"}}],
    }


def _outcome(*issues: tuple[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "id": "oo",
        "issue": [{"severity": s, "code": "processing", "diagnostics": d} for s, d in issues],
    }


def test_an_operation_outcome_in_a_search_bundle_is_noted_by_severity_without_its_text() -> None:
    outcome = _outcome(
        ("error", "token eyJhbGciOi.abc rejected for Patient/other-42 (Jane Roe, MRN 99812)"),
        ("warning", "results  may be\nincomplete"),
        ("information", "search took 5 ms"),
    )
    result = read({**_search(cd4("o1", 50), outcome=outcome), "id": "obs"})
    assert len(result.scenario.observations) == 1 and result.problems == []
    assert result.notes == [
        "Bundle/obs: the FHIR server that gave this data sent an error (issue code 'processing'); "
        "the data may be incomplete, so an alert may be missing",
        "Bundle/obs: the FHIR server that gave this data sent a warning (issue code 'processing')",
    ]


def test_an_informational_operation_outcome_and_unused_resource_types_are_not_noted() -> None:
    search = _search(cd4("o1", 50), outcome=_outcome(("information", "ok")))
    search["entry"].append(
        {"resource": {"resourceType": "Encounter", "id": "e1"}, "search": {"mode": "include"}}
    )
    assert read(search).notes == []
