"""Missing prefetch is fetched from ``fhirServer`` with the ``fhirAuthorization`` bearer token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture

TOKEN = "fhir-access-token-123"


@pytest.fixture
def fhir() -> Iterator[tuple[str, FhirStore]]:
    request = load_fixture("patient-view-iris-risk")
    store = FhirStore(token=TOKEN, page_size=1)
    store.add(request["prefetch"]["patient"])
    for key in ("observations", "conditions", "medicationRequests"):
        store.add(*(e["resource"] for e in request["prefetch"][key]["entry"]))
    with running_fhir_server(store) as url:
        yield url, store


def _request(
    server: str, token: str | None = TOKEN, prefetch: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": server,
        "context": {"userId": "Practitioner/1", "patientId": "pv-iris-1"},
    }
    if token is not None:
        body["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "clinrules",
        }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def test_fetches_everything_when_no_prefetch(client: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, store = fhir
    response = client.post("/cds-services/patient-view", json=_request(url))
    assert response.status_code == 200, response.text
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["iris-risk"]
    assert all(auth == f"Bearer {TOKEN}" for _, auth in store.requests)
    paths = [p for p, _ in store.requests]
    assert "/fhir/Patient/pv-iris-1" in paths
    assert any("_offset=1" in p for p in paths)  # next pages followed


def test_fetches_only_missing_keys(client: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, store = fhir
    prefetch = load_fixture("patient-view-iris-risk")["prefetch"]
    del prefetch["conditions"]
    response = client.post("/cds-services/patient-view", json=_request(url, prefetch=prefetch))
    assert response.status_code == 200
    assert {p.split("?")[0] for p, _ in store.requests} == {"/fhir/Condition"}


def test_rejected_token_is_412(client: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, _ = fhir
    response = client.post("/cds-services/patient-view", json=_request(url, token="wrong"))
    assert response.status_code == 412
    assert response.json()["operationOutcome"]["issue"][0]["code"] == "forbidden"
    assert "wrong" not in response.text


def test_unknown_patient_is_412(client: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, _ = fhir
    body = _request(url)
    body["context"]["patientId"] = "nobody"
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 412
    assert response.json()["operationOutcome"]["issue"][0]["code"] == "not-found"


def test_unreachable_server_is_412(client: TestClient) -> None:
    response = client.post("/cds-services/patient-view", json=_request("http://127.0.0.1:9/fhir"))
    assert response.status_code == 412
    assert response.json()["operationOutcome"]["issue"][0]["code"] == "exception"


def test_authorization_without_server_is_422(client: TestClient) -> None:
    body = _request("http://127.0.0.1:9/fhir")
    del body["fhirServer"]
    assert client.post("/cds-services/patient-view", json=body).status_code == 422


def test_every_page_is_read_and_too_many_pages_is_412(
    settings: Settings, fhir: tuple[str, FhirStore]
) -> None:
    url, store = fhir
    first = load_fixture("patient-view-iris-risk")["prefetch"]["observations"]["entry"][0]["resource"]
    store.add(*({**first, "id": f"extra-{i}"} for i in range(3)))  # more pages of observations
    with TestClient(create_app(settings)) as client:
        assert client.post("/cds-services/patient-view", json=_request(url)).status_code == 200
    observation_pages = [p for p, _ in store.requests if p.startswith("/fhir/Observation?")]
    offsets = [p.split("_offset=")[1] for p in observation_pages if "_offset=" in p]
    assert len(offsets) >= 2 and len(set(offsets)) == len(offsets)  # page after page, none read twice
    one_page = settings.model_copy(update={"fhir_max_pages": 1})
    with TestClient(create_app(one_page)) as client:
        response = client.post("/cds-services/patient-view", json=_request(url))
    assert response.status_code == 412
    assert "more than 1 page" in response.json()["operationOutcome"]["issue"][0]["diagnostics"]
