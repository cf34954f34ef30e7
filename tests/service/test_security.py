"""JWT verification as CDS Hooks specifies: issuer allowlist with JWKS, aud, exp, iat, jti replay."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

ISS = "https://ehr.example.org"
AUD = "http://testserver"
KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


def _jwks(private_key: ec.EllipticCurvePrivateKey, kid: str = "k1") -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": "ES384", "use": "sig"}]}


def _token(key: Any = KEY, kid: str = "k1", alg: str = "ES384", **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISS,
        "sub": "client",
        "aud": AUD,
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[TestClient]:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(_jwks(KEY)))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        jwt_enabled=True,
        jwt_issuers={ISS: str(jwks_file), "https://other.example": json.dumps(_jwks(OTHER_KEY, "k2"))},
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _call(client: TestClient, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        "/cds-services/patient-view", json=load_fixture("patient-view-no-alerts"), headers=headers
    )


def test_off_by_default(client: TestClient) -> None:
    assert _call(client, None).status_code == 200


def test_valid_token_accepted(secured: TestClient) -> None:
    assert _call(secured, _token()).status_code == 200
    endpoint_aud = _token(aud=f"{AUD}/cds-services/patient-view")
    assert _call(secured, endpoint_aud).status_code == 200
    other = _token(key=OTHER_KEY, kid="k2", iss="https://other.example")
    assert _call(secured, other).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        _token(iss="https://evil.example"),
        _token(aud="https://elsewhere.example"),
        _token(exp=int(time.time()) - 3600, iat=int(time.time()) - 4000),
        _token(iat=int(time.time()) + 3600, exp=int(time.time()) + 3900),
        _token(jti=None),
        _token(exp=None),
        _token(key=OTHER_KEY),
        _token(kid="unknown"),
        _token(exp=int(time.time()) + 86_400),
        jwt.encode(
            {"iss": ISS, "aud": AUD, "exp": int(time.time()) + 60, "iat": int(time.time()), "jti": "x"},
            "secret-secret-secret-secret-32by",
            algorithm="HS256",
        ),
    ],
)
def test_bad_tokens_get_bare_401(secured: TestClient, token: str | None) -> None:
    response = _call(secured, token)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"type", "title", "status", "instance"}


def test_replayed_jti_rejected(secured: TestClient) -> None:
    token = _token()
    assert _call(secured, token).status_code == 200
    assert _call(secured, token).status_code == 401


def test_feedback_and_evaluate_protected_discovery_open(secured: TestClient) -> None:
    assert secured.get("/cds-services").status_code == 200
    assert secured.post("/cds-services/patient-view/feedback", json={"feedback": []}).status_code == 401
    assert secured.post("/evaluate", json={}).status_code == 401
    assert (
        secured.post("/evaluate", json={}, headers={"Authorization": f"Bearer {_token()}"}).status_code == 200
    )


def test_token_never_logged(secured: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    token = _token()
    _call(secured, token)
    _call(secured, token)  # replay: rejected and logged
    _call(secured, token.replace(".", "x", 1))
    err = capsys.readouterr().err
    assert token not in err and token.split(".")[2] not in err


def test_a_configured_audience_accepts_the_service_endpoint_url(tmp_path: Path) -> None:
    # Behind a proxy: the EHR names the public URL of the endpoint it calls (CDS Hooks: aud).
    public = "https://cds.example.org"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        jwt_enabled=True,
        jwt_issuers={ISS: json.dumps(_jwks(KEY))},
        jwt_audience=public,
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        assert _call(client, _token(aud=f"{public}/cds-services/patient-view")).status_code == 200
        assert _call(client, _token(aud=public)).status_code == 200
        assert _call(client, _token(aud=f"{public}/cds-services/order-sign")).status_code == 401
