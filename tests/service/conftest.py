"""Fixtures of the service tests: settings on a temporary database, a started app, a test client, the
loopback FHIR server holding a record, and a guard failing any network use."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture
from tests.service.test_fhir_fetch import TOKEN


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with the audit database in a temporary folder."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'audit.db'}", _env_file=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of a started app (rules compiled, database ready)."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def fixture() -> Any:
    """The CDS request fixture loader."""
    return load_fixture


@pytest.fixture
def record() -> Iterator[tuple[str, FhirStore]]:
    """The loopback FHIR server holding the whole iris-risk record (page size 1)."""
    request = load_fixture("patient-view-iris-risk")
    store = FhirStore(token=TOKEN, page_size=1)
    for value in request["prefetch"].values():
        store.add(*(e["resource"] for e in value["entry"]) if value["resourceType"] == "Bundle" else [value])
    with running_fhir_server(store) as url:
        yield url, store


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
