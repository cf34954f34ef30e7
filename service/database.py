"""The SQLAlchemy engine: SQLite (WAL, every commit fsynced, files readable by the owner only) or PostgreSQL.

Any SQLAlchemy URL works; PostgreSQL takes ``postgresql+psycopg://user:password@host:5432/db``. Both give up
waiting for another session's lock after the same time (the setting ``database_timeout_seconds``), so an
operator's ``LOCK TABLE`` or ``VACUUM FULL`` turns audit writes into errors, never into calls that hang.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.pool import StaticPool

OWNER_ONLY = 0o600
DEFAULT_TIMEOUT_SECONDS = 30.0
"""How long a statement waits for another session's lock (SQLite's busy timeout, PostgreSQL's
``lock_timeout``), and how long a statement of the service may run on PostgreSQL (``statement_timeout``)."""


class DatabaseMissing(RuntimeError):
    """A command that only reads was pointed at a SQLite file that does not exist."""


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


def postgres_options(url: str, timeout_seconds: float, statement_timeout: bool) -> str:
    """The libpq ``options`` of a PostgreSQL connection: the lock (and statement) time limits, then the
    URL's own options (which may set other limits), then the session time zone UTC.

    UTC: a time without an offset that reached the database would otherwise be read in the server's zone.
    """
    millis = max(1, round(timeout_seconds * 1000))
    parts = [f"-c lock_timeout={millis}"]
    if statement_timeout:
        parts.append(f"-c statement_timeout={millis}")
    own = make_url(url).query.get("options")
    if own:
        parts.append(own if isinstance(own, str) else " ".join(own))
    parts.append("-c timezone=UTC")
    return " ".join(parts)


def make_engine(
    url: str,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    *,
    statement_timeout: bool = True,
    create: bool = True,
) -> Engine:
    """Create an engine for ``url``. SQLite files get WAL with ``synchronous=FULL`` (a commit is on disk
    before it returns), a busy timeout and foreign keys; PostgreSQL connections are checked before use,
    wait at most ``timeout_seconds`` for a lock, and (``statement_timeout``) run a statement at most that
    long, in the time zone UTC.

    ``create=False`` (commands that only read, or that need an existing database) refuses a SQLite file
    that does not exist (:class:`DatabaseMissing`) rather than create it and its folders.
    """
    if make_url(url).get_backend_name() != "sqlite":
        options = postgres_options(url, timeout_seconds, statement_timeout)
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"options": options}
        )
    path = sqlite_file(url)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": timeout_seconds}}
    if path is None:
        kwargs["poolclass"] = StaticPool
    elif not create and not path.is_file():
        raise DatabaseMissing(f"there is no SQLite database at {path} (check CLINRULES_DATABASE_URL)")
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
        cursor.execute(f"PRAGMA busy_timeout={max(1, round(timeout_seconds * 1000))}")
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
