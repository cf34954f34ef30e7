"""FHIR intake (engine.fhir): the draftOrders Bundle read with its fullUrls, inactive ingredients, and the
notes an OperationOutcome gives (never its free text, worded for where it was, each once)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.fhir import scenario_from_resources
from engine.fhir.bundles import failed_search
from engine.valueset_files import default_value_sets
from service.cds.draft_orders import medication_classes_of
from tests.unit.fhir.builders import RXNORM, Resource, bundle, cd4, med_request, read

URN = "urn:uuid:11111111-1111-1111-1111-111111111111"
THALIDOMIDE = {"text": "thalidomide 50 mg capsule"}


def _outcome(severity: str, code: Any = "processing") -> Resource:
    issue = {"severity": severity, "code": code, "diagnostics": "rejected for Jane Roe, MRN 99812"}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def test_a_draft_order_names_its_medication_by_the_urn_uuid_full_url_of_a_draft_orders_entry() -> None:
    order = med_request("d1", status="draft", medicationReference={"reference": URN})
    medication = {"resourceType": "Medication", "id": "m", "code": THALIDOMIDE}
    drafts = {
        "resourceType": "Bundle",
        "entry": [{"resource": order}, {"fullUrl": URN, "resource": medication}],
    }
    result = scenario_from_resources([], draft_orders=drafts)
    [m] = result.scenario.medications
    assert (m.classes, m.draft) == (["thalidomide-class"], True)
    assert result.notes == [] and result.unresolved_references == []
    assert result.medications[URN] is medication


@pytest.mark.parametrize(
    ("is_active", "classes"), [(False, []), (True, ["thalidomide-class"]), (None, ["thalidomide-class"])]
)
def test_an_ingredient_marked_inactive_is_not_read_as_the_drug(
    is_active: bool | None, classes: list[str]
) -> None:
    ingredient: Resource = {"itemCodeableConcept": {"text": "thalidomide"}}
    if is_active is not None:
        ingredient["isActive"] = is_active
    medication = {
        "resourceType": "Medication",
        "id": "m",
        "code": {"coding": [{"system": RXNORM, "code": "1191", "display": "aspirin"}]},
        "ingredient": [ingredient],
    }
    order = med_request("d1", status="draft", contained=[medication], medicationReference={"reference": "#m"})
    result = read(drafts=(order,))  # a medication in no class a rule reads is not kept
    assert [c for m in result.scenario.medications for c in m.classes] == classes


def test_an_outcome_is_noted_without_its_text_and_a_code_that_is_not_a_code_is_not_quoted() -> None:
    result = read(bundle(cd4("o1", 50), _outcome("warning", "Jane Roe MRN 99812"), id="obs"))
    assert result.notes == ["Bundle/obs: the FHIR server that gave this data sent a warning"]


def test_an_outcome_in_the_draft_orders_is_worded_for_the_ehr() -> None:
    drafts = {"resourceType": "Bundle", "entry": [{"resource": _outcome("fatal")}]}
    assert scenario_from_resources([], draft_orders=drafts).notes == [
        "draftOrders: the draft orders from the EHR hold an OperationOutcome with a fatal error "
        "(issue code 'processing'); the data may be incomplete, so an alert may be missing"
    ]


def test_the_same_warning_on_several_pages_is_noted_once() -> None:
    pages = bundle(cd4("o1", 50), _outcome("warning"), cd4("o2", 60), _outcome("warning"), id="obs")
    assert read(pages).notes == [
        "Bundle/obs: the FHIR server that gave this data sent a warning (issue code 'processing')"
    ]


def test_an_error_outcome_in_a_nested_bundle_fails_the_search_within_the_intakes_depth() -> None:
    nested: Resource = {"resourceType": "Bundle", "entry": [{"resource": _outcome("error")}]}
    assert failed_search(bundle(cd4("o1", 50), nested))
    assert not failed_search(bundle(cd4("o1", 50), {**nested, "entry": [{"resource": _outcome("warning")}]}))
    deep = nested
    for _ in range(20):
        deep = bundle(deep)
    assert not failed_search(deep)  # deeper than the intake reads (it notes the Bundle left out)


def test_the_cards_read_an_inactive_ingredient_as_not_the_drug() -> None:
    ingredient = {"itemCodeableConcept": {"text": "thalidomide"}, "isActive": False}
    medication = {
        "resourceType": "Medication",
        "id": "m",
        "code": {"text": "aspirin"},
        "ingredient": [ingredient],
    }
    order = med_request("d1", status="draft", medicationReference={"reference": "Medication/m"})
    assert medication_classes_of(order, default_value_sets(), {"Medication/m": medication}) == set()
    ingredient["isActive"] = True
    assert medication_classes_of(order, default_value_sets(), {"Medication/m": medication}) == {
        "thalidomide-class"
    }


def test_a_prefetched_bundle_or_outcome_is_named_by_its_prefetch_key() -> None:
    """An integrator looks up a note's source by the prefetch key, which a Bundle without an id lacks."""
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "observations": bundle(cd4("o1", 50), _outcome("warning")),
        "conditions": bundle(id="conds", link=[{"relation": "next", "url": "https://ehr.example/p2"}]),
        "medications": _outcome("warning", "not-found"),
    }
    result = scenario_from_resources(prefetch)
    assert result.notes == [
        "prefetch.observations: the FHIR server that gave this data sent a warning (issue code 'processing')",
        "prefetch.conditions (Bundle/conds): only this page of the search result was given (it has a next "
        "link); the other pages were not read, so an alert may be missing",
        "prefetch.medications: the FHIR server that gave this data sent a warning (issue code 'not-found')",
    ]
    assert result.next_links == ["prefetch.conditions (Bundle/conds)"]
    assert [o.value for o in result.scenario.observations] == [50]
