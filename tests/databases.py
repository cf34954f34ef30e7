"""The audit database under test: SQLite and PostgreSQL, one fresh database per test.

The PostgreSQL leg runs against the server named by ``CLINRULES_TEST_POSTGRES_URL`` (``.ci/run`` starts
Debian's PostgreSQL and sets it), each test in a schema of its own, dropped afterwards. Without the URL a
developer's run skips that leg; under CI (``CI=true``) it fails instead, so CI never skips it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

POSTGRES_ENV = "CLINRULES_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    """The test server's URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set: CI must run the PostgreSQL leg (see .ci/run)")
    pytest.skip(f"PostgreSQL leg: set {POSTGRES_ENV} (postgresql+psycopg://user:password@host:port/db)")


def sqlite_url(folder: Path) -> str:
    """A SQLite file database in ``folder``."""
    return f"sqlite:///{folder / 'audit.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh, empty schema of the test server (dropped afterwards)."""
    base = make_url(postgres_base_url())
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty audit database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    return url
