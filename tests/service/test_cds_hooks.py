"""CDS Hooks 2.0: discovery, the three hooks, cards per the specification, request checks, feedback."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.suites.steps.fixtures import load_fixture


def _no_empty_values(value: Any, where: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert item not in (None, "", [], {}), f"{where}.{key} is empty"
            _no_empty_values(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_empty_values(item, f"{where}[{i}]")


def test_discovery_lists_three_hooks_with_prefetch(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert {s["hook"] for s in services} == {"patient-view", "order-select", "order-sign"}
    for service in services:
        prefetch = service["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        # combo-code, not code: it also matches the codes of an Observation's components (a CD4 in a panel).
        assert prefetch["observations"].startswith("Observation?patient={{context.patientId}}&combo-code=")
        assert "http://loinc.org|24467-3" in prefetch["observations"]
        for key in ("conditions", "medicationRequests", "medicationStatements"):
            assert "patient={{context.patientId}}" in prefetch[key]


@pytest.mark.parametrize(
    ("name", "topics"),
    [
        ("patient-view-iris-risk", ["iris-risk"]),
        ("order-sign-thalidomide-pregnant", ["thalidomide-pregnancy", "thalidomide-teratogenicity"]),
        ("order-select-art-cryptococcal", ["art-timing-cryptococcal", "iris-risk"]),
        ("patient-view-no-alerts", []),
    ],
)
def test_hooks_return_cards(client: TestClient, name: str, topics: list[str]) -> None:
    request = load_fixture(name)
    response = client.post(f"/cds-services/{request['hook']}", json=request)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert sorted(c["source"]["topic"]["code"] for c in cards) == sorted(topics)
    ranks = [("critical", "warning", "info").index(c["indicator"]) for c in cards]
    assert ranks == sorted(ranks)
    for card in cards:
        _no_empty_values(card)
        uuid.UUID(card["uuid"])
        assert len(card["summary"]) < 140
        assert card["source"]["topic"]["system"] == "urn:clinrules:topic"
        assert card["source"]["label"] and card["source"]["url"].endswith(card["source"]["topic"]["code"])
        assert all(r["system"] == "urn:clinrules:override-reason" for r in card.get("overrideReasons", []))
        if "suggestions" in card:
            assert card["selectionBehavior"] == "at-most-one"
            for suggestion in card["suggestions"]:
                uuid.UUID(suggestion["uuid"])


def test_pregnant_patient_gets_delete_action_on_the_draft_thalidomide(client: TestClient) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    cards = client.post("/cds-services/order-sign", json=request).json()["cards"]
    pregnancy = next(c for c in cards if c["source"]["topic"]["code"] == "thalidomide-pregnancy")
    assert pregnancy["indicator"] == "critical"
    actions = [a for s in pregnancy["suggestions"] for a in s["actions"]]
    assert actions == [
        {
            "type": "delete",
            "description": actions[0]["description"],
            "resourceId": "MedicationRequest/draft-thal",
        }
    ]


def test_draft_order_suggestion_dropped_when_no_draft(client: TestClient) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    thal = request["context"]["draftOrders"]["entry"][0]["resource"]
    thal = {**thal, "status": "active", "authoredOn": "2026-01-01"}
    request["prefetch"]["medicationRequests"]["entry"] = [{"resource": thal}]
    view = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "os-thal-1"},
        "prefetch": request["prefetch"],
    }
    cards = client.post("/cds-services/patient-view", json=view).json()["cards"]
    pregnancy = next(c for c in cards if c["source"]["topic"]["code"] == "thalidomide-pregnancy")
    assert "suggestions" not in pregnancy and "selectionBehavior" not in pregnancy


def test_unknown_service_is_404(client: TestClient) -> None:
    response = client.post("/cds-services/nope", json=load_fixture("patient-view-no-alerts"))
    assert response.status_code == 404 and response.json()["title"] == "Not Found"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.update(hook="order-sign"), "hook"),
        (lambda r: r.update(hookInstance="not-a-uuid"), "hookInstance"),
        (lambda r: r["context"].pop("patientId"), "context.patientId"),
        (lambda r: r["context"].pop("userId"), "context.userId"),
        (lambda r: r.pop("context"), "context"),
        (lambda r: r["prefetch"].update(patient="Patient/1"), "prefetch.patient"),
        (lambda r: r["prefetch"]["patient"].update(id="someone-else"), "prefetch.patient"),
    ],
)
def test_patient_view_request_checks(client: TestClient, mutate: Any, field: str) -> None:
    request = load_fixture("patient-view-no-alerts")
    mutate(request)
    response = client.post("/cds-services/patient-view", json=request)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_order_select_needs_selections_in_draft_orders(client: TestClient) -> None:
    request = load_fixture("order-select-art-cryptococcal")
    request["context"]["selections"] = ["MedicationRequest/unknown"]
    response = client.post("/cds-services/order-select", json=request)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "context"
    request["context"].pop("selections")
    fields = [e["field"] for e in client.post("/cds-services/order-select", json=request).json()["errors"]]
    assert "context.selections" in fields


def test_order_sign_needs_draft_orders_bundle(client: TestClient) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    request["context"]["draftOrders"] = {"resourceType": "Patient"}
    response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 422
    assert "context.draftOrders.resourceType" in [e["field"] for e in response.json()["errors"]]


def test_missing_prefetch_without_fhir_server_is_412(client: TestClient) -> None:
    request = load_fixture("patient-view-no-alerts")
    del request["prefetch"]["conditions"]
    request["prefetch"]["observations"] = None
    response = client.post("/cds-services/patient-view", json=request)
    assert response.status_code == 412
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    outcome = body["operationOutcome"]
    assert outcome["resourceType"] == "OperationOutcome"
    text = " ".join(i["diagnostics"] for i in outcome["issue"])
    # A null value means "no such data" (CDS Hooks), so only the absent key is missing.
    assert "conditions" in text and "observations" not in text


def test_an_error_operation_outcome_in_a_prefetched_search_is_412_like_one_given_alone(
    client: TestClient,
) -> None:
    failed = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": "combo-code is not supported"}],
    }
    answers = []
    for observations in (
        failed,
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": failed, "search": {"mode": "outcome"}}],
        },
    ):
        request = load_fixture("patient-view-iris-risk")
        request["prefetch"]["observations"] = observations
        response = client.post("/cds-services/patient-view", json=request)
        assert response.status_code == 412
        answers.append(response.json()["operationOutcome"])
    assert answers[0] == answers[1]
    assert "prefetch 'observations'" in answers[1]["issue"][0]["diagnostics"]


def test_a_warning_operation_outcome_in_a_prefetched_search_is_on_the_data_quality_card(
    client: TestClient,
) -> None:
    request = load_fixture("patient-view-iris-risk")
    warning = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "warning", "code": "informational", "diagnostics": "_sort ignored"}],
    }
    request["prefetch"]["observations"]["entry"].append({"resource": warning, "search": {"mode": "outcome"}})
    cards = client.post("/cds-services/patient-view", json=request).json()["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == ["iris-risk", "data-quality"]
    assert (
        "the FHIR server that gave this data sent a warning (issue code 'informational')"
        in cards[1]["detail"]
    )
    assert "sort ignored" not in cards[1]["detail"]  # the server's free text is never quoted


def test_null_prefetch_values_mean_no_data(client: TestClient) -> None:
    request = load_fixture("patient-view-no-alerts")
    request["prefetch"] = {key: None for key in request["prefetch"]}
    response = client.post("/cds-services/patient-view", json=request)
    assert response.status_code == 200 and response.json() == {"cards": []}


def _card(client: TestClient, name: str, topic: str) -> tuple[str, dict[str, Any]]:
    request = load_fixture(name)
    cards = client.post(f"/cds-services/{request['hook']}", json=request).json()["cards"]
    return request["hook"], next(c for c in cards if c["source"]["topic"]["code"] == topic)


def test_feedback_accepted_and_overridden(client: TestClient) -> None:
    hook, card = _card(client, "order-sign-thalidomide-pregnant", "thalidomide-pregnancy")
    accepted = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-06-01T09:05:00Z",
            }
        ]
    }
    assert client.post(f"/cds-services/{hook}/feedback", json=accepted).status_code == 200
    hook, card = _card(client, "patient-view-iris-risk", "iris-risk")
    reason = card["overrideReasons"][0]
    overridden = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason, "userComment": "seen in clinic"},
                "outcomeTimestamp": "2026-06-01T09:05:00Z",
            }
        ]
    }
    response = client.post(f"/cds-services/{hook}/feedback", json=overridden)
    assert response.status_code == 200 and response.json() == {"stored": 1}


def test_feedback_checks(client: TestClient) -> None:
    hook, card = _card(client, "patient-view-iris-risk", "iris-risk")
    item = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-06-01T09:05:00Z"}
    unknown = {"feedback": [{**item, "card": str(uuid.uuid4())}]}
    assert client.post(f"/cds-services/{hook}/feedback", json=unknown).status_code == 404
    other_service = client.post("/cds-services/order-sign/feedback", json={"feedback": [item]})
    assert other_service.status_code == 404
    # The EHR may offer override reasons of its own (CDS Hooks): they are stored as given.
    own = {"system": "https://ehr.example/override-reason", "code": "d7ecf885"}
    ehr_reason = {"feedback": [{**item, "overrideReason": {"reason": own}}]}
    assert client.post(f"/cds-services/{hook}/feedback", json=ehr_reason).json() == {"stored": 1}
    not_offered = {"feedback": [{**item, "overrideReason": {"reason": {"code": "made-up"}}}]}
    response = client.post(f"/cds-services/{hook}/feedback", json=not_offered)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "feedback.0.overrideReason.reason.code"
    bad_outcome = {"feedback": [{**item, "outcome": "maybe"}]}
    assert client.post(f"/cds-services/{hook}/feedback", json=bad_outcome).status_code == 422
    assert client.post(f"/cds-services/{hook}/feedback", json={"feedback": []}).status_code == 422


def test_data_left_out_is_told_in_an_info_card_last(client: TestClient) -> None:
    request = load_fixture("patient-view-iris-risk")
    cd4 = request["prefetch"]["observations"]["entry"][0]["resource"]
    cd4["valueQuantity"] = {**cd4["valueQuantity"], "unit": "mg", "code": "mg"}
    cards = client.post("/cds-services/patient-view", json=request).json()["cards"]
    topics = [c["source"]["topic"]["code"] for c in cards]
    assert "iris-risk" not in topics  # the only CD4 count could not be used
    quality = cards[-1]
    assert quality["source"]["topic"]["code"] == "data-quality" and quality["indicator"] == "info"
    assert "unit 'mg' cannot be converted for cd4" in quality["detail"]
    assert "uuid" not in quality  # not a rule's alert: nothing to give feedback on


def test_another_patients_observation_is_left_out_without_naming_that_patient(client: TestClient) -> None:
    request = load_fixture("patient-view-iris-risk")
    entries = request["prefetch"]["observations"]["entry"]
    stranger = {**entries[0]["resource"], "id": "cd4-x", "subject": {"reference": "Patient/OTHER-MRN-55"}}
    entries.append({"resource": stranger})
    cards = client.post("/cds-services/patient-view", json=request).json()["cards"]
    quality = cards[-1]
    assert quality["source"]["topic"]["code"] == "data-quality"
    assert "Observation/cd4-x: belongs to another patient; left out" in quality["detail"]
    assert "OTHER-MRN-55" not in str(cards)


def test_a_result_dated_after_now_is_not_used_and_told_on_the_data_quality_card(client: TestClient) -> None:
    request = load_fixture("patient-view-iris-risk")
    cd4 = request["prefetch"]["observations"]["entry"][0]["resource"]
    cd4.pop("issued", None)
    cd4["effectiveDateTime"] = "2199-01-01T09:00:00Z"
    cards = client.post("/cds-services/patient-view", json=request).json()["cards"]
    assert "iris-risk" not in [c["source"]["topic"]["code"] for c in cards]
    quality = cards[-1]
    assert quality["source"]["topic"]["code"] == "data-quality"
    assert "dated after the evaluation time; not used" in quality["detail"]


def test_invalid_fhir_in_prefetch_is_refused_naming_the_resource(client: TestClient) -> None:
    request = load_fixture("patient-view-iris-risk")
    request["prefetch"]["observations"]["entry"][0]["resource"]["valueQuantity"]["value"] = "38"
    answer = client.post("/cds-services/patient-view", json=request)
    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["errors"]]
    assert len(fields) == 1 and fields[0].endswith(".valueQuantity.value")
