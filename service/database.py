"""The SQLAlchemy engine: SQLite (WAL, every commit fsynced, files readable by the owner only) or PostgreSQL.

Any SQLAlchemy URL works; PostgreSQL takes ``postgresql+psycopg://user:password@host:5432/db``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.pool import StaticPool

OWNER_ONLY = 0o600


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory SQLite and other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def secure_sqlite_files(path: Path) -> None:
    """Create the database file 0600 if missing, and narrow it and its WAL and shared-memory files to 0600.

    SQLite gives the ``-wal`` and ``-shm`` files the mode of the database file, so creating that one
    owner-only keeps all three so; narrowing covers files made by an older release (0644 under umask 022).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY))
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if candidate.stat().st_mode & 0o777 != OWNER_ONLY:
                os.chmod(candidate, OWNER_ONLY)
        except FileNotFoundError:
            pass


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``. SQLite files get WAL with ``synchronous=FULL`` (a commit is on disk
    before it returns), a busy timeout and foreign keys; PostgreSQL connections are checked before use."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    path = sqlite_file(url)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if path is None:
        kwargs["poolclass"] = StaticPool
    else:
        secure_sqlite_files(path)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if path is not None:
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so an acknowledged record survives a power loss.
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
