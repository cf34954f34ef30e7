"""Fixtures of the service tests: settings on a temporary database, a started app, a test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture


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
