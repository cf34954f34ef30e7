"""Writing the audit trail: one row per evaluation (and per card issued), one per feedback outcome.

Each function adds rows to the caller's session; the caller commits once, before answering, so a failed
request leaves nothing half-written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from service.audit_models import CardRecord, EvaluationRecord, FeedbackRecord


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


def record_evaluation(
    session: Session,
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
) -> str:
    """Add an evaluation (and its cards) to ``session``; return the evaluation id."""
    evaluation_id = str(uuid.uuid4())
    session.add(
        EvaluationRecord(
            id=evaluation_id,
            created_at=datetime.now(UTC),
            service=service,
            hook=hook,
            hook_instance=hook_instance,
            ruleset_version=ruleset_version,
            topics=list(topics),
            card_count=len(cards) if finding_count is None else finding_count,
            latency_ms=round(latency_ms, 3),
            patient_hash=patient_hash,
        )
    )
    session.flush()
    for card in cards:
        session.add(
            CardRecord(
                uuid=card.uuid,
                evaluation_id=evaluation_id,
                service=service,
                rule_id=card.rule_id,
                rule_version=card.rule_version,
                topic=card.topic,
                indicator=card.indicator,
                suggestion_uuids=card.suggestion_uuids,
                override_codes=card.override_codes,
            )
        )
    return evaluation_id


def find_card(session: Session, card_uuid: str) -> CardRecord | None:
    """The card issued with this uuid, if any."""
    return session.get(CardRecord, card_uuid)


def record_feedback(
    session: Session,
    *,
    service: str,
    card: CardRecord,
    outcome: str,
    accepted_suggestions: Sequence[str],
    override_system: str | None,
    override_code: str | None,
    has_user_comment: bool,
    outcome_timestamp: datetime,
) -> None:
    """Add one feedback outcome to ``session``."""
    session.add(
        FeedbackRecord(
            received_at=datetime.now(UTC),
            service=service,
            card_uuid=card.uuid,
            topic=card.topic,
            outcome=outcome,
            accepted_suggestions=list(accepted_suggestions),
            override_reason_system=override_system,
            override_reason_code=override_code,
            has_user_comment=has_user_comment,
            outcome_timestamp=outcome_timestamp,
        )
    )
