"""Writing and reading the audit trail, card feedback and used JWT ids.

Writes are plain ``INSERT``s (no ORM unit of work; rows encoded once by :class:`RowEncoder`), batched by
:class:`GroupCommitter` and committed before the caller returns: on PostgreSQL the commit is flushed to
its WAL, on SQLite ``synchronous=FULL`` fsyncs it, so an acknowledged record survives a crash of the
process or of the machine. Reads and deletes (feedback checks, pruning) are SQLAlchemy Core.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Insert, bindparam, delete, select

from service.audit.group_commit import GroupCommitter, Rows
from service.audit.rows import RowEncoder, insert_statements
from service.audit.tables import cards, evaluations, feedback, seen_tokens

EVALUATION, CARD, FEEDBACK = 0, 1, 2  # insert order: a card after its evaluation, feedback after its card


@dataclass(frozen=True)
class IssuedCard:
    """What the audit keeps of a card: no text, no patient data."""

    uuid: str
    rule_id: str
    rule_version: str
    topic: str
    indicator: str
    suggestion_uuids: list[str]
    override_codes: list[str]


@dataclass(frozen=True)
class StoredCard:
    """A card as the audit holds it, what feedback on it is checked against."""

    uuid: str
    service: str
    topic: str
    suggestion_uuids: list[str]
    override_codes: list[str]


@dataclass(frozen=True)
class Outcome:
    """One clinician's outcome for a card, ready to store."""

    card: StoredCard
    outcome: str
    accepted_suggestions: Sequence[str]
    override_system: str | None
    override_code: str | None
    has_user_comment: bool
    outcome_timestamp: datetime


@dataclass(frozen=True)
class Pruned:
    """How many rows ``prune`` removed from each table."""

    evaluations: int
    cards: int
    feedback: int
    seen_tokens: int


