"""A search Bundle whose ``total`` counts more matches than it holds is incomplete: a CDS call fetches it
again from a trusted ``fhirServer`` (else answers 412 naming the key); ``/evaluate`` and ``clinrules
evaluate`` say an alert may be missing."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from service.cds.fetcher import FetchFailed, FetchGate, FetchLimits, FhirFetcher
from service.cds.trust import BaseUrl, PinnedServer
from service.cli import app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture
from tests.service.test_fhir_fetch import TOKEN, authorization, trusting

SHORT = {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": []}
CRITICAL = ["thalidomide-pregnancy", "thalidomide-teratogenicity"]


def _request(server: str | None = None) -> dict[str, Any]:
    """The pregnant patient's thalidomide order-sign call, its observations search short of its total."""
    request = load_fixture("order-sign-thalidomide-pregnant")
    request["prefetch"]["observations"] = dict(SHORT)
    if server is not None:
        request["fhirServer"] = server
        request["fhirAuthorization"] = authorization()
    return request


def _critical(body: dict[str, Any]) -> list[str]:
    return sorted(c["source"]["topic"]["code"] for c in body["cards"] if c["indicator"] == "critical")


@pytest.fixture
def ehr() -> Iterator[tuple[str, FhirStore]]:
    """The EHR's FHIR server holding the patient's whole record."""
    store = FhirStore(token=TOKEN)
    for value in load_fixture("order-sign-thalidomide-pregnant")["prefetch"].values():
        if value["resourceType"] == "Bundle":
            store.add(*(e["resource"] for e in value["entry"]))
        else:
            store.add(value)
    with running_fhir_server(store) as url:
        yield url, store


def test_a_search_short_of_its_total_without_a_server_is_a_412_naming_the_key(client: TestClient) -> None:
    response = client.post("/cds-services/order-sign", json=_request())
    assert response.status_code == 412, response.text
    [issue] = response.json()["operationOutcome"]["issue"]
    assert "prefetch 'observations' holds fewer matches than its Bundle.total says" in issue["diagnostics"]


def test_a_search_short_of_its_total_is_fetched_again_from_a_trusted_server(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=_request(url))
    assert response.status_code == 200, response.text
    assert _critical(response.json()) == CRITICAL
    assert [p.split("?")[0] for p, _ in store.requests] == ["/fhir/Observation"]


def test_a_search_short_of_its_total_on_an_untrusted_server_is_a_412(
    settings: Settings, ehr: tuple[str, FhirStore]
) -> None:
    url, store = ehr
    with trusting(settings) as client:
        response = client.post("/cds-services/order-sign", json=_request(url))
    assert response.status_code == 412, response.text
    assert "observations" in json.dumps(response.json()["operationOutcome"])
    assert store.requests == []


def test_a_total_at_or_below_the_matches_is_evaluated(client: TestClient) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    request["prefetch"]["observations"]["total"] = 1
    request["prefetch"]["conditions"]["total"] = 0
    response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 200, response.text
    assert _critical(response.json()) == CRITICAL


def _fetch_with(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Read ``Observation?patient=p`` from a server answering each path and query from ``pages``."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.dumps(pages[f"{request.url.path}?{request.url.query.decode()}"]).encode()
        return httpx.Response(200, stream=httpx.ByteStream(body))

    server = PinnedServer(
        BaseUrl.parse("https://fhir.hospital.test/r4"), (ipaddress.ip_address("192.0.2.1"),)
    )

    async def fetch() -> dict[str, Any]:
        transport = httpx.MockTransport(answer)
        async with FhirFetcher(server, TOKEN, FetchLimits(), FetchGate(1), transport) as fetcher:
            return await fetcher.read("Observation?patient=p")

    return asyncio.run(fetch())


def test_a_fetched_search_short_of_its_total_over_all_pages_is_a_fetch_failure() -> None:
    entry = {"resource": {"resourceType": "Observation", "id": "a"}, "search": {"mode": "match"}}
    include = {"resource": {"resourceType": "Medication", "id": "m"}, "search": {"mode": "include"}}
    second = "https://fhir.hospital.test/r4/Observation?patient=p&page=2"
    first_page = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 3,
        "entry": [entry, include],
        "link": [{"relation": "next", "url": second}],
    }
    last_page = {"resourceType": "Bundle", "type": "searchset", "total": 3, "entry": [entry, include]}
    pages = {"/r4/Observation?patient=p": first_page, "/r4/Observation?patient=p&page=2": last_page}
    with pytest.raises(FetchFailed, match=r"Bundle\.total"):
        _fetch_with(pages)
    whole = {**last_page, "total": 1}
    assert len(_fetch_with({**pages, "/r4/Observation?patient=p": {**first_page, "total": 2}})["entry"]) == 4
    assert _fetch_with({"/r4/Observation?patient=p": whole})["total"] == 1


def _bundle_short_of_its_total() -> dict[str, Any]:
    """The pregnant patient and her draft thalidomide order; the observations search is short of its total."""
    request = load_fixture("order-sign-thalidomide-pregnant")
    entries = [{"resource": request["prefetch"]["patient"]}]
    entries += request["context"]["draftOrders"]["entry"][:1]
    entries.append({"resource": SHORT})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


NOTE = "the search result counts 1 matches (Bundle.total) but holds 0"


def test_evaluate_notes_a_search_short_of_its_total(client: TestClient) -> None:
    response = client.post("/evaluate", json=_bundle_short_of_its_total())
    assert response.status_code == 200, response.text
    notes = response.json()["notes"]
    assert any(NOTE in n and "an alert may be missing" in n for n in notes), notes


def test_the_command_line_notes_a_search_short_of_its_total() -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "-", "--json"], input=json.dumps(_bundle_short_of_its_total())
    )
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["notes"]
    assert any(NOTE in n and "an alert may be missing" in n for n in notes), notes
