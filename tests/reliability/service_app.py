"""A started service app on a temporary SQLite database, and a realistic patient-view request."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def settings_for(directory: Path) -> Settings:
    """Settings with the audit database in ``directory``."""
    return Settings(
        database_url=f"sqlite:///{directory / 'audit.db'}",
        patient_id_salt="reliability",
        log_level="WARNING",
        _env_file=None,
    )


@contextmanager
def started_client(directory: Path) -> Iterator[TestClient]:
    """A client of a started app (lifespan run: rules compiled, database ready)."""
    with TestClient(create_app(settings_for(directory)), raise_server_exceptions=False) as client:
        yield client


def _http_load() -> Any:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import _patient_view

    return _patient_view


def patient_view(patient_id: str, keys: dict[str, str]) -> dict[str, Any]:
    """The benchmark's patient-view request (about 40 FHIR resources)."""
    body: dict[str, Any] = _http_load().patient_view_request(patient_id, keys)[0]
    return body


def prefetch_keys(discovery: dict[str, Any]) -> dict[str, str]:
    """Resource type -> prefetch key, from the discovery document."""
    keys: dict[str, str] = _http_load().prefetch_keys(discovery)
    return keys
