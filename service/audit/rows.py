"""Audit rows as the database driver takes them, for the group commit's ``executemany``.

Each table gets one ``INSERT`` in the driver's own parameter style, and values are encoded here once (JSON
as text, booleans and times as SQLAlchemy stores them on that database), so a batch of hundreds of rows
skips SQLAlchemy's per-row bind processing. Rows written this way read back through SQLAlchemy as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import JSON, Engine, Table

from service.audit.tables import cards, evaluations, feedback

_JSON = msgspec.json.Encoder()
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for DateTime on SQLite (naive UTC)
MAX_PARAMETERS = 30_000  # per statement; SQLite allows 32,766, PostgreSQL 65,535


@dataclass(frozen=True)
class InsertSql:
    """A multi-row ``INSERT``: ``prefix`` then one ``row`` of parameter marks per row."""

    prefix: str
    row: str
    width: int

    def statements(self, rows: Sequence[tuple[Any, ...]]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """SQL and flat parameters inserting ``rows``, as few statements as the parameter limit allows.

        One statement for many rows, not an ``executemany``: the driver steps the database once, and
        Python's GIL is not given up and fought for again at every row.
        """
        chunk = max(1, MAX_PARAMETERS // self.width)
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            sql = self.prefix + ", ".join([self.row] * len(part))
            yield sql, tuple(value for row in part for value in row)


class RowEncoder:
    """Driver SQL and value encoding for one database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"the audit store needs PostgreSQL or SQLite, not {self.dialect}")
        self.sqlite = self.dialect == "sqlite"

    def insert_sql(self, table: Table, columns: Sequence[str]) -> InsertSql:
        """``INSERT INTO table (columns) VALUES (...), ...`` in the driver's parameter style."""
        marks = []
        for name in columns:
            if self.sqlite:
                marks.append("?")
            else:
                marks.append("%s::json" if isinstance(table.c[name].type, JSON) else "%s")
        prefix = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
        return InsertSql(prefix, f"({', '.join(marks)})", len(columns))

    def json(self, value: Any) -> str:
        """A JSON column's value as text."""
        return _JSON.encode(value).decode()

    def time(self, value: datetime) -> Any:
        """A timestamp in UTC (a time without an offset is UTC); on SQLite as SQLAlchemy writes it (text, no
        offset), on PostgreSQL always with its offset, so the session's time zone never reinterprets it."""
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None).strftime(SQLITE_TIME) if self.sqlite else value

    def flag(self, value: bool) -> Any:
        """A boolean (an integer on SQLite)."""
        return int(value) if self.sqlite else value


EVALUATION_COLUMNS = (
    "id",
    "created_at",
    "service",
    "hook",
    "hook_instance",
    "ruleset_version",
    "topics",
    "card_count",
    "latency_ms",
    "patient_hash",
    "shadow_topics",
)
CARD_COLUMNS = (
    "uuid",
    "evaluation_id",
    "service",
    "rule_id",
    "rule_version",
    "topic",
    "indicator",
    "suggestion_uuids",
    "override_codes",
)
FEEDBACK_COLUMNS = (
    "received_at",
    "service",
    "card_uuid",
    "topic",
    "outcome",
    "accepted_suggestions",
    "override_reason_system",
    "override_reason_code",
    "has_user_comment",
    "outcome_timestamp",
)


def insert_statements(encoder: RowEncoder) -> list[InsertSql]:
    """The inserts of evaluations, cards and feedback, in the order a batch runs them."""
    return [
        encoder.insert_sql(evaluations, EVALUATION_COLUMNS),
        encoder.insert_sql(cards, CARD_COLUMNS),
        encoder.insert_sql(feedback, FEEDBACK_COLUMNS),
    ]
