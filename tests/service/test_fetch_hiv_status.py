"""The observations prefetch asks for HIV status Observations, whether the EHR prefetches or we fetch.

A record may state HIV only as an "HIV status" Observation (WHO SMART HIV HIV.B.DE115 answered HIV-positive):
the template must name the status questions, or an EHR that honours it, and the service fetching it itself,
never bring that Observation and the patient gets no IRIS card.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from engine.valueset_files import default_value_sets
from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture

TOKEN = "fhir-access-token-hiv-status"
DAK = "http://smart.who.int/hiv/CodeSystem/HIVConcepts"
CIEL = "https://cielterminology.org"
FIXTURE = "who-smart-patient-view-hiv-status"


def test_discovery_asks_for_the_patients_hiv_status_questions(client: TestClient) -> None:
    for service in client.get("/cds-services").json()["services"]:
        template = service["prefetch"]["observations"]
        codes = parse_qs(urlsplit(template).query)["combo-code"][0].split(",")
        for question in (f"{DAK}|HIV.B.DE115", f"{CIEL}|159576", "http://snomed.info/sct|278977008"):
            assert question in codes, question
        # The measured observations first, as before; a partner's or mother's status is never asked for.
        measured = [f"{system}|{code}" for system, code in default_value_sets().observation_codes()]
        assert codes[: len(measured)] == measured
        for other in (f"{DAK}|HIV.B.DE33", f"{DAK}|HIV.B.DE132", f"{DAK}|HIV.B.DE136", f"{DAK}|HIV.E.DE141"):
            assert other not in codes, other
        assert f"{CIEL}|1436" not in codes
        assert len(codes) == len(set(codes))


@pytest.fixture
def fhir() -> Iterator[tuple[str, FhirStore]]:
    """The loopback FHIR server holding only the fixture's record: HIV status, CD4 and a first ART order."""
    request = load_fixture(FIXTURE)
    store = FhirStore(token=TOKEN)
    store.add(request["prefetch"]["patient"])
    for key in ("observations", "medicationRequests"):
        store.add(*(e["resource"] for e in request["prefetch"][key]["entry"]))
    with running_fhir_server(store) as url:
        yield url, store


def _request(server: str) -> dict[str, Any]:
    request = load_fixture(FIXTURE)
    del request["prefetch"]["observations"]
    request["hookInstance"] = str(uuid.uuid4())
    request["fhirServer"] = server
    request["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "clinrules",
    }
    return request


def test_a_fetched_observation_search_brings_the_hiv_status(
    settings: Settings, fhir: tuple[str, FhirStore]
) -> None:
    url, store = fhir
    app = create_app(settings.model_copy(update={"fhir_trusted_servers": [url]}))
    with TestClient(app) as trusted:
        response = trusted.post("/cds-services/patient-view", json=_request(url))
    assert response.status_code == 200, response.text
    searches = [path for path, _ in store.requests if path.startswith("/fhir/Observation?")]
    assert len(searches) == 1
    codes = parse_qs(urlsplit(searches[0]).query)["combo-code"][0].split(",")
    assert f"{DAK}|HIV.B.DE115" in codes and f"{CIEL}|159576" in codes
    cards = response.json()["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == ["iris-risk"]
    assert "HIV-positive status (Observation hiv-status)" in str(cards[0])
