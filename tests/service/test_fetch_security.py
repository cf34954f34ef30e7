"""Fetching cannot be turned against the network: only trusted servers, public addresses, one 412 text.

Regression tests of the security review (issue 10, row 1 and the fetcher's part of row 9; issue 9, item 5).
Nothing here leaves 127.0.0.1: servers are on loopback, and the tests that name outside hosts assert that
no connection and no DNS look-up is even attempted.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from service.app import create_app
from service.cds.trust import BaseUrl, NotTrusted, address_allowed, check_trusted_entry, trusted_base
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture
from tests.service.test_fhir_fetch import TOKEN, authorization, trusting


@pytest.fixture
def record() -> Iterator[tuple[str, FhirStore]]:
    """The loopback FHIR server holding the whole iris-risk record (page size 1)."""
    request = load_fixture("patient-view-iris-risk")
    store = FhirStore(token=TOKEN, page_size=1)
    for value in request["prefetch"].values():
        store.add(*(e["resource"] for e in value["entry"]) if value["resourceType"] == "Bundle" else [value])
    with running_fhir_server(store) as url:
        yield url, store


def fetching_request(server: str, token: str = TOKEN) -> dict[str, Any]:
    """A patient-view call with no prefetch at all: everything must be fetched from ``server``."""
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": server,
        "fhirAuthorization": authorization(token),
        "context": {"userId": "Practitioner/1", "patientId": "pv-iris-1"},
    }


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail any socket connection or DNS look-up from this process; the list records each attempt."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise AssertionError(f"network use attempted: {args[1:]!r}")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


# ---- nothing is trusted by default; untrusted servers are never contacted ------------------------------

OUTSIDE = [
    "https://ehr.example.org/fhir",  # the OpenAPI example the schemathesis test sends
    "http://169.254.169.254/latest/meta-data",  # cloud metadata
    "https://10.0.0.1:8443/fhir",
    "http://[::1]:9/fhir",
]


@pytest.mark.parametrize("server", OUTSIDE)
def test_by_default_no_fhir_server_is_contacted(
    client: TestClient, no_network: list[Any], server: str
) -> None:
    response = client.post("/cds-services/patient-view", json=fetching_request(server))
    assert response.status_code == 412
    assert no_network == []


def test_by_default_even_the_loopback_server_is_not_fetched_from(
    client: TestClient, record: tuple[str, FhirStore]
) -> None:
    url, store = record
    response = client.post("/cds-services/patient-view", json=fetching_request(url))
    assert response.status_code == 412
    assert store.requests == []


# ---- loopback in every spelling, and DNS answers, are refused unless trusted by name ------------------

SPELLINGS = [
    "http://localhost:{port}/fhir",
    "http://[::1]:{port}/fhir",
    "http://127.1:{port}/fhir",
    "http://2130706433:{port}/fhir",
    "http://0x7f000001:{port}/fhir",
    "http://017700000001:{port}/fhir",
    "http://[::ffff:127.0.0.1]:{port}/fhir",
    "http://127.0.0.2:{port}/fhir",
]


def test_loopback_in_any_spelling_is_refused_when_not_trusted(
    settings: Settings, record: tuple[str, FhirStore]
) -> None:
    url, store = record
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with trusting(settings, "https://ehr.example.org/fhir") as client:
        for spelling in SPELLINGS:
            answer = client.post(
                "/cds-services/patient-view", json=fetching_request(spelling.format(port=port))
            )
            assert answer.status_code == 412, spelling
    assert store.requests == []


def test_a_trusted_name_that_resolves_to_a_private_address_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    looked_up: list[str] = []

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with trusting(settings, "https://fhir.hospital.test/r4") as client:
        answer = client.post(
            "/cds-services/patient-view", json=fetching_request("https://fhir.hospital.test/r4")
        )
    assert answer.status_code == 412
    assert looked_up == ["fhir.hospital.test"]
    assert no_network == []  # resolved, judged, never connected


def test_the_checked_address_is_the_one_connected_to(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, record: tuple[str, FhirStore]
) -> None:
    # DNS rebinding: a second look-up would answer an address outside; there must be no second look-up.
    # The first answers ::1 (where nothing listens) before 127.0.0.1: the next checked address is tried.
    url, store = record
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "localhost":
            lookups.append(host)
            if len(lookups) > 1:
                raise AssertionError("looked up again after the check")  # would answer an outside address
            return real("::1", *args, **kwargs) + real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    server = f"http://localhost:{port}/fhir"
    with trusting(settings, server) as client:
        answer = client.post("/cds-services/patient-view", json=fetching_request(server))
    assert answer.status_code == 200, answer.text
    assert len(store.requests) >= 5 and lookups == ["localhost"]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_allowed_for_a_name(address: str, allowed: bool) -> None:
    base = BaseUrl.parse("https://fhir.hospital.test/r4")
    assert address_allowed(base, ipaddress.ip_address(address), []) is allowed


def test_private_addresses_need_an_allowed_network_or_the_literal_address() -> None:
    named = BaseUrl.parse("https://fhir.hospital.test/r4")
    private = ipaddress.ip_address("10.20.3.4")
    assert address_allowed(named, private, [ipaddress.ip_network("10.20.0.0/16")])
    assert not address_allowed(named, private, [ipaddress.ip_network("10.30.0.0/16")])
    assert address_allowed(BaseUrl.parse("https://10.20.3.4/r4"), private, [])
    assert not address_allowed(
        named, ipaddress.ip_address("169.254.169.254"), [ipaddress.ip_network("10.0.0.0/8")]
    )


def test_trust_is_by_canonical_base_url() -> None:
    trusted = ["https://ehr.example.org/fhir"]
    assert trusted_base("https://EHR.example.org:443/fhir/", trusted).path == "/fhir"
    assert trusted_base("https://ehr.example.org/fhir/r4", trusted).path == "/fhir/r4"
    for other in (
        "https://ehr.example.org/fhirx",
        "https://ehr.example.org/fhir/%2e%2e/admin",
        "http://ehr.example.org/fhir",
        "https://ehr.example.org:8443/fhir",
        "https://ehr.example.org.evil.test/fhir",
        "https://user@ehr.example.org/fhir",
        "https://ehr.example.org/fhir?x=1",
    ):
        with pytest.raises(NotTrusted):
            trusted_base(other, trusted)
    with pytest.raises(NotTrusted):
        check_trusted_entry("http://ehr.example.org/fhir")  # plain http only to loopback
    with pytest.raises(ValueError, match="fhir_trusted_servers"):
        Settings(fhir_trusted_servers=["http://ehr.example.org/fhir"], _env_file=None)


# ---- one answer for every failure: no port scanner ----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _banner_server() -> tuple[int, Callable[[], None]]:
    """A TCP service on loopback that is not HTTP (it greets and hangs up)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], listener.close