class AuditStore:
    """The audit, feedback and replay store over one engine (thread-safe; writes go through group commit)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.encode = RowEncoder(engine)
        self.writer = GroupCommitter(engine, insert_statements(self.encode))
        self._insert_token = _insert_ignoring_duplicates(engine)
        self._find_card = select(
            cards.c.uuid, cards.c.service, cards.c.topic, cards.c.suggestion_uuids, cards.c.override_codes
        ).where(cards.c.uuid == bindparam("uuid"))

    def record_evaluation(self, **evaluation: Any) -> str:
        """Store an evaluation and its cards in one transaction, durable on return; return its id.

        The arguments are those of :meth:`evaluation_rows`.
        """
        evaluation_id, rows = self.evaluation_rows(**evaluation)
        self.writer.run(rows)
        return evaluation_id

    async def record_evaluation_async(self, **evaluation: Any) -> str:
        """:meth:`record_evaluation` for a coroutine: durable when the await returns, no thread held."""
        evaluation_id, rows = self.evaluation_rows(**evaluation)
        await self.writer.run_async(rows)
        return evaluation_id

    def evaluation_rows(
        self,
        *,
        service: str,
        hook: str | None,
        hook_instance: str | None,
        ruleset_version: str,
        topics: Sequence[str],
        latency_ms: float,
        patient_hash: str | None,
        cards: Sequence[IssuedCard] = (),
        finding_count: int | None = None,
        shadow_topics: Sequence[str] = (),
        at: datetime | None = None,
    ) -> tuple[str, Rows]:
        """A new evaluation id, and the rows that record the evaluation and its cards.

        ``at`` is when it was made (default: now), for records imported from elsewhere.
        """
        evaluation_id = str(uuid.uuid4())
        encode = self.encode
        row = (  # in the order of rows.EVALUATION_COLUMNS
            evaluation_id,
            encode.time(at or datetime.now(UTC)),
            service,
            hook,
            hook_instance,
            ruleset_version,
            encode.json(list(topics)),
            len(cards) if finding_count is None else finding_count,
            round(latency_ms, 3),
            patient_hash,
            encode.json(list(shadow_topics)),
        )
        card_rows = [
            (  # rows.CARD_COLUMNS
                card.uuid,
                evaluation_id,
                service,
                card.rule_id,
                card.rule_version,
                card.topic,
                card.indicator,
                encode.json(card.suggestion_uuids),
                encode.json(card.override_codes),
            )
            for card in cards
        ]
        return evaluation_id, [(EVALUATION, [row]), (CARD, card_rows)]

    def find_card(self, card_uuid: str) -> StoredCard | None:
        """The card issued with this uuid (by any replica), if any."""
        with self.engine.connect() as conn:
            found = conn.execute(self._find_card, {"uuid": card_uuid}).first()
        if found is None:
            return None
        return StoredCard(
            found.uuid, found.service, found.topic, found.suggestion_uuids, found.override_codes
        )

    def record_feedback(self, service: str, outcomes: Sequence[Outcome]) -> None:
        """Store every outcome in one transaction (all or none), durable on return."""
        encode = self.encode
        received = encode.time(datetime.now(UTC))
        rows = [
            (  # rows.FEEDBACK_COLUMNS
                received,
                service,
                o.card.uuid,
                o.card.topic,
                o.outcome,
                encode.json(list(o.accepted_suggestions)),
                o.override_system,
                o.override_code,
                encode.flag(o.has_user_comment),
                encode.time(o.outcome_timestamp),
            )
            for o in outcomes
        ]
        if rows:
            self.writer.run([(FEEDBACK, rows)])

    def remember_token(self, key: str, expires_at: datetime, now: datetime) -> bool:
        """Record a token id until ``expires_at``; False when it is already recorded (a replay).

        Ids expired by ``now`` are dropped in the same transaction. The primary key makes two replicas
        racing on one id agree: one insert wins, the other inserts nothing.
        """

        def insert_once(conn: Connection) -> bool:
            conn.execute(delete(seen_tokens).where(seen_tokens.c.expires_at < now))
            inserted = conn.execute(self._insert_token, {"key": key, "expires_at": expires_at}).first()
            return inserted is not None

        return bool(self.writer.run(work=insert_once))

    def close(self) -> None:
        """Write what is queued and stop the writer thread."""
        self.writer.close()

    def prune(self, before: datetime, now: datetime | None = None) -> Pruned:
        """Delete evaluations made before ``before``, with their cards and the feedback on those cards,
        and token ids expired by ``now``; one transaction."""
        old_evaluations = select(evaluations.c.id).where(evaluations.c.created_at < before)
        old_cards = select(cards.c.uuid).where(cards.c.evaluation_id.in_(old_evaluations))
        with self.engine.begin() as conn:
            fb = conn.execute(delete(feedback).where(feedback.c.card_uuid.in_(old_cards))).rowcount
            cd = conn.execute(delete(cards).where(cards.c.evaluation_id.in_(old_evaluations))).rowcount
            ev = conn.execute(delete(evaluations).where(evaluations.c.created_at < before)).rowcount
            tk = conn.execute(
                delete(seen_tokens).where(seen_tokens.c.expires_at < (now or datetime.now(UTC)))
            ).rowcount
        return Pruned(evaluations=ev, cards=cd, feedback=fb, seen_tokens=tk)


def _insert_ignoring_duplicates(engine: Engine) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING key`` into ``seen_tokens``: no row back is a replay."""
    if engine.dialect.name not in ("postgresql", "sqlite"):
        raise ValueError(f"the JWT replay store needs PostgreSQL or SQLite, not {engine.dialect.name}")
    # The dialect's module is imported only here (PostgreSQL's costs a worker tens of ms at start-up).
    dialect = importlib.import_module(f"sqlalchemy.dialects.{engine.dialect.name}")
    statement: Insert = dialect.insert(seen_tokens).on_conflict_do_nothing(index_elements=["key"])
    return statement.returning(seen_tokens.c.key)
