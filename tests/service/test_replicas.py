"""Two replicas (``clinrules serve`` processes on two ports) sharing one PostgreSQL database and one salt:
a JWT replayed to the other replica is refused, feedback reaches either replica, both audit."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import create_engine, select

from service.audit.tables import evaluations, feedback
from service.patient_hash import hash_patient_id
from service.suites.steps.fixtures import load_fixture
from tests.service.servers import serving

ISS = "https://ehr.example.org"
PUBLIC_URL = "https://cds.example.org"  # the load balancer's address, the same for every replica
KEY = ec.generate_private_key(ec.SECP384R1())


def _token() -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": PUBLIC_URL, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": "k1"})


def _post(url: str, body: Any, token: str) -> httpx.Response:
    return httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_two_replicas_share_replay_protection_feedback_and_audit(postgres_url: str) -> None:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    env = {
        "CLINRULES_DATABASE_URL": postgres_url,
        "CLINRULES_PATIENT_ID_SALT": "shared-by-every-replica",
        "CLINRULES_JWT_ENABLED": "true",
        "CLINRULES_JWT_ISSUERS": json.dumps({ISS: {"keys": [{**jwk, "kid": "k1", "alg": "ES384"}]}}),
        "CLINRULES_JWT_AUDIENCE": PUBLIC_URL,
        "CLINRULES_PUBLIC_URL": PUBLIC_URL,
    }
    request = load_fixture("patient-view-iris-risk")
    with serving(env) as a, serving(env) as b:
        token = _token()
        answer = _post(f"{a.url}/cds-services/patient-view", request, token)
        assert answer.status_code == 200, answer.text
        replayed = _post(f"{b.url}/cds-services/patient-view", request, token)
        assert replayed.status_code == 401

        card = answer.json()["cards"][0]
        item = {
            "card": card["uuid"],
            "outcome": "overridden",
            "outcomeTimestamp": "2026-06-01T09:05:00Z",
            "overrideReason": {"reason": card["overrideReasons"][0]},
        }
        fb = _post(f"{b.url}/cds-services/patient-view/feedback", {"feedback": [item]}, _token())
        assert fb.status_code == 200, fb.text

        second = {**request, "hookInstance": str(uuid.uuid4())}
        assert _post(f"{b.url}/cds-services/patient-view", second, _token()).status_code == 200
        metrics_b = httpx.get(f"{b.url}/metrics", timeout=10).text
        assert re.search(
            r'clinrules_feedback_total\{outcome="overridden",topic="iris-risk"\} 1\.0', metrics_b
        )

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(evaluations.c.hook_instance, evaluations.c.patient_hash)).all()
            stored = conn.execute(select(feedback.c.card_uuid, feedback.c.outcome)).all()
    finally:
        engine.dispose()
    assert sorted(r.hook_instance for r in rows) == sorted([request["hookInstance"], second["hookInstance"]])
    # One salt: the same patient hashes alike on both replicas.
    assert {r.patient_hash for r in rows} == {hash_patient_id("pv-iris-1", b"shared-by-every-replica")}
    assert [(s.card_uuid, s.outcome) for s in stored] == [(card["uuid"], "overridden")]
