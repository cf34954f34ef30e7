"""Requests shaped as real CDS clients send them (the CDS Hooks sandbox's order shapes).

Every one is answered, and an element no rule reads never stands between the clinician and a safety alert.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from service.suites.steps.fixtures import load_fixture


def _topics(answer: dict[str, object]) -> list[str]:
    cards = answer["cards"]
    assert isinstance(cards, list)
    return [card["source"]["topic"]["code"] for card in cards]


def test_sandbox_order_with_category_as_one_object_still_warns_of_pregnancy(client: TestClient) -> None:
    # The sandbox writes MedicationRequest.category as one object (R4 says a list); no rule reads it.
    body = load_fixture("sandbox-order-select-thalidomide")
    assert isinstance(body["context"]["draftOrders"]["entry"][0]["resource"]["category"], dict)
    answer = client.post("/cds-services/order-select", json=body)
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert cards[0]["indicator"] == "critical"
    assert "thalidomide-pregnancy" in _topics(answer.json())


def test_sandbox_first_order_select_before_a_drug_is_chosen_is_answered(client: TestClient) -> None:
    # Before the clinician picks a drug the sandbox sends an order with no medication and no intent.
    body = load_fixture("sandbox-order-select-no-drug-yet")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    assert "medicationCodeableConcept" not in order and "intent" not in order
    answer = client.post("/cds-services/order-select", json=body)
    assert answer.status_code == 200, answer.text
    # No drug yet, so no medication rule can fire, and an order being written is not a data-quality issue.
    assert answer.json()["cards"] == []


def _thalidomide_order(**medication: object) -> dict[str, Any]:
    body = load_fixture("order-sign-thalidomide-pregnant")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    for element in ("medicationCodeableConcept", "medicationReference", "contained"):
        order.pop(element, None)
    order.update(medication)
    return body


INGREDIENT_ONLY = {
    "resourceType": "Medication",
    "id": "m1",
    "ingredient": [
        {
            "itemCodeableConcept": {
                "coding": [
                    {
                        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": "10432",
                        "display": "thalidomide",
                    }
                ]
            },
            "isActive": True,
        }
    ],
}


def test_a_medication_named_only_by_its_ingredient_raises_the_critical_teratogenicity_card(
    client: TestClient,
) -> None:
    # Contained (#m1) or elsewhere in draftOrders (Medication/m1): a Medication with no code, whose drug is
    # named in Medication.ingredient only, as some formularies write a compounded or study product.
    contained = _thalidomide_order(contained=[INGREDIENT_ONLY], medicationReference={"reference": "#m1"})
    referenced = _thalidomide_order(medicationReference={"reference": "Medication/m1"})
    referenced["context"]["draftOrders"]["entry"].append({"resource": INGREDIENT_ONLY})
    for body in (contained, referenced):
        answer = client.post("/cds-services/order-sign", json=body)
        assert answer.status_code == 200, answer.text
        cards = answer.json()["cards"]
        teratogenicity = [c for c in cards if c["source"]["topic"]["code"] == "thalidomide-teratogenicity"]
        assert [c["indicator"] for c in teratogenicity] == ["critical"]
        pregnancy = next(c for c in cards if c["source"]["topic"]["code"] == "thalidomide-pregnancy")
        deletes = [a for s in pregnancy.get("suggestions", []) for a in s.get("actions", [])]
        assert [a["resourceId"] for a in deletes] == [f"MedicationRequest/{_order_id(body)}"]


def _order_id(body: dict[str, Any]) -> str:
    return str(body["context"]["draftOrders"]["entry"][0]["resource"]["id"])


def test_a_medication_whose_drug_cannot_be_read_is_reported_on_the_data_quality_card(
    client: TestClient,
) -> None:
    body = _thalidomide_order(
        contained=[{"resourceType": "Medication", "id": "m1", "form": {"text": "capsule"}}],
        medicationReference={"reference": "#m1"},
    )
    answer = client.post("/cds-services/order-sign", json=body)
    assert answer.status_code == 200, answer.text
    [card] = answer.json()["cards"]
    assert card["source"]["topic"]["code"] == "data-quality"
    assert f"MedicationRequest/{_order_id(body)}: no medication name or code" in card["detail"]


def _topics_and_deletes(answer: dict[str, object]) -> tuple[dict[str, str], list[str]]:
    cards = answer["cards"]
    assert isinstance(cards, list)
    topics = {c["source"]["topic"]["code"]: c["indicator"] for c in cards}
    deletes = [a["resourceId"] for c in cards for s in c.get("suggestions", []) for a in s.get("actions", [])]
    return topics, deletes


def test_two_draft_orders_sharing_an_id_never_lose_the_critical_card_whichever_comes_first(
    client: TestClient,
) -> None:
    # Another drug's draft order under the thalidomide order's id, before it and after it.
    for position in (0, 2):
        body = load_fixture("order-sign-thalidomide-pregnant")
        entries = body["context"]["draftOrders"]["entry"]
        aspirin = {**entries[0]["resource"], "medicationCodeableConcept": {"text": "aspirin 81 mg tablet"}}
        entries.insert(position, {"resource": aspirin})
        answer = client.post("/cds-services/order-sign", json=body)
        assert answer.status_code == 200, answer.text
        topics, deletes = _topics_and_deletes(answer.json())
        assert topics["thalidomide-teratogenicity"] == "critical"
        assert topics["thalidomide-pregnancy"] == "critical"
        assert topics["data-quality"] == "info"
        # A delete by the shared id could remove the aspirin order instead: none is suggested.
        assert "MedicationRequest/draft-thal" not in deletes
