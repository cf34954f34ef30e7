"""A card the EHR reported more than once counts once in the analytics, as its latest feedback says
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from engine.knowledge import load_knowledge_base
from service.analytics.report import build_report
from service.audit import AuditStore, IssuedCard, Outcome, StoredCard
from service.audit.migrate import upgrade
from service.database import make_engine
from tests.analytics.seed import rules_dir

REASONS = "urn:clinrules:override-reason"


def test_each_card_counts_once_by_its_latest_feedback(database_url: str, tmp_path: Path) -> None:
    rules = rules_dir(tmp_path)
    kb = load_knowledge_base(rules)
    engine = make_engine(database_url)
    upgrade(engine)
    store = AuditStore(engine)
    a, b = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
    at = datetime(2026, 11, 24, 10, tzinfo=UTC)
    for uuid in (a, b):
        store.record_evaluation(
            service="patient-view", hook="patient-view", hook_instance=None, ruleset_version=kb.version,
            topics=["low-cd4"], latency_ms=1.0, patient_hash=None,
            cards=[IssuedCard(uuid, "low-cd4", "1.0.0", "low-cd4", "warning", [], [])], at=at,
        )  # fmt: skip
    # Card A overridden twice, with another reason the second time; card B accepted, then overridden.
    for uuid, outcome, code in [
        (a, "overridden", "already-monitored"),
        (a, "overridden", "data-incorrect"),
        (b, "accepted", None),
        (b, "overridden", "already-monitored"),
    ]:
        card = StoredCard(uuid, "patient-view", "low-cd4", [], [])
        system = REASONS if code else None
        store.record_feedback("patient-view", [Outcome(card, outcome, [], system, code, False, at)])
    store.close()
    try:
        rows = [r for r in build_report(engine, kb).rows if r.topic == "low-cd4"]
    finally:
        engine.dispose()
    assert [(r.cards, r.accepted, r.overridden, r.override_reasons) for r in rows] == [
        (2, 0, 2, {"already-monitored": 1, "data-incorrect": 1})
    ]
