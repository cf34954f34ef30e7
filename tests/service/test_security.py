"""JWT verification as CDS Hooks specifies: issuer allowlist with JWKS, aud, exp, iat, jti replay."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

ISS = "https://ehr.example.org"
AUD = "http://testserver"
KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


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


def _relabelled(token: str, **header: Any) -> str:
    """The token with its header changed and its signature kept (a forgery attempt)."""
    _, payload, signature = token.split(".")
    fields = {**jwt.get_unverified_header(token), **header}
    encoded = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{encoded}.{payload}.{signature}"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[TestClient]:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(_jwks(KEY)))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        jwt_enabled=True,
        jwt_issuers={ISS: str(jwks_file), "https://other.example": json.dumps(_jwks(OTHER_KEY, "k2"))},
        jwt_audience=AUD,
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
        # A validly signed token that expires in the year 10000 (was a 500): far beyond the longest lifetime.
        _token(exp=253_402_300_800),
        _token(exp=float("inf")),
        _token(iat=float("nan")),
        _token(aud=["x" * 10, {"nested": True}]),
        _token(jti="\udc00"),  # a lone surrogate cannot be hashed into the replay store (was a 500)
        _relabelled(_token(), alg="ES256"),  # a P-384 signature presented as ES256
        _relabelled(_token(), alg="RS384"),
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


def _secured_with(tmp_path: Path, jwks: dict[str, Any], **settings: Any) -> TestClient:
    cfg = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        jwt_enabled=True,
        jwt_issuers={ISS: json.dumps(jwks)},
        _env_file=None,
        **settings,
    )
    return TestClient(create_app(cfg))


def test_audience_comes_from_settings_never_from_the_host_header(tmp_path: Path) -> None:
    # A token minted for another CDS service, replayed here with that service's name in the Host header.
    foreign = "http://other-cds.example"
    with _secured_with(tmp_path, _jwks(KEY), jwt_audience="https://cds.example.org") as client:
        for aud in (f"{foreign}/cds-services/patient-view", foreign):
            answer = client.post(
                "/cds-services/patient-view",
                json=load_fixture("patient-view-no-alerts"),
                headers={"Authorization": f"Bearer {_token(aud=aud)}", "Host": "other-cds.example"},
            )
            assert answer.status_code == 401, aud


def test_the_public_url_is_the_audience_when_none_is_set(tmp_path: Path) -> None:
    with _secured_with(tmp_path, _jwks(KEY), public_url="https://cds.example.org/") as client:
        good = _token(aud="https://cds.example.org/cds-services/patient-view")
        assert _call(client, good).status_code == 200
        assert _call(client, _token(aud=AUD)).status_code == 401


@pytest.mark.parametrize(
    "settings",
    [{}, {"jwt_audience": ""}, {"public_url": " "}],
)
def test_jwt_without_an_audience_is_refused_at_start_up(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(jwt_enabled=True, jwt_issuers={ISS: _jwks(KEY)}, _env_file=None, **settings)
    assert "CLINRULES_JWT_AUDIENCE" in str(refused.value) and "CLINRULES_PUBLIC_URL" in str(refused.value)


def test_serve_says_which_setting_is_missing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "CLINRULES_JWT_ENABLED": "true",
        "CLINRULES_JWT_ISSUERS": json.dumps({ISS: _jwks(KEY)}),
        "CLINRULES_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "CLINRULES_PORT": "0",
    }
    env.pop("CLINRULES_JWT_AUDIENCE", None)
    env.pop("CLINRULES_PUBLIC_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "CLINRULES_JWT_AUDIENCE" in done.stderr and "Traceback" not in done.stderr


def _rsa_jwks_without_alg() -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    return {"keys": [{**jwk, "kid": "r1", "use": "sig"}]}


@pytest.mark.parametrize("alg", ["RS384", "PS384", "RS256", "RS512", "PS256"])
def test_an_rsa_key_without_alg_verifies_the_algorithm_the_token_names(tmp_path: Path, alg: str) -> None:
    # CDS Hooks: services must accept RS384 (and ES384); a JWKS often leaves `alg` out of its keys.
    with _secured_with(tmp_path, _rsa_jwks_without_alg(), jwt_audience=AUD) as client:
        assert _call(client, _token(key=RSA_KEY, kid="r1", alg=alg)).status_code == 200


def test_an_ec_key_without_alg_verifies_es384_only(tmp_path: Path) -> None:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    with _secured_with(tmp_path, {"keys": [{**jwk, "kid": "k1"}]}, jwt_audience=AUD) as client:
        assert _call(client, _token()).status_code == 200
        assert _call(client, _relabelled(_token(), alg="ES256")).status_code == 401
        p256 = ec.generate_private_key(ec.SECP256R1())
        assert _call(client, _token(key=p256, alg="ES256")).status_code == 401
        assert _call(client, _token(key=RSA_KEY, alg="RS384")).status_code == 401


def test_a_key_with_alg_verifies_only_that_algorithm(tmp_path: Path) -> None:
    jwks = _rsa_jwks_without_alg()
    jwks["keys"][0]["alg"] = "RS384"
    with _secured_with(tmp_path, jwks, jwt_audience=AUD) as client:
        assert _call(client, _token(key=RSA_KEY, kid="r1", alg="RS384")).status_code == 200
        assert _call(client, _token(key=RSA_KEY, kid="r1", alg="PS384")).status_code == 401


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
