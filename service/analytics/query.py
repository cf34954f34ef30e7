"""The SQL of the alert analytics: counts per UTC day, rule-set version and topic (SQLAlchemy Core).

The database does the counting and returns one row per day and key, however many evaluations there are;
:mod:`service.analytics.report` then sums the days into ISO weeks in Python, which is the same on SQLite and
PostgreSQL (their week functions differ). Topic lists are JSON arrays, expanded by each database's own
table-valued function (``json_each`` on SQLite, ``json_array_elements_text`` on PostgreSQL).

Feedback is counted in the day of the evaluation that issued the card, so that a week's acceptance and
override counts refer to that week's firings. A card the EHR reported more than once counts once, by its
latest feedback (the last received; of two received at the same time, the later stored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Subquery,
    func,
    literal_column,
    select,
    true,
)

from service.audit.tables import cards, evaluations, feedback


@dataclass(frozen=True)
class DailyCounts:
    """What the database counted, each row keyed by (day, rule-set version[, topic, ...])."""

    evaluations: list[tuple[date, str, int]]
    firings: list[tuple[date, str, str, int]]
    shadow_firings: list[tuple[date, str, str, int]]
    cards: list[tuple[date, str, str, int]]
    outcomes: list[tuple[date, str, str, str, int]]
    """(day, version, topic, outcome, distinct cards)"""
    reasons: list[tuple[date, str, str, str | None, str | None, int]]
    """(day, version, topic, reason system, reason code, distinct cards overridden with it)"""


def _day(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of ``evaluations.created_at`` as ``YYYY-MM-DD`` text."""
    if dialect == "sqlite":  # stored as naive UTC text
        return func.date(evaluations.c.created_at)
    return func.to_char(func.timezone("UTC", evaluations.c.created_at), literal_column("'YYYY-MM-DD'"))


def _elements(dialect: str, column: ColumnElement[Any]) -> Any:
    """The elements of a JSON array column, as a table with a ``value`` column."""
    if dialect == "sqlite":
        return func.json_each(column).table_valued("value")
    return func.json_array_elements_text(column).table_valued("value")


def _latest_feedback() -> Subquery:
    """Each card's latest feedback only: a card the EHR reported twice counts once, as it last stood."""
    rank = (
        func.row_number()
        .over(
            partition_by=feedback.c.card_uuid, order_by=(feedback.c.received_at.desc(), feedback.c.id.desc())
        )
        .label("rank")
    )
    ranked = select(
        feedback.c.card_uuid,
        feedback.c.outcome,
        feedback.c.override_reason_system,
        feedback.c.override_reason_code,
        rank,
    ).subquery("ranked")
    return (
        select(
            ranked.c.card_uuid,
            ranked.c.outcome,
            ranked.c.override_reason_system,
            ranked.c.override_reason_code,
        )
        .where(ranked.c.rank == 1)
        .subquery("latest")
    )


def _rows(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    for row in conn.execute(query):
        yield (date.fromisoformat(row[0]), *row[1:])


def daily_counts(engine: Engine, since: datetime | None = None) -> DailyCounts:
    """Count evaluations, firings, shadow firings, cards and feedback per day (from ``since``, UTC)."""
    dialect = engine.dialect.name
    day = _day(dialect).label("day")
    version = evaluations.c.ruleset_version
    where = [] if since is None else [evaluations.c.created_at >= since.astimezone(UTC)]

    def by_topic(column: ColumnElement[Any]) -> Select[Any]:
        topic = _elements(dialect, column)
        return (
            select(day, version, topic.c.value, func.count())
            .select_from(evaluations.join(topic, true()))
            .where(*where)
            .group_by(day, version, topic.c.value)
        )

    issued = cards.join(evaluations, cards.c.evaluation_id == evaluations.c.id)
    latest = _latest_feedback()
    answered = latest.join(cards, latest.c.card_uuid == cards.c.uuid).join(
        evaluations, cards.c.evaluation_id == evaluations.c.id
    )
    distinct_cards = func.count(latest.c.card_uuid.distinct())
    system, code = latest.c.override_reason_system, latest.c.override_reason_code
    outcome = latest.c.outcome
    # On PostgreSQL the six counts see one snapshot, so that writes meanwhile cannot make them disagree.
    options = {"isolation_level": "REPEATABLE READ"} if dialect == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        return DailyCounts(
            evaluations=list(
                _rows(conn, select(day, version, func.count()).where(*where).group_by(day, version))
            ),
            firings=list(_rows(conn, by_topic(evaluations.c.topics))),
            shadow_firings=list(_rows(conn, by_topic(evaluations.c.shadow_topics))),
            cards=list(
                _rows(
                    conn,
                    select(day, version, cards.c.topic, func.count())
                    .select_from(issued)
                    .where(*where)
                    .group_by(day, version, cards.c.topic),
                )
            ),
            outcomes=list(
                _rows(
                    conn,
                    select(day, version, cards.c.topic, outcome, distinct_cards)
                    .select_from(answered)
                    .where(*where)
                    .group_by(day, version, cards.c.topic, outcome),
                )
            ),
            reasons=list(
                _rows(
                    conn,
                    select(day, version, cards.c.topic, system, code, distinct_cards)
                    .select_from(answered)
                    .where(outcome == "overridden", *where)
                    .group_by(day, version, cards.c.topic, system, code),
                )
            ),
        )
