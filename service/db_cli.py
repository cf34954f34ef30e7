"""``clinrules db``: the audit database's schema version, upgrades and retention.

Exit codes: 0 done; 1 the schema is not this code's (``db current``: it differs; ``upgrade``/``prune``: it
is newer, or not upgraded); 2 the database cannot be used (unreachable, refused the login, a SQLite file
that is not there), with one line on stderr and no traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from click.exceptions import Exit

from service.cli_common import Group, err, out

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from service.settings import Settings


@click.group("db", cls=Group, no_args_is_help=True)
def db_group() -> None:
    """The audit database: schema version, upgrades, retention."""


CANNOT_USE = 2
"""Exit code of a command that could not use the database at all."""
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


def _one_line(exc: BaseException, url: str) -> str:
    """The first line of a database error (the driver's own message), any password hidden."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import DBAPIError

    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = _URL_PASSWORD.sub(r"\1:***@", lines[0] if lines else type(cause).__name__)
    try:
        password = make_url(url).password
    except Exception:  # an unparsable URL: its error says so, and the pattern above hid a password
        password = None
    return text.replace(str(password), "***") if password else text


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a database that cannot be used into ``error: cannot use the database: ...`` and exit 2."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from service.database import DatabaseMissing

    try:
        yield
    except (DBAPIError, ArgumentError, DatabaseMissing) as exc:
        err.print(f"error: cannot use the database: {_one_line(exc, url)}", markup=False, highlight=False)
        raise Exit(CANNOT_USE) from exc


def command_engine(settings: Settings, create: bool) -> Engine:
    """An engine for a command on the configured database (``create``: a SQLite file may be made).

    Lock waits are limited, statements are not: a prune or report of years of rows may take longer than a
    call. A malformed URL or a driver that is not installed is an ``ArgumentError``, as SQLAlchemy's own.
    """
    from sqlalchemy.exc import ArgumentError

    from service.database import make_engine

    try:
        return make_engine(
            settings.database_url, settings.database_timeout_seconds, statement_timeout=False, create=create
        )
    except ImportError as exc:
        raise ArgumentError(f"the URL's database driver is not installed ({exc})") from exc
    except ValueError as exc:  # e.g. a port that is not a number
        raise ArgumentError(f"CLINRULES_DATABASE_URL is not a valid URL ({exc})") from exc


def _db_engine(create: bool) -> tuple[Settings, Engine]:
    """The settings, and an engine on the configured database."""
    from service.settings_check import settings_or_exit

    settings = settings_or_exit()
    return settings, command_engine(settings, create)


@db_group.command("current")
def db_current() -> None:
    """Print the database's schema revision and this code's newest. Exit 1 when they differ, 2 when the
    database cannot be used (a SQLite file that does not exist is not created)."""
    from service.audit.migrate import schema_state
    from service.settings_check import settings_or_exit

    with database_errors(settings_or_exit().database_url):
        _, engine = _db_engine(create=False)
        try:
            state = schema_state(engine)
        finally:
            engine.dispose()
    out.print(f"database: {state.describe()}", markup=False, highlight=False)
    out.print(f"code:     {state.head}", markup=False, highlight=False)
    if not state.up_to_date:
        raise Exit(1)


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to this code's newest revision, creating a SQLite file if need be (exit 1
    if the database is newer, 2 if it cannot be used)."""
    from service.audit.migrate import SchemaVersionError, upgrade
    from service.settings_check import settings_or_exit

    with database_errors(settings_or_exit().database_url):
        _, engine = _db_engine(create=True)
        try:
            before = upgrade(engine)
        except SchemaVersionError as exc:
            err.print(f"error: {exc}", markup=False)
            raise Exit(1) from exc
        finally:
            engine.dispose()
    if before.up_to_date:
        out.print(f"already at {before.head}", markup=False, highlight=False)
    else:
        out.print(f"upgraded from {before.describe()} to {before.head}", markup=False, highlight=False)


@db_group.command("prune")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Keep this many days (default: CLINRULES_AUDIT_RETENTION_DAYS).",
)
def db_prune(days: int | None) -> None:
    """Delete audit rows older than the retention period (evaluations, their cards and feedback). Exit 1
    if the schema is not this code's, 2 if the database cannot be used (or the SQLite file is missing)."""
    from datetime import timedelta

    from service.audit import AuditStore
    from service.audit.migrate import SchemaVersionError, prepare
    from service.settings_check import settings_or_exit

    with database_errors(settings_or_exit().database_url):
        settings, engine = _db_engine(create=False)
        keep = days or settings.audit_retention_days
        cutoff = datetime.now(UTC) - timedelta(days=keep)
        try:
            prepare(engine, auto_upgrade=False)
            pruned = AuditStore(engine).prune(cutoff)
        except SchemaVersionError as exc:
            err.print(f"error: {exc}", markup=False)
            raise Exit(1) from exc
        finally:
            engine.dispose()
    out.print(
        f"kept {keep} days (from {cutoff.isoformat(timespec='seconds')}): removed {pruned.evaluations} "
        f"evaluations, {pruned.cards} cards, {pruned.feedback} feedback, "
        f"{pruned.seen_tokens} expired token ids",
        highlight=False,
    )


# --- end db ---------------------------------------------------------------------------------------------
