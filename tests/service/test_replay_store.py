"""The JWT replay store on SQLite and PostgreSQL: a token id is accepted once, until it expires, by every
worker or replica sharing the database."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from service.app import create_app
from service.audit import AuditStore
from service.audit.migrate import upgrade
from service.database import make_engine
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

ISS = "https://ehr.example.org"
KEY = ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def store(database_url: str) -> Iterator[AuditStore]:
    """A store on a migrated, empty database."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield AuditStore(engine)
    engine.dispose()


def test_a_token_id_is_accepted_once(store: AuditStore) -> None:
    now = datetime.now(UTC)
    assert store.remember_token("a" * 64, now + timedelta(minutes=5), now)
    assert not store.remember_token("a" * 64, now + timedelta(minutes=5), now)
    assert store.remember_token("b" * 64, now + timedelta(minutes=5), now)


def test_an_expired_id_is_forgotten(store: AuditStore) -> None:
    now = datetime.now(UTC)
    assert store.remember_token("a" * 64, now + timedelta(seconds=1), now)
    later = now + timedelta(seconds=2)
    assert store.remember_token("a" * 64, later + timedelta(minutes=5), later)


def test_racing_threads_accept_an_id_once(store: AuditStore) -> None:
    now = datetime.now(UTC)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.remember_token("r" * 64, now + timedelta(1), now), range(16)))
    assert results.count(True) == 1


def _token() -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": "http://testserver", "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": "k1"})


def _settings(database_url: str, tmp_path: Path) -> Settings:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    return Settings(
        database_url=database_url,
        jwt_enabled=True,
        jwt_issuers={ISS: json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "ES384"}]})},
        jwt_audience="http://testserver",
        public_url="http://testserver",
        patient_id_salt="replay",
        _env_file=None,
    )


def test_a_token_replayed_to_another_app_on_the_same_database_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    request = load_fixture("patient-view-no-alerts")
    token = {"Authorization": f"Bearer {_token()}"}
    with (
        TestClient(create_app(_settings(database_url, tmp_path))) as first,
        TestClient(create_app(_settings(database_url, tmp_path))) as second,
    ):
        assert first.post("/cds-services/patient-view", json=request, headers=token).status_code == 200
        assert second.post("/cds-services/patient-view", json=request, headers=token).status_code == 401
