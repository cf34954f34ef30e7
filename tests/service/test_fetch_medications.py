"""An order naming its drug only by ``medicationReference`` is judged on the Medication fetched from the
request's ``fhirServer``; a reference to anywhere else is never fetched.

Every FHIR server here is the loopback server of ``service/suites/steps/fhir_server.py``.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.cds.medication_fetch import MAX_MEDICATION_FETCHES, fetch_path
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture
from tests.service.test_fhir_fetch import TOKEN, authorization, trusting

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
THALIDOMIDE = {
    "resourceType": "Medication",
    "id": "thal",
    "code": {"coding": [{"system": RXNORM, "code": "10432", "display": "thalidomide"}]},
}
CRITICAL = ["thalidomide-pregnancy", "thalidomide-teratogenicity"]


@pytest.fixture
def ehr() -> Iterator[tuple[str, FhirStore]]:
    """The EHR's FHIR server, holding the thalidomide Medication."""
    store = FhirStore(token=TOKEN)
    store.add(THALIDOMIDE)
    with running_fhir_server(store) as url:
        yield url, store


def _order_sign(server: str | None, reference: str = "Medication/thal") -> dict[str, Any]:
    """The pregnant patient's order-sign call, its thalidomide draft naming its drug only by reference."""
    request = load_fixture("order-sign-thalidomide-pregnant")
    draft = request["context"]["draftOrders"]["entry"][0]["resource"]
    assert draft["id"] == "draft-thal"
    del draft["medicationCodeableConcept"]
    draft["medicationReference"] = {"reference": reference}
    if server is not None:
        request["fhirServer"] = server
        request["fhirAuthorization"] = authorization()
    return request


def _patient_view(server: str) -> dict[str, Any]:
    """The same patient opened in the chart: an active thalidomide order, its drug only by reference."""
    signing = load_fixture("order-sign-thalidomide-pregnant")
    prefetch = copy.deepcopy(signing["prefetch"])
    order = {
        "resourceType": "MedicationRequest",
        "id": "thal-active",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/os-thal-1"},
        "authoredOn": signing["prefetch"]["observations"]["entry"][0]["resource"]["effectiveDateTime"],
        "medicationReference": {"reference": "Medication/thal"},
    }
    prefetch["medicationRequests"]["entry"] = [{"resource": order}]
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": server,
        "fhirAuthorization": authorization(),
        "context": {"userId": "Practitioner/dr-ade", "patientId": "os-thal-1"},
        "prefetch": prefetch,
    }


def _critical(body: dict[str, Any]) -> list[str]:
    return sorted(c["source"]["topic"]["code"] for c in body["cards"] if c["indicator"] == "critical")


def _quality(body: dict[str, Any]) -> str:
    cards = [c for c in body["cards"] if c["source"]["topic"]["code"] == "data-quality"]
    return " ".join(c.get("detail", "") for c in cards)


def test_a_draft_naming_its_drug_by_reference_gets_the_medication_fetched(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=_order_sign(url))
    assert response.status_code == 200, response.text
    assert _critical(response.json()) == CRITICAL
    assert [path for path, _ in store.requests] == ["/fhir/Medication/thal"]
    assert store.requests[0][1] == f"Bearer {TOKEN}"
    assert "Medication/thal" not in _quality(response.json())


def test_an_absolute_reference_under_fhir_server_is_fetched(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=_order_sign(url, f"{url}/Medication/thal"))
    assert response.status_code == 200, response.text
    assert _critical(response.json()) == CRITICAL
    assert [path for path, _ in store.requests] == ["/fhir/Medication/thal"]


