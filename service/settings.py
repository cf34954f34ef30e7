"""Every setting of the service, in one place (environment variables prefixed ``CLINRULES_``).

The README lists every setting. Values come from the environment or a ``.env`` file;
JSON-typed settings (lists, dicts) take JSON strings, e.g. ``CLINRULES_CORS_ORIGINS='["https://ehr.example"]'``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from service.cds.trust import NotTrusted, check_trusted_entry
from service.zone_setting import ZoneSetting

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 1
DEFAULT_DB_FILE = "clinrules.db"


class Settings(ZoneSetting):
    """Service configuration; one instance is read at start-up and shared by the app."""

    model_config = SettingsConfigDict(env_prefix="CLINRULES_", env_file=".env", extra="ignore")

    # --- database (audit, feedback, JWT replay store) ---
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DB_FILE}",
        description="SQLAlchemy URL of the audit and feedback database: a SQLite file by default, or "
        "`postgresql+psycopg://user:password@host:5432/db` (required for several replicas).",
    )
    database_auto_upgrade: bool = Field(
        default=True,
        description="Upgrade the database schema at start-up; when false, start-up refuses a database "
        "that `clinrules db upgrade` has not brought up to date.",
    )
    audit_retention_days: int = Field(
        default=2190,
        ge=1,
        description="Days audit rows (evaluations, their cards and feedback) are kept by `clinrules db "
        "prune` (default 2190, six years).",
    )
    database_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a database statement waits for another session's lock before it fails "
        "(SQLite's busy timeout, PostgreSQL's `lock_timeout`); on PostgreSQL also the longest a statement "
        "of the service may run (`statement_timeout`).",
    )
    # --- end database ---
    patient_id_salt: SecretStr | None = Field(
        default=None,
        description="Salt for hashing patient ids; generated and kept beside the database if unset.",
    )
    salt_file: Path | None = Field(
        default=None, description="Where a generated salt is kept (default: beside the SQLite file)."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS (JSON list or comma-separated)."
    )
    jwt_enabled: bool = Field(default=False, description="Require a CDS Hooks JWT on every CDS Hooks call.")
    jwt_issuers: dict[str, Any] = Field(
        default_factory=dict,
        description="Trusted issuer -> its JWKS (a JWKS object, a JSON string, or a path to a JWKS file).",
    )
    jwt_audience: str | None = Field(
        default=None,
        description="Expected `aud` (this service's URL); default: public_url (one is required with JWT).",
    )
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=600, description="Clock skew allowed on exp/iat.")
    jwt_max_age_seconds: int = Field(
        default=3600, ge=1, description="Longest lifetime (exp - iat) a token may claim; jti kept that long."
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest request body accepted."
    )
    max_json_depth: int = Field(default=64, ge=8, le=512, description="Deepest JSON nesting accepted.")
    host: str = Field(default=DEFAULT_HOST, description="Interface `clinrules serve` binds to.")
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, description="Port `clinrules serve` listens on.")
    workers: int = Field(default=DEFAULT_WORKERS, ge=1, le=64, description="Server worker processes.")
    rules_dir: Path | None = Field(default=None, description="Rules folder (default: the shipped rules/).")
    thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description='Threshold overrides per rule id, e.g. {"iris-risk": {"cd4_below": 50}}.',
    )
    public_url: str | None = Field(
        default=None,
        description="This service's external base URL (card links, default JWT audience).",
    )
    # ---- fetching from FHIR servers (service/cds/fetcher.py, trust.py; SECURITY.md "Fetching") ----------
    fhir_trusted_servers: list[str] = Field(
        default_factory=list,
        description="Base URLs of the FHIR servers the service may fetch from, for any caller (JSON list). "
        "Empty (the default): nothing is fetched and missing prefetch is 412.",
    )
    fhir_trusted_servers_by_issuer: dict[str, list[str]] = Field(
        default_factory=dict,
        description="With JWT on: verified token issuer -> the FHIR base URLs its calls may name.",
    )
    fhir_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Private networks (CIDR) a trusted server's name may resolve to, e.g. 10.20.0.0/16.",
    )
    fhir_timeout_seconds: float = Field(
        default=3.0, gt=0, le=60, description="Deadline of one FHIR GET, body included."
    )
    fhir_deadline_seconds: float = Field(
        default=5.0, gt=0, le=120, description="Deadline of all fetching for one CDS Hooks call."
    )
    fhir_max_concurrent_fetches: int = Field(
        default=16, ge=1, le=1024, description="FHIR GETs in flight at once, per worker process."
    )
    fhir_max_pages: int = Field(default=10, ge=1, le=100, description="Bundle pages followed per search.")
    fhir_max_response_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Largest FHIR response, counted after decompression."
    )
    fhir_max_total_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Most FHIR bytes read for one call (decompressed)."
    )
    fhir_max_entries: int = Field(default=5000, ge=1, description="Most Bundle entries fetched for one call.")
    # ---- end of fetching settings ----------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Log level of the JSON logs."
    )

    # --- Service hardening: connections, headers, logs (SECURITY.md) ---
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Time a client has to send a request's headers, from connecting or its previous answer.",
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Time a client has to send a request's body (else 408)."
    )
    max_connections: int = Field(
        default=1000,
        ge=16,
        le=100_000,
        description="Open connections per worker; at the limit the slowest unfinished request is dropped.",
    )
    log_rate_per_minute: int = Field(
        default=30, ge=1, le=100_000, description="Log lines of one kind a minute before they are summarised."
    )

    @field_validator("public_url", "jwt_audience")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(
                "must be an absolute http(s) URL without query or fragment, e.g. https://cds.example.org"
            )
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _jwt_needs_audience_and_issuers(self) -> Settings:
        if self.jwt_enabled and not (self.jwt_audience or self.public_url):
            raise ValueError(
                "CLINRULES_JWT_ENABLED is true but neither CLINRULES_JWT_AUDIENCE nor CLINRULES_PUBLIC_URL "
                "is set: set one to this service's external URL, the `aud` each CDS client's token carries"
            )
        if self.jwt_enabled and not self.jwt_issuers:
            raise ValueError(
                "CLINRULES_JWT_ENABLED is true but CLINRULES_JWT_ISSUERS is empty: no client could ever call"
            )
        return self

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [v.strip() for v in text.split(",") if v.strip()]
        return value

    @field_validator("fhir_trusted_servers")
    @classmethod
    def _trusted_urls(cls, value: list[str]) -> list[str]:
        return [_trusted_entry(v, f"entry {n}") for n, v in enumerate(value, 1)]

    @field_validator("fhir_trusted_servers_by_issuer")
    @classmethod
    def _trusted_urls_by_issuer(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {
            iss: [_trusted_entry(v, f"issuer {i}, entry {n}") for n, v in enumerate(urls, 1)]
            for i, (iss, urls) in enumerate(value.items(), 1)
        }

    @field_validator("fhir_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        networks = []
        for n, text in enumerate(value, 1):
            try:
                networks.append(str(ipaddress.ip_network(text, strict=False)))
            except ValueError:
                raise ValueError(f"entry {n} is not an IP network in CIDR form, e.g. 10.20.0.0/16") from None
        return networks

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @cached_property
    def sqlite_path(self) -> Path | None:
        """The database file when the database is a SQLite file, else None."""
        from service.database import sqlite_file

        return sqlite_file(self.database_url)

    def resolve_salt(self) -> bytes:
        """The patient-id salt: the setting, else read from (or generated into) the salt file."""
        if self.patient_id_salt is not None and self.patient_id_salt.get_secret_value():
            return self.patient_id_salt.get_secret_value().encode()
        path = self.salt_file
        if path is None:
            db = self.sqlite_path
            path = (db.parent if db is not None else Path(".")) / ".clinrules-salt"
        if path.exists():
            return _read_salt(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        salt = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            return _read_salt(path)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(salt)
        return salt.encode()


def _trusted_entry(url: str, position: str) -> str:
    """A trusted FHIR base URL, checked and canonical; a ValueError names the entry's position, what is
    wrong and the URL without its user info, query and fragment (which may hold credentials)."""
    try:
        return check_trusted_entry(url)
    except NotTrusted as exc:
        shown = url_without_secrets(url)
        raise ValueError(f"{position} ({shown}): {exc}" if shown else f"{position}: {exc}") from None


def url_without_secrets(url: str) -> str:
    """``scheme://host:port/path`` of ``url``, without its user info, query and fragment (which may hold
    credentials); empty if it is not such a URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return ""
    if not parts.scheme or not host:
        return ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path[:120]}"


def _read_salt(path: Path, wait_seconds: float = 2.0) -> bytes:
    """The salt in ``path``, waiting briefly while another worker that just created it writes it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        salt = path.read_text(encoding="utf-8").strip()
        if salt or time.monotonic() > deadline:
            if not salt:
                raise RuntimeError(f"the salt file {path} is empty")
            return salt.encode()
        time.sleep(0.01)


def get_settings() -> Settings:
    """Read settings from the environment (a fresh instance each call)."""
    return Settings()
