"""Retention: ``clinrules db prune`` removes evaluations older than the setting, with their cards and the
feedback on them, and expired token ids; newer rows stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, update

from service.audit import AuditStore, IssuedCard, Outcome, StoredCard
from service.audit.migrate import upgrade
from service.audit.tables import cards, evaluations, feedback, seen_tokens
from service.cli import app as cli
from service.database import make_engine


def _evaluation(store: AuditStore, card_uuid: str) -> str:
    card = IssuedCard(card_uuid, "iris-risk", "1.0.0", "iris-risk", "warning", [], ["not-relevant"])
    evaluation_id = store.record_evaluation(
        service="patient-view",
        hook="patient-view",
        hook_instance=card_uuid,
        ruleset_version="v",
        topics=["iris-risk"],
        latency_ms=1.0,
        patient_hash=None,
        cards=[card],
    )
    stored = StoredCard(card_uuid, "patient-view", "iris-risk", [], ["not-relevant"])
    store.record_feedback(
        "patient-view", [Outcome(stored, "accepted", [], None, None, False, datetime.now(UTC))]
    )
    return evaluation_id


def _age(engine: Engine, evaluation_id: str, days: int) -> None:
    with engine.begin() as conn:
        when = datetime.now(UTC) - timedelta(days=days)
        conn.execute(update(evaluations).where(evaluations.c.id == evaluation_id).values(created_at=when))


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_prune_keeps_the_retention_period(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    store = AuditStore(engine)
    old = _evaluation(store, "00000000-0000-4000-8000-000000000001")
    _evaluation(store, "00000000-0000-4000-8000-000000000002")
    _age(engine, old, 40)
    now = datetime.now(UTC)
    store.remember_token("y" * 64, now + timedelta(minutes=5), now)
    store.remember_token("x" * 64, now - timedelta(minutes=1), now - timedelta(hours=1))  # since expired

    monkeypatch.setenv("CLINRULES_DATABASE_URL", database_url)
    monkeypatch.setenv("CLINRULES_AUDIT_RETENTION_DAYS", "60")
    kept = CliRunner().invoke(cli, ["db", "prune"])
    assert kept.exit_code == 0, kept.output
    assert "removed 0 evaluations, 0 cards, 0 feedback, 1 expired token ids" in kept.output
    assert _count(engine, evaluations) == 2

    pruned = CliRunner().invoke(cli, ["db", "prune", "--days", "30"])
    assert pruned.exit_code == 0, pruned.output
    assert "removed 1 evaluations, 1 cards, 1 feedback, 0 expired token ids" in pruned.output
    with engine.connect() as conn:
        assert old not in conn.execute(select(evaluations.c.id)).scalars().all()
        assert conn.execute(select(cards.c.uuid)).scalars().all() == ["00000000-0000-4000-8000-000000000002"]
        assert conn.execute(select(feedback.c.card_uuid)).scalars().all() == [
            "00000000-0000-4000-8000-000000000002"
        ]
        assert conn.execute(select(seen_tokens.c.key)).scalars().all() == ["y" * 64]
    engine.dispose()


def test_prune_refuses_a_database_it_does_not_know(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty.db").touch()  # an empty SQLite database (a missing file is exit 2)
    monkeypatch.setenv("CLINRULES_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    result = CliRunner().invoke(cli, ["db", "prune"])
    assert result.exit_code == 1 and "clinrules db upgrade" in result.output
