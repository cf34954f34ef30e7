"""Shadow findings on the evaluation row, and an index for pruning feedback by age.

``evaluations.shadow_topics`` holds the topic codes of findings from rules run in shadow (evaluated and
audited, never shown to the clinician); existing rows read as an empty list.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``evaluations.shadow_topics`` and ``ix_feedback_received_at``."""
    # A plain ADD COLUMN on both databases: existing rows read the default, no table is copied.
    op.add_column(
        "evaluations", sa.Column("shadow_topics", sa.JSON, nullable=True, server_default=sa.text("'[]'"))
    )
    op.create_index("ix_feedback_received_at", "feedback", ["received_at"])


def downgrade() -> None:
    """Remove them again."""
    op.drop_index("ix_feedback_received_at", "feedback")
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy of the table: dropping and renaming the copied
    # table would break the cards' foreign keys under ``PRAGMA foreign_keys=ON`` once any card exists.
    op.drop_column("evaluations", "shadow_topics")
