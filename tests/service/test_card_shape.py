"""Cards are built as plain JSON: each must be exactly what the CDS Hooks ``Card`` model describes.

The service builds card dicts directly (no model per card and field). Over a few hundred generated patients,
every card it would answer with validates as :class:`service.cds.models.Card`, and dumping that model gives
the same JSON back: no member the model lacks, none of the wrong type, none dropped, none empty.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from engine.evaluator import Evaluator
from engine.knowledge import KnowledgeBase, load_knowledge_base
from engine.validation import parse_scenario
from service.cds.cards import _prune, cards_for, data_quality_card, issued
from service.cds.models import Card
from tests.reliability.scenario_gen import scenario_batch

BASE = "https://cds.example.org"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(None)


def _draft_orders(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario's draft medications as the EHR's draft MedicationRequests (named by ingredient)."""
    return [
        {
            "resourceType": "MedicationRequest",
            "id": f"draft-{i}",
            "status": "draft",
            "intent": "order",
            "medicationCodeableConcept": {"text": med["ingredient"]},
        }
        for i, med in enumerate(scenario.get("medications", []))
        if med.get("status") == "draft"
    ]


def _model_json(card: dict[str, Any]) -> Any:
    return _prune(Card.model_validate(card).model_dump(mode="json", exclude_none=True))


def test_every_card_is_exactly_the_card_model(kb: KnowledgeBase) -> None:
    evaluator = Evaluator(kb)
    seen: set[str] = set()
    for data in scenario_batch(300, seed=12):
        scenario = parse_scenario(data)
        at = datetime.fromisoformat(data["evaluation_time"].replace("Z", "+00:00"))
        findings = evaluator.evaluate(scenario, at=at).findings
        for finding, card in cards_for(findings, BASE, _draft_orders(data), kb.value_sets):
            assert _model_json(card) == card
            assert card["source"]["topic"]["code"] == finding.topic
            assert card["source"]["url"] == f"{BASE}/ui#rule-{finding.rule_id}"
            kept = issued(card, finding)
            assert kept.uuid == card["uuid"] and kept.indicator == card["indicator"]
            assert kept.suggestion_uuids == [s["uuid"] for s in card.get("suggestions", [])]
            assert kept.override_codes == [r["code"] for r in card.get("overrideReasons", [])]
            seen |= {key for key in ("suggestions", "links", "overrideReasons") if key in card}
            if any("actions" in s for s in card.get("suggestions", [])):
                seen.add("actions")
    # The patients exercised every optional part of a card.
    assert seen == {"suggestions", "links", "overrideReasons", "actions"}


def test_cards_come_most_urgent_first(kb: KnowledgeBase) -> None:
    evaluator = Evaluator(kb)
    rank = {"critical": 0, "warning": 1, "info": 2}
    mixed = 0
    for data in scenario_batch(300, seed=13):
        at = datetime.fromisoformat(data["evaluation_time"].replace("Z", "+00:00"))
        findings = evaluator.evaluate(parse_scenario(data), at=at).findings
        levels = [rank[c["indicator"]] for _, c in cards_for(findings, BASE, [], kb.value_sets)]
        assert levels == sorted(levels)
        mixed += len(set(levels)) > 1
    assert mixed > 0


def test_data_quality_card_is_a_card_without_uuid() -> None:
    notes = [f"Observation/o{i}: unit 'mg' cannot be converted for cd4; left out" for i in range(25)]
    card = data_quality_card(notes, BASE)
    assert card is not None
    assert _model_json(card) == card
    assert "uuid" not in card and card["indicator"] == "info"
    assert card["detail"].endswith("- … and 5 more")
    assert data_quality_card([], BASE) is None
