"""The audit schema of release 0.1.0, which SQLAlchemy's create_all made before Alembic owned it.

A database made by that release has these tables and no ``alembic_version``: start-up stamps it at this
revision (nothing to create) and upgrades it from here.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables of release 0.1.0."""
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("hook", sa.String(64)),
        sa.Column("hook_instance", sa.String(64)),
        sa.Column("ruleset_version", sa.String(64), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("card_count", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("patient_hash", sa.String(64)),
    )
    for column in ("created_at", "hook_instance", "patient_hash"):
        op.create_index(f"ix_evaluations_{column}", "evaluations", [column])
    op.create_table(
        "seen_tokens",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_tokens_expires_at", "seen_tokens", ["expires_at"])
    op.create_table(
        "cards",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("evaluation_id", sa.String(36), sa.ForeignKey("evaluations.id"), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("indicator", sa.String(16), nullable=False),
        sa.Column("suggestion_uuids", sa.JSON, nullable=False),
        sa.Column("override_codes", sa.JSON, nullable=False),
    )
    op.create_index("ix_cards_evaluation_id", "cards", ["evaluation_id"])
    op.create_index("ix_cards_topic", "cards", ["topic"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("card_uuid", sa.String(36), sa.ForeignKey("cards.uuid"), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON, nullable=False),
        sa.Column("override_reason_system", sa.String(255)),
        sa.Column("override_reason_code", sa.String(64)),
        sa.Column("has_user_comment", sa.Boolean, nullable=False),
        sa.Column("outcome_timestamp", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_card_uuid", "feedback", ["card_uuid"])


def downgrade() -> None:
    """Drop every table."""
    for table in ("feedback", "cards", "seen_tokens", "evaluations"):
        op.drop_table(table)