def test_an_active_order_in_the_prefetch_gets_its_medication_fetched(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    with trusting(settings, url) as client:
        response = client.post("/cds-services/patient-view", json=_patient_view(url))
    assert response.status_code == 200, response.text
    assert "thalidomide-pregnancy" in _critical(response.json())
    assert [path for path, _ in store.requests] == ["/fhir/Medication/thal"]


def test_a_reference_to_another_host_is_never_fetched(settings: Settings, ehr: tuple[str, FhirStore]) -> None:
    url, store = ehr
    other = FhirStore(token=TOKEN)
    other.add(THALIDOMIDE)
    with running_fhir_server(other) as elsewhere, trusting(settings, url, elsewhere) as client:
        response = client.post(
            "/cds-services/order-sign", json=_order_sign(url, f"{elsewhere}/Medication/thal")
        )
    assert response.status_code == 200, response.text
    assert other.requests == [] and store.requests == []
    assert _critical(response.json()) == []
    assert "could not be identified" in _quality(response.json())


def test_a_failing_fetch_keeps_the_note_that_an_alert_may_be_missing(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    store.resources.clear()  # the server answers 404
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=_order_sign(url))
    assert response.status_code == 200, response.text
    assert [path for path, _ in store.requests] == ["/fhir/Medication/thal"]
    note = _quality(response.json())
    assert "Medication/thal is not in the request, so its drug could not be identified" in note
    assert "an alert may be missing" in note


def test_an_untrusted_server_or_none_is_not_asked_and_the_call_is_answered(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    with trusting(settings) as client:
        untrusted = client.post("/cds-services/order-sign", json=_order_sign(url))
        no_server = client.post("/cds-services/order-sign", json=_order_sign(None))
    for response in (untrusted, no_server):
        assert response.status_code == 200, response.text
        assert "could not be identified" in _quality(response.json())
    assert store.requests == []


def test_a_medication_of_another_id_is_not_used(settings: Settings, ehr: tuple[str, FhirStore]) -> None:
    url, store = ehr
    store.resources["Medication/thal"] = {**THALIDOMIDE, "id": "other"}
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=_order_sign(url))
    assert response.status_code == 200, response.text
    assert _critical(response.json()) == []
    assert "could not be identified" in _quality(response.json())


def test_the_fetches_are_bounded(settings: Settings, ehr: tuple[str, FhirStore]) -> None:
    url, store = ehr
    request = _order_sign(url)
    drafts = request["context"]["draftOrders"]["entry"]
    for n in range(MAX_MEDICATION_FETCHES + 5):
        order = {
            **drafts[0]["resource"],
            "id": f"d{n}",
            "medicationReference": {"reference": f"Medication/m{n}"},
        }
        drafts.append({"resource": order})
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 200, response.text
    assert len(store.requests) == MAX_MEDICATION_FETCHES


@pytest.mark.parametrize(
    ("reference", "path"),
    [
        ("Medication/thal", "Medication/thal"),
        ("Medication/thal/_history/2", "Medication/thal/_history/2"),
        ("http://127.0.0.1:8080/fhir/Medication/thal", "Medication/thal"),
        ("HTTP://127.0.0.1:8080/fhir/Medication/thal", "Medication/thal"),
        ("http://127.0.0.1:8081/fhir/Medication/thal", None),  # another port
        ("http://localhost:8080/fhir/Medication/thal", None),  # another host name
        ("https://127.0.0.1:8080/fhir/Medication/thal", None),  # another scheme
        ("http://127.0.0.1:8080/other/Medication/thal", None),  # outside the base path
        ("http://127.0.0.1:8080/fhir/Medication/thal?x=1", None),
        ("http://127.0.0.1:8080/fhir/../admin/Medication/thal", None),
        ("http://user@127.0.0.1:8080/fhir/Medication/thal", None),
        ("Medication/..", None),
        ("Medication/a/b", None),
        ("Patient/thal", None),
        ("Medication/thal?_format=xml", None),
        ("Medication/th%61l", None),
        ("urn:uuid:7f1c8e1e-1f0a-4d8a-9a3e-1b2c3d4e5f60", None),
        ("#med", None),
        ("//evil.example/fhir/Medication/thal", None),
        ("ftp://127.0.0.1:8080/fhir/Medication/thal", None),
    ],
)
def test_only_a_medication_on_fhir_server_is_a_path_to_fetch(reference: str, path: str | None) -> None:
    assert fetch_path(reference, "http://127.0.0.1:8080/fhir") == path


def test_discovery_asks_for_the_medications_orders_and_statements_name(client: TestClient) -> None:
    for service in client.get("/cds-services").json()["services"]:
        prefetch = service["prefetch"]
        assert prefetch["medicationRequests"].endswith("&_include=MedicationRequest:medication")
        assert prefetch["medicationStatements"].endswith("&_include=MedicationStatement:medication")
