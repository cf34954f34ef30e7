"""Missing prefetch is fetched from a trusted ``fhirServer``; a paged prefetch is read to its last page.

Every FHIR server here is the loopback server of ``service/suites/steps/fhir_server.py``, trusted explicitly.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from engine.fhir.bundles import failed_search
from service.app import create_app
from service.cds.content_encoding import Deflate
from service.cds.fetcher import FetchFailed, FetchGate, FetchLimits, FhirFetcher, _entries
from service.cds.trust import BaseUrl, PinnedServer
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture

TOKEN = "fhir-access-token-123"


def trusting(settings: Settings, *urls: str, **limits: Any) -> TestClient:
    """A client of the app that trusts these FHIR base URLs (and has these fetch settings)."""
    return TestClient(create_app(settings.model_copy(update={"fhir_trusted_servers": list(urls), **limits})))


def authorization(token: str = TOKEN) -> dict[str, Any]:
    """A ``fhirAuthorization`` member with this access token."""
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "clinrules",
    }


@pytest.fixture
def fhir() -> Iterator[tuple[str, FhirStore]]:
    request = load_fixture("patient-view-iris-risk")
    store = FhirStore(token=TOKEN, page_size=1)
    store.add(request["prefetch"]["patient"])
    for key in ("observations", "conditions", "medicationRequests"):
        store.add(*(e["resource"] for e in request["prefetch"][key]["entry"]))
    with running_fhir_server(store) as url:
        yield url, store


@pytest.fixture
def trusted(settings: Settings, fhir: tuple[str, FhirStore]) -> Iterator[TestClient]:
    with trusting(settings, fhir[0]) as client:
        yield client


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
        body["fhirAuthorization"] = authorization(token)
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def test_fetches_everything_when_no_prefetch(trusted: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, store = fhir
    response = trusted.post("/cds-services/patient-view", json=_request(url))
    assert response.status_code == 200, response.text
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["iris-risk"]
    assert all(auth == f"Bearer {TOKEN}" for _, auth in store.requests)
    paths = [p for p, _ in store.requests]
    assert "/fhir/Patient/pv-iris-1" in paths
    assert any("_offset=1" in p for p in paths)  # next pages followed


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate"])
def test_compressed_answers_are_read(settings: Settings, fhir: tuple[str, FhirStore], encoding: str) -> None:
    # "deflate" is zlib-wrapped by the standard, but many servers send it raw: both are read.
    url, store = fhir
    store.encoding = encoding
    with trusting(settings, url) as client:
        response = client.post("/cds-services/patient-view", json=_request(url))
    assert response.status_code == 200, response.text
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["iris-risk"]


def test_deflate_either_form_is_read_however_the_body_is_cut() -> None:
    body = b'{"resourceType": "Patient", "id": "p1"}' * 50
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
        sent = compressor.compress(body) + compressor.flush()
        decoder = Deflate()
        read = b"".join(decoder.decompress(sent[i : i + 1], 1 << 20) for i in range(len(sent)))
        assert read + decoder.flush() == body
    with pytest.raises(zlib.error):  # neither form: the fetcher turns this into a fetch failure
        Deflate().decompress(b"not deflate at all", 1 << 20)


def test_an_unexpected_error_while_fetching_is_a_fetch_failure() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a detail that stays out of the log")

    server = PinnedServer(
        BaseUrl.parse("https://fhir.hospital.test/r4"), (ipaddress.ip_address("192.0.2.1"),)
    )

    async def fetch() -> None:
        transport = httpx.MockTransport(broken)
        async with FhirFetcher(server, TOKEN, FetchLimits(), FetchGate(1), transport) as fetcher:
            await fetcher.read("Patient/p1")

    with pytest.raises(FetchFailed, match=r"^unexpected RuntimeError$"):
        asyncio.run(fetch())


def test_fetches_only_missing_keys(trusted: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, store = fhir
    prefetch = load_fixture("patient-view-iris-risk")["prefetch"]
    del prefetch["conditions"]
    response = trusted.post("/cds-services/patient-view", json=_request(url, prefetch=prefetch))
    assert response.status_code == 200
    assert {p.split("?")[0] for p, _ in store.requests} == {"/fhir/Condition"}


def test_a_prefetched_search_the_server_says_failed_is_fetched(
    trusted: TestClient, fhir: tuple[str, FhirStore]
) -> None:
    url, store = fhir
    prefetch = load_fixture("patient-view-iris-risk")["prefetch"]
    failed = {"resourceType": "OperationOutcome", "issue": [{"severity": "fatal", "code": "exception"}]}
    prefetch["observations"]["entry"].append({"resource": failed, "search": {"mode": "outcome"}})
    response = trusted.post("/cds-services/patient-view", json=_request(url, prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert {p.split("?")[0] for p, _ in store.requests} == {"/fhir/Observation"}
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["iris-risk"]


def test_rejected_token_is_412_without_the_token(trusted: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, _ = fhir
    response = trusted.post("/cds-services/patient-view", json=_request(url, token="wrong"))
    assert response.status_code == 412
    assert response.json()["operationOutcome"]["issue"][0]["code"] == "incomplete"
    assert "wrong" not in response.text


def test_unknown_patient_is_412(trusted: TestClient, fhir: tuple[str, FhirStore]) -> None:
    url, _ = fhir
    body = _request(url)
    body["context"]["patientId"] = "nobody"
    assert trusted.post("/cds-services/patient-view", json=body).status_code == 412


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
    with trusting(settings, url) as client:
        assert client.post("/cds-services/patient-view", json=_request(url)).status_code == 200
    observation_pages = [p for p, _ in store.requests if p.startswith("/fhir/Observation?")]
    offsets = [p.split("_offset=")[1] for p in observation_pages if "_offset=" in p]
    assert len(offsets) >= 2 and len(set(offsets)) == len(offsets)  # page after page, none read twice
    with trusting(settings, url, fhir_max_pages=1) as client:
        response = client.post("/cds-services/patient-view", json=_request(url))
    assert response.status_code == 412
    assert "could not be fetched" in response.json()["operationOutcome"]["issue"][0]["diagnostics"]


# ---- a prefetched search split into pages (never half a record) ------------------------------------

PREGNANT = "order-sign-thalidomide-pregnant"


@pytest.fixture
def paged_record() -> Iterator[tuple[str, FhirStore, dict[str, Any]]]:
    """The EHR's server holds two observations; the request's prefetch holds only the first page.

    The pregnancy status, which decides the critical thalidomide-pregnancy card, is on page 2.
    """
    request = load_fixture(PREGNANT)
    pregnancy = request["prefetch"]["observations"]["entry"][0]["resource"]
    weight = {
        "resourceType": "Observation",
        "id": "weight",
        "status": "final",
        "subject": {"reference": "Patient/os-thal-1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "effectiveDateTime": pregnancy["effectiveDateTime"],
        "valueQuantity": {"value": 61, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }
    store = FhirStore(token=TOKEN, page_size=1)
    store.add(weight, pregnancy)
    with running_fhir_server(store) as url:
        first_page = httpx.get(
            f"{url}/Observation?patient=os-thal-1", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
        assert [e["resource"]["id"] for e in first_page["entry"]] == ["weight"]
        assert first_page["link"][0]["relation"] == "next"
        store.requests.clear()
        request["prefetch"]["observations"] = first_page
        request["fhirServer"] = url
        request["fhirAuthorization"] = authorization()
        yield url, store, request


def _topics(response: httpx.Response) -> list[str]:
    return [c["source"]["topic"]["code"] for c in response.json()["cards"]]


def test_a_paged_prefetch_is_read_to_its_last_page(
    settings: Settings, paged_record: tuple[str, FhirStore, dict[str, Any]]
) -> None:
    url, store, request = paged_record
    with trusting(settings, url) as client:
        response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 200, response.text
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    assert cards["thalidomide-pregnancy"]["indicator"] == "critical"
    assert [p for p, _ in store.requests] == ["/fhir/Observation?patient=os-thal-1&_offset=1"]
    assert all(auth == f"Bearer {TOKEN}" for _, auth in store.requests)


@pytest.mark.parametrize("case", ["untrusted", "no fhirServer", "too many pages", "server fails"])
def test_a_paged_prefetch_that_cannot_be_completed_is_412(
    settings: Settings, paged_record: tuple[str, FhirStore, dict[str, Any]], case: str
) -> None:
    url, _, request = paged_record
    trusted, limits = [url], {}
    if case == "untrusted":
        trusted = []
    elif case == "no fhirServer":
        del request["fhirServer"], request["fhirAuthorization"]
    elif case == "too many pages":
        limits = {"fhir_max_pages": 1}
    else:
        request["fhirAuthorization"] = authorization("expired")
    with trusting(settings, *trusted, **limits) as client:
        response = client.post("/cds-services/order-sign", json=request)
    assert response.status_code == 412, response.text  # never a 200 from the first page alone
    issue = response.json()["operationOutcome"]["issue"][0]
    assert issue["code"] == "incomplete" and "'observations'" in issue["diagnostics"]
    assert "first page" in issue["diagnostics"]


@pytest.mark.parametrize(
    ("severities", "failed"),
    [(["error"], True), (["information", "fatal"], True), (["warning"], False), (["information"], False)],
)
def test_a_search_bundle_failed_when_it_holds_an_error_operation_outcome(
    severities: list[str], failed: bool
) -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": s, "code": "x"} for s in severities],
    }
    bundle = {"resourceType": "Bundle", "entry": [{"resource": outcome, "search": {"mode": "outcome"}}]}
    assert failed_search(bundle) is failed
    if failed:  # a fetched page that holds one fails the fetch
        with pytest.raises(FetchFailed):
            _entries(bundle)
    else:
        assert _entries(bundle) == bundle["entry"]
