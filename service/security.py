"""CDS Hooks JWT verification: trusted issuers with their JWKS, ``aud``, ``exp``, ``iat`` and ``jti`` replay.

Off unless ``CLINRULES_JWT_ENABLED`` is true. Any failure is a bare 401 (the reason is logged, the token
never is). Accepted algorithms are asymmetric only (CDS Hooks requires ES384 and RS384 support).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from service.audit import AuditStore
from service.problems import ProblemError

log = logging.getLogger("service.security")
ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]


class JwksError(ValueError):
    """An issuer's JWKS setting cannot be read."""


def load_jwks(value: Any) -> jwt.PyJWKSet:
    """A JWKS from a dict, a JSON string, or a path to a JSON file."""
    data = value
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as exc:
                raise JwksError(f"cannot read JWKS file: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise JwksError("JWKS is not valid JSON") from exc
    if not isinstance(data, dict):
        raise JwksError("JWKS must be a JSON object with 'keys'")
    try:
        return jwt.PyJWKSet.from_dict(data)
    except jwt.PyJWTError as exc:
        raise JwksError(f"invalid JWKS: {exc}") from exc


def unauthorized() -> ProblemError:
    """The bare 401 answered for any token problem."""
    return ProblemError(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})


class JwtVerifier:
    """Verifies bearer JWTs of CDS clients against the configured issuers, and remembers used ``jti``."""

    def __init__(
        self,
        issuers: dict[str, Any],
        replay_store: AuditStore,
        leeway_seconds: int = 30,
        max_age_seconds: int = 3600,
    ) -> None:
        self.keys = {iss: load_jwks(jwks) for iss, jwks in issuers.items()}
        self.replay_store = replay_store
        self.leeway = leeway_seconds
        self.max_age = max_age_seconds

    def _key_for(self, issuer: str, kid: str | None) -> Any:
        keyset = self.keys.get(issuer)
        if keyset is None:
            raise _Reject("issuer not trusted")
        keys = [k for k in keyset.keys if kid is None or k.key_id == kid]
        if not keys:
            raise _Reject("no key with this kid")
        if len(keys) > 1 and kid is None:
            raise _Reject("several keys and no kid")
        return keys[0]

    def verify(self, authorization: str | None, audiences: Iterable[str]) -> dict[str, Any]:
        """Check an ``Authorization`` header; return the claims, or raise the bare 401."""
        try:
            return self._verify(authorization, list(audiences))
        except _Reject as exc:
            log.info("token rejected", extra={"reason": str(exc)})
        except jwt.PyJWTError as exc:
            log.info("token rejected", extra={"reason": type(exc).__name__})
        raise unauthorized()

    def _verify(self, authorization: str | None, audiences: list[str]) -> dict[str, Any]:
        if not authorization:
            raise _Reject("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _Reject("not a bearer token")
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise _Reject("algorithm not allowed")
        unverified = jwt.decode(token, options={"verify_signature": False})
        issuer = unverified.get("iss")
        if not isinstance(issuer, str):
            raise _Reject("no iss")
        key = self._key_for(issuer, header.get("kid"))
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=ALGORITHMS,
            audience=audiences,
            issuer=issuer,
            leeway=self.leeway,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
        now = datetime.now(UTC)
        iat = datetime.fromtimestamp(float(claims["iat"]), UTC)
        exp = datetime.fromtimestamp(float(claims["exp"]), UTC)
        if iat > now + timedelta(seconds=self.leeway):
            raise _Reject("issued in the future")
        if exp - iat > timedelta(seconds=self.max_age):
            raise _Reject("lifetime too long")
        self._remember(issuer, str(claims["jti"]), exp, now)
        return claims

    def _remember(self, issuer: str, jti: str, exp: datetime, now: datetime) -> None:
        key = hashlib.sha256(f"{issuer}\0{jti}".encode()).hexdigest()
        leeway = timedelta(seconds=self.leeway)
        if not self.replay_store.remember_token(key, exp + leeway, now - leeway):
            raise _Reject("jti replayed")


class _Reject(Exception):
    pass
