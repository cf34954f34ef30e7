"""FHIR intake (engine.fhir): a Medication named only by its ingredients, and one order id given twice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fhir.builders import RXNORM, Resource, med_request, read

THALIDOMIDE = {
    "coding": [{"system": RXNORM, "code": "10432", "display": "thalidomide"}],
    "text": "thalidomide",
}


def _medication(mid: str = "m1", **elements: Any) -> Resource:
    return {"resourceType": "Medication", "id": mid, **elements}


def _ingredients(*concepts: Resource) -> list[Resource]:
    return [{"itemCodeableConcept": c, "isActive": True} for c in concepts]


@pytest.mark.parametrize("draft", [True, False])
def test_a_contained_medication_named_only_by_its_ingredient_is_read(draft: bool) -> None:
    order = med_request(
        "thal",
        status="draft" if draft else "active",
        contained=[_medication(ingredient=_ingredients(THALIDOMIDE))],
        medicationReference={"reference": "#m1"},
    )
    result = read(drafts=(order,)) if draft else read(order)
    [m] = result.scenario.medications
    assert (m.code, m.classes, m.draft) == ("10432", ["thalidomide-class"], draft)
    assert result.notes == []


def test_a_referenced_medication_named_only_by_its_ingredient_is_read() -> None:
    order = med_request("thal", status="draft", medicationReference={"reference": "Medication/m1"})
    by_text = _medication("m2", ingredient=_ingredients({"text": "thalidomide"}))
    other = med_request("thal2", status="draft", medicationReference={"reference": "Medication/m2"})
    medication = _medication(ingredient=_ingredients(THALIDOMIDE))
    result = read(drafts=(order, medication, other, by_text))
    assert [m.classes for m in result.scenario.medications] == [["thalidomide-class"]] * 2
    assert result.notes == []


def test_a_product_code_and_its_ingredients_are_both_read() -> None:
    # A product code the knowledge base does not recognise does not hide a thalidomide ingredient.
    product = {"coding": [{"system": RXNORM, "code": "999999", "display": "Study capsule"}]}
    order = med_request(
        "thal",
        contained=[_medication(code=product, ingredient=_ingredients(THALIDOMIDE))],
        medicationReference={"reference": "#m1"},
    )
    [m] = read(order).scenario.medications
    assert m.code == "999999" and m.classes == ["thalidomide-class"]
    assert {c.code for c in m.codings} == {"999999", "10432"}


@pytest.mark.parametrize("draft", [True, False])
@pytest.mark.parametrize(
    "medication",
    [
        _medication(form={"text": "capsule"}),  # neither code nor ingredient
        _medication(ingredient=[{"itemReference": {"reference": "Substance/s1"}}]),  # nothing readable
        _medication(code={}),
    ],
)
def test_a_medication_whose_drug_cannot_be_read_is_reported_drafts_included(
    medication: Resource, draft: bool
) -> None:
    contained = med_request(
        "c", status="draft", contained=[medication], medicationReference={"reference": "#m1"}
    )
    referenced = med_request("r", status="draft", medicationReference={"reference": "Medication/m1"})
    empty_concept = med_request("e", status="draft", medicationCodeableConcept={"coding": []})
    orders = (contained, referenced, empty_concept)
    result = read(drafts=(*orders, medication)) if draft else read(*orders, medication)
    assert result.scenario.medications == [] and result.problems == []
    assert result.notes == [
        f"MedicationRequest/{mid}: no medication name or code; left out" for mid in ("c", "r", "e")
    ]


def test_an_unresolved_reference_is_reported_once() -> None:
    result = read(drafts=(med_request("r", medicationReference={"reference": "Medication/x"}),))
    assert result.notes == [
        "MedicationRequest/r: medication Medication/x is not in the request, so its drug could not be "
        "identified; left out, so an alert may be missing"
    ]


# ---- one order id given twice -----------------------------------------------------------------------------

# Prednisone, a drug the knowledge base recognises, so that both orders reach the scenario.
PRED = med_request("draft-1", "prednisone 40 mg tablet", status="draft")
THAL = med_request("draft-1", "Thalomid (thalidomide) 100 mg capsule", status="draft")


@pytest.mark.parametrize(("first", "second"), [(PRED, THAL), (THAL, PRED)])
def test_two_draft_orders_sharing_an_id_are_both_read_whichever_comes_first(
    first: Resource, second: Resource
) -> None:
    result = read(drafts=(first, second))
    assert sorted(m.ingredient for m in result.scenario.medications) == [
        "Thalomid (thalidomide) 100 mg capsule",
        "prednisone 40 mg tablet",
    ]
    assert result.notes == ["MedicationRequest/draft-1: given twice with different content; both are used"]


@pytest.mark.parametrize(("draft", "prefetched"), [(PRED, THAL), (THAL, PRED)])
def test_a_prefetched_order_of_another_drug_sharing_a_draft_orders_id_is_read_too(
    draft: Resource, prefetched: Resource
) -> None:
    result = read({**prefetched, "status": "active"}, drafts=(draft,))
    assert sorted((m.ingredient, m.draft) for m in result.scenario.medications) == [
        ("Thalomid (thalidomide) 100 mg capsule", draft is THAL),
        ("prednisone 40 mg tablet", draft is PRED),
    ]


def test_identical_copies_and_a_drafts_own_prefetch_copy_are_read_once() -> None:
    result = read({**THAL, "status": "active"}, THAL, drafts=(THAL, THAL))
    [m] = result.scenario.medications
    assert m.draft and result.notes == []