def test_every_fetch_failure_gives_the_caller_the_same_answer(
    settings: Settings, record: tuple[str, FhirStore]
) -> None:
    url, _ = record
    banner, stop_banner = _banner_server()
    closed = f"http://127.0.0.1:{_closed_port()}/fhir"
    other = f"http://127.0.0.1:{banner}/fhir"
    try:
        with trusting(settings, url, closed, other, fhir_timeout_seconds=1.0) as client:
            cases = {
                "closed port": fetching_request(closed),
                "not HTTP": fetching_request(other),
                "token refused": fetching_request(url, token="stolen"),
                "not found": {**fetching_request(url), "context": {"userId": "u", "patientId": "nobody"}},
                "not trusted": fetching_request(url.replace("127.0.0.1", "localhost")),
            }
            answers = {
                name: client.post("/cds-services/patient-view", json=body) for name, body in cases.items()
            }
    finally:
        stop_banner()
    assert {a.status_code for a in answers.values()} == {412}
    texts = {json.dumps(a.json(), sort_keys=True) for a in answers.values()}
    assert len(texts) == 1, texts


def test_failures_are_logged_without_token_or_patient(
    settings: Settings, record: tuple[str, FhirStore], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = record
    with trusting(settings, url) as client:
        body = {
            **fetching_request(url, token="secret-token-xyz"),
            "context": {"userId": "u", "patientId": "MRN-77"},
        }
        assert client.post("/cds-services/patient-view", json=body).status_code == 412
    err = capsys.readouterr().err
    assert "fhir fetch failed" in err and "HTTP 401" in err
    assert "secret-token-xyz" not in err and "MRN-77" not in err


def test_the_token_never_leaves_for_another_server(settings: Settings, record: tuple[str, FhirStore]) -> None:
    url, store = record
    elsewhere = FhirStore()
    with running_fhir_server(elsewhere) as other:
        store.next_base = other  # the EHR's pages point at another (even trusted) server
        with trusting(settings, url, other) as client:
            answer = client.post("/cds-services/patient-view", json=fetching_request(url))
    assert answer.status_code == 412
    assert elsewhere.requests == []


def test_redirects_are_not_followed(settings: Settings, record: tuple[str, FhirStore]) -> None:
    url, store = record
    elsewhere = FhirStore()
    with running_fhir_server(elsewhere) as other:
        store.redirect_to = other
        with trusting(settings, url) as client:
            answer = client.post("/cds-services/patient-view", json=fetching_request(url))
    assert answer.status_code == 412
    assert store.requests and elsewhere.requests == []


def test_proxy_settings_of_the_environment_are_ignored(
    settings: Settings, record: tuple[str, FhirStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would see the token and could answer for the checked address.
    url, store = record
    proxy = FhirStore()
    with running_fhir_server(proxy) as proxy_url:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy_url.removesuffix("/fhir"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with trusting(settings, url) as client:
            answer = client.post("/cds-services/patient-view", json=fetching_request(url))
    assert answer.status_code == 200, answer.text
    assert store.requests and proxy.requests == []


# ---- JWT on: the trusted servers of the token's issuer ----------------------------------------------

_KEY = ec.generate_private_key(ec.SECP384R1())


def _token(issuer: str) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": "http://testserver/cds-services/patient-view",
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, _KEY, algorithm="ES384", headers={"kid": "k1"})


def test_with_jwt_each_issuer_fetches_only_from_its_own_servers(
    settings: Settings, record: tuple[str, FhirStore]
) -> None:
    url, store = record
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(_KEY.public_key()))
    keys = {"keys": [{**jwk, "kid": "k1", "alg": "ES384"}]}
    secured = settings.model_copy(
        update={
            "jwt_enabled": True,
            "jwt_issuers": {"https://ehr-a.example": keys, "https://ehr-b.example": keys},
            "jwt_audience": "http://testserver",
            "public_url": "http://testserver",
            "fhir_trusted_servers_by_issuer": {"https://ehr-a.example": [url]},
        }
    )
    with TestClient(create_app(secured)) as client:
        for issuer, status in (("https://ehr-b.example", 412), ("https://ehr-a.example", 200)):
            answer = client.post(
                "/cds-services/patient-view",
                json=fetching_request(url),
                headers={"Authorization": f"Bearer {_token(issuer)}"},
            )
            assert answer.status_code == status, (issuer, answer.text)
            assert bool(store.requests) is (status == 200)


# ---- fetch policy applies to fetching only (issue 9, item 5) ------------------------------------------


def test_a_complete_prefetch_is_evaluated_whatever_its_fhir_server(
    client: TestClient, no_network: list[Any]
) -> None:
    # As the CDS Hooks specification's own examples send it: plain http, another host, a token.
    request = load_fixture("order-sign-thalidomide-pregnant")
    request |= {"fhirServer": "http://hooks.smarthealthit.org:9080", "fhirAuthorization": authorization()}
    answer = client.post("/cds-services/order-sign", json=request)
    assert answer.status_code == 200, answer.text
    assert "thalidomide-pregnancy" in {c["source"]["topic"]["code"] for c in answer.json()["cards"]}
    assert no_network == []


def test_a_malformed_fhir_server_is_422_naming_it(client: TestClient) -> None:
    request = {**load_fixture("patient-view-no-alerts"), "fhirServer": "not a url"}
    answer = client.post("/cds-services/patient-view", json=request)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["fhirServer"]
