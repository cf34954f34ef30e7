"""Schema versions: Alembic upgrades a database to this code's newest revision, or refuses a newer one.

A database made by release 0.1.0 (tables, no ``alembic_version``) is stamped at revision 0001 first.
Several workers or replicas may start together: PostgreSQL serialises them with an advisory lock,
SQLite with its write lock (``BEGIN IMMEDIATE``); the later ones find the schema at head.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema release 0.1.0 made without Alembic
HEAD = "0002"
"""This code's newest revision, as Alembic finds it in ``migrations/versions`` (a test holds the two equal).
A worker that finds its database at this revision starts without importing Alembic at all."""
_LOCK_KEY = 0x636C696E72756C  # "clinrul": one advisory lock for every clinrules migration


class SchemaVersionError(RuntimeError):
    """The database cannot be used by this code as it is (newer than the code, or behind it)."""


@dataclass(frozen=True)
class SchemaState:
    """The database's revision and this code's newest one."""

    current: str | None
    head: str
    legacy: bool = False  # tables of release 0.1.0, not yet stamped

    def describe(self) -> str:
        """The database's revision in words."""
        if self.legacy:
            return f"{BASELINE} (release 0.1.0, not yet stamped)"
        return self.current or "none (empty database)"

    @property
    def up_to_date(self) -> bool:
        """True when the database is at this code's newest revision."""
        return self.current == self.head


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """This code's newest revision."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def schema_state(engine: Engine) -> SchemaState:
    """Where the database stands against this code (``current`` is None for an empty database)."""
    with engine.connect() as conn:
        current = _current(conn)
        legacy = current is None and inspect(conn).has_table("evaluations")
    return SchemaState(current, head_revision(), legacy)


def _refuse_if_newer(current: str | None, head: str) -> None:
    if current is None:
        return
    from alembic.script import ScriptDirectory

    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise SchemaVersionError(
            f"the database schema is at revision {current}, newer than this clinrules knows "
            f"(its newest is {head}); run the release that made it, or a later one"
        )


def _migrate(conn: Connection) -> SchemaState:
    from alembic import command

    head = head_revision()
    before = _current(conn)
    _refuse_if_newer(before, head)
    legacy = before is None and inspect(conn).has_table("evaluations")
    if legacy:
        command.stamp(_config(conn), BASELINE)
    if before != head:
        command.upgrade(_config(conn), "head")
    return SchemaState(before, head, legacy)


def _upgrade_once(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            with conn.begin():
                # The service's sessions cap every statement; a migration may rightly take longer, and a
                # replica waiting for it is held by the lock wait (``lock_timeout``), then retries.
                conn.execute(text("SET LOCAL statement_timeout = 0"))
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
                return _migrate(conn)
        if conn.dialect.name != "sqlite":
            with conn.begin():
                return _migrate(conn)
        # pysqlite opens no transaction before DDL: take SQLite's write lock first, so a second process
        # waits here (busy timeout) and then finds the schema at head.
        raw = conn.execution_options(isolation_level="AUTOCOMMIT")
        raw.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            state = _migrate(raw)
        except BaseException:
            raw.exec_driver_sql("ROLLBACK")
            raise
        raw.exec_driver_sql("COMMIT")
        return state


def upgrade(engine: Engine, attempts: int = 5) -> SchemaState:
    """Bring the database to this code's newest revision; return the revision it was at before.

    Raises :class:`SchemaVersionError` when the database is newer than this code.
    """
    for attempt in range(attempts):
        try:
            return _upgrade_once(engine)
        except DBAPIError:
            # Another process made the same table a moment earlier (SQLite has no lock to wait on).
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _at_head(engine: Engine) -> SchemaState | None:
    """The database's state if it is at :data:`HEAD`, read with one query and no Alembic; else None."""
    try:
        with engine.connect() as conn:
            revisions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no such table yet: an empty or a 0.1.0 database
        return None
    return SchemaState(HEAD, HEAD) if revisions == [HEAD] else None


def prepare(engine: Engine, auto_upgrade: bool) -> SchemaState:
    """At start-up: upgrade the database (or, with ``auto_upgrade`` off, insist that it is up to date)."""
    ready = _at_head(engine)
    if ready is not None:
        return ready
    if auto_upgrade:
        return upgrade(engine)
    state = schema_state(engine)
    _refuse_if_newer(state.current, state.head)
    if not state.up_to_date:
        raise SchemaVersionError(
            f"the database schema is at revision {state.describe()}, this clinrules needs "
            f"{state.head}: run `clinrules db upgrade` (automatic upgrades are off)"
        )
    return state
