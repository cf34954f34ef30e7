"""Fetching cannot be turned against the network: one 412 text for every failure, the token kept home.

Regression tests of the security review (issue 10, row 1 and the fetcher's part of row 9; issue 9, item 5):
no port scanning through the service, no token sent elsewhere, no redirects or proxies, each JWT issuer
fetching only from its own servers. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture
from tests.service.fetching import fetching_request
from tests.service.test_fhir_fetch import TOKEN, authorization, trusting

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


def _prefetched_next(server: str, link: str) -> dict[str, Any]:
    """A fetching call whose prefetched observations Bundle has a ``next`` link to ``link``."""
    request = load_fixture("patient-view-iris-risk")
    observations = {**request["prefetch"]["observations"], "link": [{"relation": "next", "url": link}]}
    return {**fetching_request(server), "prefetch": {"observations": observations}}


def test_every_fetch_failure_gives_the_caller_the_same_answer(
    settings: Settings, record: tuple[str, FhirStore], capsys: pytest.CaptureFixture[str]
) -> None:
    url, store = record
    banner, stop_banner = _banner_server()
    closed = f"http://127.0.0.1:{_closed_port()}/fhir"
    other = f"http://127.0.0.1:{banner}/fhir"
    with contextlib.ExitStack() as servers:
        # Answers whose body is not in the Content-Encoding they claim (deflate: neither zlib nor raw).
        garbled = {
            encoding: servers.enter_context(
                running_fhir_server(
                    FhirStore(resources=store.resources, token=TOKEN, encoding=encoding, mislabel=True)
                )
            )
            for encoding in ("gzip", "deflate")
        }
        servers.callback(stop_banner)
        with trusting(settings, url, closed, other, *garbled.values(), fhir_timeout_seconds=1.0) as client:
            cases = {
                "closed port": fetching_request(closed),
                "not HTTP": fetching_request(other),
                "token refused": fetching_request(url, token="stolen"),
                "not found": {**fetching_request(url), "context": {"userId": "u", "patientId": "nobody"}},
                "not trusted": fetching_request(url.replace("127.0.0.1", "localhost")),
                "not gzip": fetching_request(garbled["gzip"]),
                "not deflate": fetching_request(garbled["deflate"]),
            }
            paged_cases = {  # a prefetched search whose next page cannot be had: the same answer for all
                "next link elsewhere": _prefetched_next(url, f"{other}/Observation?page=2"),
                "CR/LF in a next link": _prefetched_next(url, f"{url}/Observation?a=1\r\nX-Injected: 1"),
            }
            answers = {
                name: client.post("/cds-services/patient-view", json=body)
                for name, body in {**cases, **paged_cases}.items()
            }
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 412)
    for group in (cases, paged_cases):
        texts = {json.dumps(answers[name].json(), sort_keys=True) for name in group}
        assert len(texts) == 1, texts
    err = capsys.readouterr().err
    assert "unhandled error" not in err
    assert err.count("fhir fetch failed") == len(answers)


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
