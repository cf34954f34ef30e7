"""Requests shaped as real CDS clients send them (the CDS Hooks sandbox's order shapes).

Every one is answered, and an element no rule reads never stands between the clinician and a safety alert.
"""

from __future__ import annotations

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
