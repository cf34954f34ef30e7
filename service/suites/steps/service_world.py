"""The world of the service steps (features/service/): an EHR talking to clinrules over HTTP.

"The clinrules service is running" is the service the suite targets: a fresh one in this process, or the one
at ``clinrules test --url`` (the target's ``url``). A scenario that needs the service configured its own way
(JWT security on) always starts its own instance in this process, since a running service's settings are
its operator's.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.topics import DATA_QUALITY, catalogue_topics, local_topics, require_known

ISSUER = "https://ehr.example.org"
FHIR_TOKEN = "ehr-fhir-token"
_KEY = ec.generate_private_key(ec.SECP384R1())  # the EHR's signing key, new each run


class ServiceWorld:
    """What one scenario has set up and seen."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.client: TestClient | httpx.Client | None = None
        self.request: dict[str, Any] = {}
        self.response: Any = None
        self.cards: dict[str, dict[str, Any]] = {}
        self.hook = ""
        self._topics: frozenset[str] | None = None

    def start(self, **settings: Any) -> TestClient:
        """Start the app with these settings (on a fresh database)."""
        cfg = Settings(database_url=f"sqlite:///{self.tmp_path / 'audit.db'}", _env_file=None, **settings)
        self._topics = None
        self.client = TestClient(create_app(cfg))
        self.client.__enter__()
        return self.client

    def connect(self, url: str) -> httpx.Client:
        """Talk to the service already running at ``url``."""
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=30.0)
        self._topics = None
        return self.client

    @property
    def http(self) -> TestClient | httpx.Client:
        """The client (the service must be running)."""
        assert self.client is not None, "start the service first"
        return self.client

    def topics(self) -> frozenset[str]:
        """The topics a card of this service may have: those in its catalogue (``GET /rules``, else the
        local rules', see :mod:`service.suites.topics`), and ``data-quality``."""
        if self._topics is None:
            try:
                found = catalogue_topics(self.http.get("/rules"))
            except httpx.HTTPError:
                found = None
            self._topics = (found if found is not None else local_topics()) | {DATA_QUALITY}
        return self._topics

    def known(self, topic: str) -> None:
        """Raise :class:`~service.suites.topics.SuiteMistake` when no card of this service has ``topic``."""
        require_known([topic], self.topics())

    def card(self, topic: str) -> dict[str, Any]:
        """The card of this topic in the last answer; an unknown topic is an error, a missing card fails."""
        self.known(topic)
        card = self.cards.get(topic)
        assert card is not None, f'no "{topic}" card; the cards: {", ".join(self.cards) or "none"}'
        return card


@pytest.fixture
def service_world(tmp_path: Path) -> Iterator[ServiceWorld]:
    """The scenario's service, client and last response; the service stops afterwards."""
    world = ServiceWorld(tmp_path)
    yield world
    if isinstance(world.client, TestClient):
        world.client.__exit__(None, None, None)
    elif world.client is not None:
        world.client.close()


@pytest.fixture
def service_url(clinrules_target: object) -> str | None:
    """The URL of the running service the suite targets (``clinrules test --url``), or None: in process."""
    url = getattr(clinrules_target, "url", None)
    return str(url) if url else None


@pytest.fixture
def ehr_fhir_server() -> Iterator[tuple[str, FhirStore]]:
    """The EHR's FHIR server on loopback."""
    store = FhirStore(token=FHIR_TOKEN)
    with running_fhir_server(store) as url:
        yield url, store


def ehr_token(**claims: Any) -> str:
    """A JWT of the EHR (ES384, kid ``ehr-1``) for this service, with ``claims`` changed."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "ehr",
        "aud": "http://testserver",
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    payload.update(claims)
    return jwt.encode(payload, _KEY, algorithm="ES384", headers={"kid": "ehr-1"})


def ehr_public_jwk() -> dict[str, Any]:
    """The EHR's public key as a JWK (what the service is configured to trust)."""
    jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(_KEY.public_key()))
    return jwk
