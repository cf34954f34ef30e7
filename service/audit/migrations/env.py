"""Alembic environment: runs on the connection that :mod:`service.audit.migrate` hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from service.audit.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through the alembic command itself
    raise RuntimeError("run migrations with `clinrules db upgrade`, which passes the connection")
_run(connection)
