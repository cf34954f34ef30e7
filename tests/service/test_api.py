"""The project's own API: evaluate, rules, health, readiness, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

SCENARIO: dict[str, Any] = {
    "patient": {"id": "p-1", "birth_date": "1984-03-02", "sex": "male"},
    "evaluation_time": "2026-06-01T09:00:00Z",
    "conditions": [{"code": "B20", "onset": "2025-11-01"}],
    "observations": [{"kind": "cd4", "time": "2026-05-20", "value": 42, "unit": "cells/uL"}],
    "medications": [{"ingredient": "dolutegravir", "status": "draft", "draft": True}],
}


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["rules"] >= 1 and ready["database"] == "ok"


def test_evaluate_scenario_returns_findings(client: TestClient) -> None:
    response = client.post("/evaluate", json=SCENARIO)
    assert response.status_code == 200
    body = response.json()
    assert body["input_format"] == "scenario"
    assert "iris-risk" in [f["topic"] for f in body["findings"]]
    finding = next(f for f in body["findings"] if f["topic"] == "iris-risk")
    assert finding["citations"] and finding["statements"] and finding["because"]


def test_evaluate_fhir_bundle(client: TestClient, fixture: Any) -> None:
    request = fixture("patient-view-iris-risk")
    entries = [{"resource": request["prefetch"]["patient"]}]
    for key in ("observations", "conditions", "medicationRequests"):
        entries += request["prefetch"][key]["entry"]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    response = client.post("/evaluate", json=bundle, headers={"content-type": "application/fhir+json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["input_format"] == "fhir"
    assert [f["topic"] for f in body["findings"]] == ["iris-risk"]
    assert isinstance(body["notes"], list)


def test_evaluate_at_query_parameter(client: TestClient) -> None:
    body = client.post("/evaluate", params={"at": "2026-06-02T00:00:00Z"}, json=SCENARIO).json()
    assert body["evaluated_at"].startswith("2026-06-02")


def test_evaluate_lists_every_wrong_field(client: TestClient) -> None:
    bad = {
        "patient": {"sex": "robot"},
        "observations": [{"kind": "cd4", "time": "2026-05-20", "value": -42, "unit": "cells/uL"}],
        "unexpected": 1,
    }
    response = client.post("/evaluate", json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"patient.sex", "observations.0.value", "unexpected"} <= fields


def test_rules_list_and_detail(client: TestClient) -> None:
    listing = client.get("/rules").json()
    ids = [r["id"] for r in listing["rules"]]
    assert "iris-risk" in ids and listing["ruleset_version"]
    assert client.get("/rules", params={"topic": "iris-risk"}).json()["rules"][0]["id"] == "iris-risk"
    detail = client.get("/rules/iris-risk").json()
    assert detail["statements"] and detail["citations"]
    assert detail["parameters"]["cd4_below"]["in_force"] == 100
    assert "all" in detail["condition"]


def test_rule_not_found_is_problem(client: TestClient) -> None:
    response = client.get("/rules/no-such-rule")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_openapi_documents_bodies_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"CdsRequest", "FeedbackRequest", "Scenario", "FhirBundle", "Problem"} <= set(schemas)
    hook = spec["paths"]["/cds-services/{service_id}"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["examples"]
    evaluate = spec["paths"]["/evaluate"]["post"]
    assert set(evaluate["requestBody"]["content"]["application/json"]["examples"]) == {"scenario", "fhir"}
    assert "422" in evaluate["responses"]


@pytest.mark.parametrize("at", ["0", "1700000000", "1e9", "-5", "nan", "inf"])
def test_an_evaluation_time_given_as_a_number_is_refused_naming_at(client: TestClient, at: str) -> None:
    response = client.post("/evaluate", params={"at": at}, json={})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].endswith("at") for e in response.json()["errors"])


def test_an_evaluation_time_in_iso_8601_is_used(client: TestClient) -> None:
    response = client.post("/evaluate", params={"at": "2026-06-01T09:00:00Z"}, json={})
    assert response.status_code == 200
    assert response.json()["evaluated_at"].startswith("2026-06-01T09:00:00")
