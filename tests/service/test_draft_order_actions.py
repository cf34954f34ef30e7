"""order-sign cards and their delete actions when the draft's Medication is elsewhere in the request, when
its id is shared with another order, and when a Medication lists thalidomide only as an inactive part."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient

from service.suites.steps.fixtures import load_fixture

SUBJECT = {"reference": "Patient/os-thal-1"}
URN = "urn:uuid:11111111-1111-1111-1111-111111111111"
CRITICAL = ["thalidomide-pregnancy", "thalidomide-teratogenicity"]


def _order(rid: str, status: str = "draft", **drug: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": SUBJECT,
        **drug,
    }


def _sign(
    client: TestClient, drafts: list[dict[str, Any]], record: Sequence[dict[str, Any]] = ()
) -> tuple[list[str], list[str], str]:
    """(the topics of the cards, the delete ids on the pregnancy card, the data-quality card's detail)."""
    request = load_fixture("order-sign-thalidomide-pregnant")
    request["context"]["draftOrders"]["entry"] = drafts
    request["prefetch"]["medicationRequests"]["entry"] += [{"resource": r} for r in record]
    response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    topics = [c["source"]["topic"]["code"] for c in cards]
    pregnancy = [c for c in cards if c["source"]["topic"]["code"] == "thalidomide-pregnancy"]
    deletes = [
        a["resourceId"] for c in pregnancy for s in c.get("suggestions", []) for a in s.get("actions", [])
    ]
    quality = "".join(c["detail"] for c in cards if c["source"]["topic"]["code"] == "data-quality")
    return topics, deletes, quality


def _thalidomide(mid: str = "m") -> dict[str, Any]:
    return {"resourceType": "Medication", "id": mid, "code": {"text": "thalidomide 50 mg capsule"}}


def test_a_medication_named_by_its_urn_uuid_full_url_in_draft_orders_raises_both_critical_cards(
    client: TestClient,
) -> None:
    order = _order("d1", medicationReference={"reference": URN})
    topics, deletes, quality = _sign(
        client, [{"resource": order}, {"fullUrl": URN, "resource": _thalidomide()}]
    )
    assert topics == CRITICAL and deletes == ["MedicationRequest/d1"] and quality == ""


def test_no_delete_for_an_id_a_record_order_of_another_drug_also_has(client: TestClient) -> None:
    draft = _order("x", medicationCodeableConcept={"text": "Thalomid (thalidomide) 100 mg capsule"})
    aspirin = _order("x", "active", medicationCodeableConcept={"text": "aspirin 81 mg tablet"})
    topics, deletes, _ = _sign(client, [{"resource": draft}], [aspirin])
    assert topics[:2] == CRITICAL and deletes == []
    # The record's copy of the same order (same drug) is the order before this edit: the delete stands.
    before = {**draft, "status": "active", "authoredOn": "2026-01-01"}
    topics, deletes, _ = _sign(client, [{"resource": draft}], [before])
    assert topics[:2] == CRITICAL and deletes == ["MedicationRequest/x"]


def test_a_medication_from_the_prefetch_keeps_the_delete_action(client: TestClient) -> None:
    order = _order("d1", medicationReference={"reference": "Medication/m"})
    topics, deletes, _ = _sign(client, [{"resource": order}], [_thalidomide()])
    assert topics == CRITICAL and deletes == ["MedicationRequest/d1"]


def test_a_medication_with_thalidomide_only_as_an_inactive_ingredient_raises_no_thalidomide_card(
    client: TestClient,
) -> None:
    rx = "http://www.nlm.nih.gov/research/umls/rxnorm"
    ingredient: dict[str, Any] = {"itemCodeableConcept": {"text": "thalidomide"}, "isActive": False}
    medication = {
        "resourceType": "Medication",
        "id": "m",
        "code": {"coding": [{"system": rx, "code": "1191", "display": "aspirin"}]},
        "ingredient": [ingredient],
    }
    order = _order("d1", contained=[medication], medicationReference={"reference": "#m"})
    topics, _, _ = _sign(client, [{"resource": order}])
    assert not set(topics) & set(CRITICAL)
    ingredient["isActive"] = True
    topics, deletes, _ = _sign(client, [{"resource": order}])
    assert topics == CRITICAL and deletes == ["MedicationRequest/d1"]


def test_an_error_outcome_in_a_bundle_nested_in_a_prefetch_search_makes_it_incomplete(
    client: TestClient,
) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    failed = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing"}]}
    nested = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": failed}]}
    request["prefetch"]["conditions"]["entry"].append({"resource": nested})
    response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 412 and "prefetch 'conditions'" in response.text
