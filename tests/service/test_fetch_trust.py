"""Fetching cannot be turned against the network: only trusted servers, and public addresses unless allowed.

Regression tests of the security review (issue 10, row 1 and the fetcher's part of row 9; issue 9, item 5).
Nothing here leaves 127.0.0.1: servers are on loopback, and the tests that name outside hosts assert that
no connection and no DNS look-up is even attempted.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.cds.trust import BaseUrl, NotTrusted, address_allowed, check_trusted_entry, trusted_base
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore
from tests.service.fetching import fetching_request
from tests.service.test_fhir_fetch import trusting

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


@pytest.mark.parametrize(
    "dns_answer",
    [
        (socket.AF_INET, ("127.0.0.1",)),
        (socket.AF_INET6, ("64:ff9b::a9fe:a9fe", 0, 0)),  # NAT64 around the cloud metadata address
        (socket.AF_INET6, ("::ffff:0:a00:1", 0, 0)),  # SIIT around 10.0.0.1
    ],
    ids=["loopback", "nat64-metadata", "siit-private"],
)
def test_a_trusted_name_that_resolves_to_a_private_address_is_refused(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    no_network: list[Any],
    dns_answer: tuple[socket.AddressFamily, tuple[Any, ...]],
) -> None:
    looked_up: list[str] = []
    family, (address, *rest) = dns_answer

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        return [(family, socket.SOCK_STREAM, 6, "", (address, int(port), *rest))]

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
        # IPv6 forms carrying a non-public IPv4 address are judged by it (security review, NAT64 SSRF)
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 well-known prefix around 169.254.169.254
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 around 127.0.0.1
        ("::7f00:1", False),  # IPv4-compatible around 127.0.0.1
        ("::a9fe:a9fe", False),  # IPv4-compatible around 169.254.169.254
        ("::ffff:0:a9fe:a9fe", False),  # SIIT IPv4-translated around 169.254.169.254
        ("::ffff:0:c0a8:101", False),  # SIIT around 192.168.1.1
        ("fec0::1", False),  # deprecated site-local
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 prefix: refused whatever it carries
        ("64:ff9b:1::808:808", False),
        ("::ffff:0:0", False),  # SIIT around 0.0.0.0
        ("::ffff:0:e000:1", False),  # SIIT around multicast 224.0.0.1
        # a translation form carrying a public IPv4 address is that public address
        ("2606:4700::1111", True),
        ("64:ff9b::808:808", True),  # NAT64 (DNS64) around 8.8.8.8
        ("::ffff:808:808", True),
        ("::ffff:0:808:808", True),
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


def test_6to4_and_teredo_need_both_their_networks_listed() -> None:
    """As README and SECURITY.md say: judged as themselves (not global) and by the IPv4 address they carry."""
    named = BaseUrl.parse("https://fhir.hospital.test/r4")
    six_to_four = ipaddress.ip_address("2002:a14:1::1")  # around 10.20.0.1
    assert not address_allowed(named, six_to_four, [])
    assert not address_allowed(named, six_to_four, [ipaddress.ip_network("10.20.0.0/16")])
    assert not address_allowed(named, six_to_four, [ipaddress.ip_network("2002:a14::/32")])
    both = [ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("2002:a14::/32")]
    assert address_allowed(named, six_to_four, both)
    assert not address_allowed(named, ipaddress.ip_address("2002:808:808::1"), [])  # even around 8.8.8.8


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
