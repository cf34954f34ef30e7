"""Tables of the audit trail and card feedback. They hold no patient data beyond a salted hash of the id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class EvaluationRecord(Base):
    """One evaluation: when, by which service or hook, with which rules, what fired, how long it took."""

    __tablename__ = "evaluations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    service: Mapped[str] = mapped_column(String(64))
    hook: Mapped[str | None] = mapped_column(String(64))
    hook_instance: Mapped[str | None] = mapped_column(String(64), index=True)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    topics: Mapped[list[str]] = mapped_column(JSON)
    card_count: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    patient_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class CardRecord(Base):
    """A card handed to a CDS client, so that feedback can be tied to its rule and topic."""

    __tablename__ = "cards"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64), index=True)
    indicator: Mapped[str] = mapped_column(String(16))
    suggestion_uuids: Mapped[list[str]] = mapped_column(JSON)
    override_codes: Mapped[list[str]] = mapped_column(JSON)


class FeedbackRecord(Base):
    """A clinician's outcome for a card: accepted (which suggestions) or overridden (with which reason)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    service: Mapped[str] = mapped_column(String(64))
    card_uuid: Mapped[str] = mapped_column(ForeignKey("cards.uuid"), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    accepted_suggestions: Mapped[list[str]] = mapped_column(JSON)
    override_reason_system: Mapped[str | None] = mapped_column(String(255))
    override_reason_code: Mapped[str | None] = mapped_column(String(64))
    has_user_comment: Mapped[bool] = mapped_column(default=False)
    outcome_timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SeenToken(Base):
    """A JWT id already used, kept until the token expires (replay protection)."""

    __tablename__ = "seen_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
