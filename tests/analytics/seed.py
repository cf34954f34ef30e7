"""A seeded audit database for the analytics tests, and the counts expected from it, made by hand.

A small rule set (two active rules, one shadow rule) and eleven evaluations written through
:class:`AuditStore` over four ISO weeks and two rule-set versions: ``OLD`` (a rule set since replaced) and
the version of the rule set in force. The expectations below were counted from the list, not computed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from engine.knowledge import load_knowledge_base
from service.audit import AuditStore, IssuedCard, Outcome, StoredCard
from service.audit.migrate import upgrade
from service.database import make_engine
from tests.kb_factory import make_kb_dir, rule

OLD = "0123456789ab"
SINCE = date(2026, 11, 16)
CLIENT_SYSTEM = "http://ehr.example.org/override-reasons"

RULES = [
    rule("low-cd4", {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 100}]}),
    rule("pregnant-thal", {"fact": "pregnant", "is": True}, indicator="critical"),
    rule("low-cd4-200", {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 200}]},
         status="shadow"),
]  # fmt: skip


def rules_dir(tmp: Path) -> Path:
    """The seed's rule set, written under ``tmp``."""
    return make_kb_dir(tmp, RULES)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def seed(database_url: str, rules: Path) -> str:
    """Write the seed into the (empty) database; return the version of the rule set in force."""
    now = load_knowledge_base(rules).version
    engine = make_engine(database_url)
    upgrade(engine)
    store = AuditStore(engine)
    # (time, version, service, topics shown, shadow topics, cards: {card uuid: topic})
    evaluations: list[tuple[str, str, str, list[str], list[str], dict[str, str]]] = [
        ("2026-11-02T08:00", OLD, "patient-view", ["low-cd4"], [], {"c0": "low-cd4"}),  # W45, before SINCE
        ("2026-11-16T09:00", OLD, "patient-view", ["low-cd4"], [], {"c1": "low-cd4"}),  # W47
        ("2026-11-17T14:00", OLD, "evaluate", ["low-cd4", "pregnant-thal"], [], {}),
        ("2026-11-22T23:30", OLD, "patient-view", [], [], {}),
        ("2026-11-23T00:10", now, "patient-view", ["low-cd4"], ["low-cd4-200"], {"c2": "low-cd4"}),  # W48
        ("2026-11-24T10:00", now, "order-sign", ["pregnant-thal", "low-cd4"], ["low-cd4-200"],
         {"c3": "pregnant-thal", "c4": "low-cd4"}),
        ("2026-11-25T11:00", now, "evaluate", [], ["low-cd4-200"], {}),
        ("2026-11-26T12:00", now, "patient-view", [], [], {}),
        ("2026-11-27T13:00", now, "patient-view", ["low-cd4"], [], {"c5": "low-cd4"}),
        ("2026-11-30T07:00", now, "patient-view", [], ["low-cd4-200"], {}),  # W49
        ("2026-12-01T07:00", now, "evaluate", ["pregnant-thal"], [], {}),
    ]  # fmt: skip
    for when, version, service, topics, shadow, cards in evaluations:
        store.record_evaluation(
            service=service,
            hook=None if service == "evaluate" else service,
            hook_instance=None,
            ruleset_version=version,
            topics=topics,
            latency_ms=1.0,
            patient_hash=None,
            cards=[_card(uuid, topic) for uuid, topic in cards.items()],
            finding_count=len(topics),
            shadow_topics=shadow,
            at=_at(when),
        )
    # (card, outcome, reason system, reason code)
    feedback = [
        ("c0", "accepted", None, None),
        ("c1", "overridden", None, "already-monitored"),
        ("c2", "overridden", None, "not-relevant"),
        ("c2", "overridden", None, "not-relevant"),  # the EHR sent it twice: one card all the same
        ("c3", "accepted", None, None),
        ("c4", "overridden", CLIENT_SYSTEM, "dismissed"),
        ("c5", "overridden", None, None),
    ]
    for uuid, outcome, system, code in feedback:
        card = StoredCard(_uuid(uuid), "patient-view", "", [], [])
        store.record_feedback(
            "patient-view",
            [Outcome(card, outcome, [], system or ("urn:clinrules:override-reason" if code else None), code,
                     False, _at("2026-12-01T08:00"))],
        )  # fmt: skip
    store.close()
    engine.dispose()
    return now


def _uuid(name: str) -> str:
    return f"00000000-0000-4000-8000-{int(name[1:]):012d}"


def _card(name: str, topic: str) -> IssuedCard:
    return IssuedCard(_uuid(name), topic, "1.0.0", topic, "warning", [], [])


def expected_rows(now: str, since: bool = True) -> list[dict[str, Any]]:
    """The report's rows, counted by hand from the seed (``since``: from SINCE, else all)."""

    def row(week: str, version: str, topic: str, evaluations: int, **counts: Any) -> dict[str, Any]:
        status = "shadow" if topic == "low-cd4-200" else "active"
        base = {"week": week, "ruleset_version": version, "topic": topic, "rule_id": topic,
                "status": status, "evaluations": evaluations, "firings": 0, "shadow_firings": 0,
                "cards": 0, "accepted": 0, "overridden": 0, "override_reasons": {}}  # fmt: skip
        return base | counts

    w45 = [row("2026-W45", OLD, "low-cd4", 1, firings=1, cards=1, accepted=1)]
    rows = [
        row("2026-W47", OLD, "low-cd4", 3, firings=2, cards=1, overridden=1,
            override_reasons={"already-monitored": 1}),
        row("2026-W47", OLD, "pregnant-thal", 3, firings=1),
        row("2026-W48", now, "low-cd4", 5, firings=3, cards=3, overridden=3,
            override_reasons={"(no reason given)": 1, f"{CLIENT_SYSTEM}|dismissed": 1, "not-relevant": 1}),
        row("2026-W48", now, "low-cd4-200", 5, shadow_firings=3),
        row("2026-W48", now, "pregnant-thal", 5, firings=1, cards=1, accepted=1),
        row("2026-W49", now, "low-cd4", 2),
        row("2026-W49", now, "low-cd4-200", 2, shadow_firings=1),
        row("2026-W49", now, "pregnant-thal", 2, firings=1),
    ]  # fmt: skip
    return rows if since else w45 + rows


RATES = {  # (week, topic): (firing rate, shadow firing rate), from the rows above
    ("2026-W47", "low-cd4"): (0.6667, 0.0),
    ("2026-W47", "pregnant-thal"): (0.3333, 0.0),
    ("2026-W48", "low-cd4"): (0.6, 0.0),
    ("2026-W48", "low-cd4-200"): (0.0, 0.6),
    ("2026-W48", "pregnant-thal"): (0.2, 0.0),
    ("2026-W49", "low-cd4"): (0.0, 0.0),
    ("2026-W49", "low-cd4-200"): (0.0, 0.5),
    ("2026-W49", "pregnant-thal"): (0.5, 0.0),
}
