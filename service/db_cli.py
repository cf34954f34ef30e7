"""``clinrules db``: the audit database's schema version, upgrades and retention."""

from __future__ import annotations

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


def _db_engine() -> tuple[Settings, Engine]:
    """The settings, and an engine on the configured database."""
    from service.database import make_engine
    from service.settings import get_settings

    settings = get_settings()
    return settings, make_engine(settings.database_url)


@db_group.command("current")
def db_current() -> None:
    """Print the database's schema revision and this code's newest. Exit 1 when they differ."""
    from service.audit.migrate import schema_state

    _, engine = _db_engine()
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
    """Bring the database schema to this code's newest revision (exit 1 if the database is newer)."""
    from service.audit.migrate import SchemaVersionError, upgrade

    _, engine = _db_engine()
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
    """Delete audit rows older than the retention period (evaluations, their cards and feedback)."""
    from datetime import timedelta

    from service.audit import AuditStore
    from service.audit.migrate import SchemaVersionError, prepare

    settings, engine = _db_engine()
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
