"""CDS Hooks JWT verification: trusted issuers with their JWKS, ``aud``, ``exp``, ``iat`` and ``jti`` replay.

Off unless ``CLINRULES_JWT_ENABLED`` is true. Any failure is a bare 401 (the reason is logged, the token
never is). Accepted algorithms are asymmetric only (CDS Hooks requires ES384 and RS384 support); the token
header names one, and it must suit the key: the key's own ``alg`` if the JWK has one, else any algorithm of
the key's type (RSA: RS/PS 256-512; EC: the ES algorithm of its curve). ``aud`` is compared with configured
URLs only (never with anything the request says about its host).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.audit import AuditStore
from service.problems import ProblemError

if TYPE_CHECKING:
    import jwt

log = logging.getLogger("service.security")
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
ALGORITHMS = [*EC_ALGORITHMS.values(), *RSA_ALGORITHMS]


class JwksError(ValueError):
    """An issuer's JWKS setting cannot be read."""


@dataclass(frozen=True)
class VerificationKey:
    """One signing key of an issuer, prepared once for each algorithm it may verify."""

    kid: str | None
    by_algorithm: dict[str, jwt.PyJWK]


def key_algorithms(jwk: dict[str, Any]) -> list[str]:
    """The algorithms a JWK may verify: its ``alg`` if it names one, else those of its key type and curve."""
    alg = jwk.get("alg")
    if alg is not None:
        return [alg] if alg in ALGORITHMS else []
    if jwk.get("kty") == "RSA":
        return list(RSA_ALGORITHMS)
    if jwk.get("kty") == "EC" and jwk.get("crv") in EC_ALGORITHMS:
        return [EC_ALGORITHMS[jwk["crv"]]]
    return []


def verification_keys(value: Any) -> list[VerificationKey]:
    """The signature keys of a JWKS setting; keys for encryption or of other types are left out."""
    import jwt  # PyJWT is loaded only where JWT is on (a tenth of a second of a worker's start-up)

    data = read_jwks(value)
    entries = data.get("keys")
    if not isinstance(entries, list) or not entries:
        raise JwksError("JWKS must be a JSON object with a non-empty 'keys' list")
    keys = []
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        try:
            prepared = {alg: jwt.PyJWK(jwk, algorithm=alg) for alg in key_algorithms(jwk)}
        except jwt.PyJWTError as exc:
            raise JwksError(f"invalid key {jwk.get('kid')!r}: {exc}") from exc
        if prepared:
            kid = jwk.get("kid")
            keys.append(VerificationKey(kid if isinstance(kid, str) else None, prepared))
    if not keys:
        raise JwksError(f"no signature key with an allowed algorithm ({', '.join(ALGORITHMS)})")
    return keys


def audiences_for(base_url: str, path: str) -> list[str]:
    """The ``aud`` values accepted for a call to ``path``: the configured URL, or the endpoint's URL under it.

    CDS Hooks: ``aud`` is the URL of the service endpoint; a feedback call may name its service's URL.
    """
    base = base_url.rstrip("/")
    endpoints = {path, path.removesuffix("/feedback")}
    return sorted({base, base + "/", *(base + p for p in endpoints)})


def read_jwks(value: Any) -> dict[str, Any]:
    """A JWKS document from a dict, a JSON string, or a path to a JSON file."""
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
    return data


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
        self.keys = {iss: verification_keys(jwks) for iss, jwks in issuers.items()}
        self.replay_store = replay_store
        self.leeway = leeway_seconds
        self.max_age = max_age_seconds

    def _key_for(self, issuer: str, kid: Any, alg: str) -> jwt.PyJWK:
        keys = self.keys.get(issuer)
        if keys is None:
            raise _Reject("issuer not trusted")
        candidates = [k for k in keys if kid is None or k.kid == kid]
        if not candidates:
            raise _Reject("no key with this kid")
        if len(candidates) > 1:
            raise _Reject("several keys and no kid")
        key = candidates[0].by_algorithm.get(alg)
        if key is None:
            raise _Reject("algorithm does not suit the key")
        return key

    def verify(self, authorization: str | None, audiences: Iterable[str]) -> dict[str, Any]:
        """Check an ``Authorization`` header; return the claims, or raise the bare 401."""
        try:
            claims, expires = self._verify(authorization, list(audiences))
        except _Reject as exc:
            log.info("token rejected", extra={"reason": str(exc)})
            raise unauthorized() from None
        except Exception as exc:  # any malformed token, whatever PyJWT or the claims raise, is a 401
            log.info("token rejected", extra={"reason": type(exc).__name__})
            raise unauthorized() from None
        try:
            self._remember(str(claims["iss"]), str(claims["jti"]), expires, datetime.now(UTC))
        except _Reject as exc:
            log.info("token rejected", extra={"reason": str(exc)})
            raise unauthorized() from None
        return claims

    def _verify(self, authorization: str | None, audiences: list[str]) -> tuple[dict[str, Any], datetime]:
        import jwt

        if not authorization:
            raise _Reject("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _Reject("not a bearer token")
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise _Reject("algorithm not allowed")
        unverified = jwt.decode(token, options={"verify_signature": False})
        issuer = unverified.get("iss")
        if not isinstance(issuer, str):
            raise _Reject("no iss")
        key = self._key_for(issuer, header.get("kid"), alg)
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audiences,
            issuer=issuer,
            leeway=self.leeway,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
        if not all(_is_text(claims[name]) for name in ("iss", "jti")):
            raise _Reject("iss or jti is not text")
        iat, exp = claims["iat"], claims["exp"]
        if not all(_finite_number(v) for v in (iat, exp)):
            raise _Reject("iat or exp is not a finite number")
        if iat > time.time() + self.leeway:
            raise _Reject("issued in the future")
        # Compared as numbers: a far-future exp (year 10000) is refused here before any date is built.
        if exp - iat > self.max_age:
            raise _Reject("lifetime too long")
        return claims, datetime.fromtimestamp(exp, UTC)

    def _remember(self, issuer: str, jti: str, exp: datetime, now: datetime) -> None:
        key = hashlib.sha256(f"{issuer}\0{jti}".encode()).hexdigest()
        leeway = timedelta(seconds=self.leeway)
        if not self.replay_store.remember_token(key, exp + leeway, now - leeway):
            raise _Reject("jti replayed")


def _is_text(value: Any) -> bool:
    """A string that is valid Unicode (JSON can carry lone surrogates, which cannot be encoded)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Reject(Exception):
    pass


def local_base_url(scope: Mapping[str, Any]) -> str:
    """``scheme://host:port`` of the socket a request arrived at (ASGI ``server``), ignoring its headers."""
    scheme = str(scope.get("scheme") or "http")
    server = scope.get("server")
    if not server:
        return f"{scheme}://localhost"
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"
