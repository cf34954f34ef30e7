"""Attacks on a real ``clinrules serve`` over loopback TCP: slowloris, floods of bad requests, hostile bodies.

The server runs with a 2 s header timeout and room for 100 connections, so the test stays short; the
defaults (10 s, 1,000) behave the same at their own scale.
"""

from __future__ import annotations

import copy
import json
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.reliability.live_server import LiveServer, live_server
from tests.reliability.service_app import patient_view, prefetch_keys

HEADER_TIMEOUT = 2.0
MAX_CONNECTIONS = 100
BODY_TIMEOUT = 2.0
LEAK = "MRN-LEAK-77"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(
        tmp_path_factory.mktemp("live"),
        header_timeout_seconds=str(HEADER_TIMEOUT),
        max_connections=str(MAX_CONNECTIONS),
        body_timeout_seconds=str(BODY_TIMEOUT),
        log_rate_per_minute="20",
    ) as running:
        yield running


def _health_seconds(server: LiveServer) -> float:
    start = time.monotonic()
    answer = httpx.get(f"{server.url}/health", timeout=2.0)
    assert answer.status_code == 200
    return time.monotonic() - start


def _closed_by_server(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1024) == b""
    except OSError:  # reset: the server aborted the connection
        return True


def test_half_sent_requests_are_cut_off_and_health_still_answers(server: LiveServer) -> None:
    attackers = []
    for i in range(3 * MAX_CONNECTIONS):
        sock = socket.create_connection((server.host, server.port), timeout=2)
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: ".encode())
        attackers.append(sock)
    try:
        assert _health_seconds(server) < 2.0
        # Keep trickling a byte into each open connection, as slowloris does, past the header timeout.
        deadline = time.monotonic() + HEADER_TIMEOUT + 4
        open_ones = list(attackers)
        while open_ones and time.monotonic() < deadline:
            still = []
            for sock in open_ones:
                if _closed_by_server(sock):
                    continue
                try:
                    sock.send(b"a")
                    still.append(sock)
                except OSError:
                    continue
            open_ones = still
            assert _health_seconds(server) < 2.0
            time.sleep(0.5)
        assert not open_ones, f"{len(open_ones)} half-sent requests still held after the header timeout"
    finally:
        for sock in attackers:
            sock.close()
    assert _health_seconds(server) < 2.0


def test_a_body_sent_too_slowly_is_a_408(server: LiveServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=BODY_TIMEOUT + 5) as sock:
        sock.sendall(
            b"POST /evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        start = time.monotonic()
        answer = sock.recv(4096)
        waited = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert BODY_TIMEOUT - 0.5 < waited < BODY_TIMEOUT + 3
    assert _health_seconds(server) < 2.0


def test_a_flood_of_malformed_requests_is_logged_at_a_bounded_rate(server: LiveServer) -> None:
    for _ in range(150):
        with socket.create_connection((server.host, server.port), timeout=2) as sock:
            sock.sendall(b"NOT-HTTP \x00\x01\r\n\r\n")
            sock.recv(1024)
    time.sleep(0.3)
    lines = [line for line in server.log_text().splitlines() if "Invalid HTTP request" in line]
    assert 1 <= len(lines) <= 20, len(lines)
    assert _health_seconds(server) < 2.0


@pytest.fixture(scope="module")
def leaky_request(server: LiveServer) -> dict[str, Any]:
    keys = prefetch_keys(httpx.get(f"{server.url}/cds-services", timeout=5).json())
    body = patient_view(LEAK, keys)
    assert json.dumps(body).count(LEAK) > 1
    return body


def _entry(body: dict[str, Any], key: str) -> dict[str, Any]:
    entry: dict[str, Any] = body["prefetch"][key]["entry"][0]["resource"]
    return entry


def _surrogate_resource_type(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _entry(body, "observations")["resourceType"] = "\ud800"
    return "patient-view", body


def _surrogate_selection(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    order = copy.deepcopy(_entry(body, "medicationRequests"))
    order["id"] = "draft-1"
    body["hook"] = "order-select"
    body["context"] = {
        **body["context"],
        "selections": ["\udc00"],
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]},
    }
    return "order-select", body


def _non_ascii_access_token(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    body["prefetch"].pop("observations")
    body["fhirServer"] = f"http://127.0.0.1:{_unused_port()}/fhir"
    body["fhirAuthorization"] = {
        "access_token": "tökén-für-fhir",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds-service",
    }
    return "patient-view", body


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("attack", "field"),
    [
        (_surrogate_resource_type, "prefetch.observations.entry.0.resource.resourceType"),
        (_surrogate_selection, "context.selections.0"),
        (_non_ascii_access_token, "fhirAuthorization.access_token"),
    ],
)
def test_hostile_text_is_a_4xx_naming_the_field_and_the_log_keeps_no_patient_data(
    server: LiveServer, leaky_request: dict[str, Any], attack: Any, field: str
) -> None:
    service, body = attack(copy.deepcopy(leaky_request))
    answer = httpx.post(
        f"{server.url}/cds-services/{service}",
        content=json.dumps(body).encode(),  # ensure_ascii: a lone surrogate travels as its \\u escape
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text[:500]
    time.sleep(0.2)
    logged = server.log_text()
    assert LEAK not in logged and "Traceback" not in logged and "tökén" not in logged
