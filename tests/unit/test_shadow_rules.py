"""Shadow rules: evaluated with the active rules and kept apart, never shown, never changing what is shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.derive import Derivation
from engine.errors import KnowledgeBaseError
from engine.evaluator import Evaluator
from engine.facts import PatientFacts
from engine.knowledge import Status, load_knowledge_base
from engine.mutation.build import generate_mutants
from engine.scenario import Scenario
from service.schemas import EvaluateResponse
from tests.kb_factory import make_kb_dir, rule

LOW_CD4 = rule("low-cd4", {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 100}]})
PROPOSER = rule("proposer", {"fact": "poems", "is": True}, concludes=["thal"])
FOLLOWER = rule("follower", {"concluded": "thal"})
SHADOW_CD4 = rule(
    "low-cd4-200",
    {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 200}]},
    status="shadow",
)


def _evaluator(tmp_path: Path, *rules: dict[str, object]) -> Evaluator:
    return Evaluator(load_knowledge_base(make_kb_dir(tmp_path, list(rules))))


def test_a_shadow_rule_fires_apart_from_the_findings(tmp_path: Path) -> None:
    ev = _evaluator(tmp_path, LOW_CD4, SHADOW_CD4)
    scenario = Scenario.model_validate(
        {
            "patient": {"sex": "female"},
            "conditions": [{"code": "B20", "onset": "2025-01-01"}],
            "observations": [{"kind": "cd4", "time": "2026-05-01", "value": 150, "unit": "cells/uL"}],
        }
    )
    evaluation = ev.evaluate(scenario, datetime(2026, 6, 1, tzinfo=UTC))
    assert evaluation.findings == []
    assert evaluation.shadow_topics == ["low-cd4-200"]
    assert evaluation.shadow_findings[0].rule_id == "low-cd4-200"
    dumped = EvaluateResponse(**evaluation.model_dump(), input_format="scenario").model_dump_json()
    assert "low-cd4-200" not in dumped and "shadow" not in dumped
    assert "shadow" not in str(EvaluateResponse.model_json_schema())
    both = ev.evaluate(scenario.model_copy(update={"observations": []}), datetime(2026, 6, 1, tzinfo=UTC))
    assert both.shadow_topics == [] and both.findings == []


def test_an_active_and_a_shadow_rule_both_fire_for_the_same_patient(tmp_path: Path) -> None:
    ev = _evaluator(tmp_path, LOW_CD4, SHADOW_CD4)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(hiv=True, latest_cd4=50)))
    assert [f.rule_id for f in findings] == ["low-cd4"]
    assert [f.rule_id for f in shadow] == ["low-cd4-200"]


def test_a_shadow_rule_chains_on_an_active_rules_conclusion(tmp_path: Path) -> None:
    shadow_follower = rule("shadow-follower", {"concluded": "thal"}, status="shadow")
    ev = _evaluator(tmp_path, PROPOSER, FOLLOWER, shadow_follower)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(poems=True)))
    assert [f.rule_id for f in findings] == ["follower", "proposer"]
    assert [f.rule_id for f in shadow] == ["shadow-follower"]
    assert shadow[0].because[0].by == ["proposer"]


def test_a_shadow_conclusion_never_makes_an_active_rule_fire(tmp_path: Path) -> None:
    # Both an active and a shadow rule conclude "thal": the active follower rests on the active one only.
    shadow_proposer = rule(
        "shadow-proposer", {"fact": "hiv", "is": True}, concludes=["thal"], status="shadow"
    )
    ev = _evaluator(tmp_path, PROPOSER, FOLLOWER, shadow_proposer)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(hiv=True)))
    assert findings == [] and [f.rule_id for f in shadow] == ["shadow-proposer"]
    assert "follower" not in ev.fired_rule_ids(PatientFacts(hiv=True))
    findings, _ = ev.evaluate_all(Derivation(facts=PatientFacts(poems=True, hiv=True)))
    assert [f.rule_id for f in findings] == ["follower", "proposer"]
    assert findings[0].because[0].by == ["proposer"]


def test_an_active_rule_resting_only_on_a_shadow_rule_is_refused(tmp_path: Path) -> None:
    shadow_proposer = rule(
        "shadow-proposer", {"fact": "hiv", "is": True}, concludes=["thal"], status="shadow"
    )
    with pytest.raises(KnowledgeBaseError, match="cannot rest on a shadow rule"):
        load_knowledge_base(make_kb_dir(tmp_path, [FOLLOWER, shadow_proposer]))


def test_a_shadow_rule_may_not_share_an_evaluated_topic(tmp_path: Path) -> None:
    twin = rule("low-cd4-twin", {"fact": "hiv", "is": True}, topic="low-cd4", status="shadow")
    with pytest.raises(KnowledgeBaseError, match="topic 'low-cd4' is already used"):
        load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4, twin]))


def test_a_shadow_safety_rule_neither_suppresses_nor_replaces_the_active_one(tmp_path: Path) -> None:
    active = rule("pregnant-thal", {"fact": "pregnant", "is": True}, safety=True)
    candidate = rule("pregnant-thal-v2", {"fact": "pregnant", "is": True}, safety=True, status="shadow")
    ev = _evaluator(tmp_path, active, candidate)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(pregnant=True)))
    assert [f.rule_id for f in findings] == ["pregnant-thal"]
    assert [f.rule_id for f in shadow] == ["pregnant-thal-v2"]


def test_mutation_testing_mutates_active_rules_only(tmp_path: Path) -> None:
    kb = load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4, SHADOW_CD4]))
    assert kb.rules["low-cd4-200"].status is Status.shadow
    assert {m.rule_id for m in generate_mutants(kb)} == {"low-cd4"}
