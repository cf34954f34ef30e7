"""Tables of the audit trail, card feedback and JWT replay store (SQLAlchemy Core; Alembic owns the schema).

They hold no patient data beyond a salted hash of the id. This module describes the schema at the newest
migration (``service/audit/migrations/versions``); a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    text,
)

metadata = MetaData()

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("service", String(64), nullable=False),
    Column("hook", String(64)),
    Column("hook_instance", String(64), index=True),
    Column("ruleset_version", String(64), nullable=False),
    Column("topics", JSON, nullable=False),
    Column("card_count", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("patient_hash", String(64), index=True),
    # Topic codes of findings from rules run in shadow (evaluated, never shown); empty when none.
    Column("shadow_topics", JSON, nullable=True, server_default=text("'[]'")),
)
"""One evaluation: when, by which service or hook, with which rules, what fired, how long it took."""

cards = Table(
    "cards",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("evaluation_id", String(36), ForeignKey("evaluations.id"), nullable=False, index=True),
    Column("service", String(64), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("rule_version", String(32), nullable=False),
    Column("topic", String(64), nullable=False, index=True),
    Column("indicator", String(16), nullable=False),
    Column("suggestion_uuids", JSON, nullable=False),
    Column("override_codes", JSON, nullable=False),
)
"""A card handed to a CDS client, so that feedback can be tied to its rule and topic."""

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("service", String(64), nullable=False),
    Column("card_uuid", String(36), ForeignKey("cards.uuid"), nullable=False, index=True),
    Column("topic", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("override_reason_system", String(255)),
    Column("override_reason_code", String(64)),
    Column("has_user_comment", Boolean, nullable=False),
    Column("outcome_timestamp", DateTime(timezone=True), nullable=False),
)
"""A clinician's outcome for a card: accepted (which suggestions) or overridden (with which reason)."""

seen_tokens = Table(
    "seen_tokens",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)
"""A JWT id already used, kept until the token expires (replay protection shared by every replica)."""
