"""Mutant generation from rule data, mutant knowledge bases, and the equivalents file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import KnowledgeBaseError
from engine.evaluator import Evaluator
from engine.facts import PatientFacts
from engine.knowledge import load_knowledge_base
from engine.mutation.build import generate_mutants, mutant_knowledge_base
from engine.mutation.equivalents import equivalent_for, load_equivalents
from engine.mutation.mutants import Mutant, rule_mutants
from tests.kb_factory import make_kb_dir, rule

HIV = "HIV infection recorded, or a detectable HIV-1 RNA result"
STARTING = "Starting antiretroviral therapy now (ordered while no course is current: first start or restart)"

RISK_WHEN = {
    "all": [
        {"fact": "hiv", "is": True},
        {"any": [{"fact": "art_starting_now", "is": True}, {"fact": "art_days", "lte": {"param": "days"}}]},
        {"fact": "baseline_cd4", "lt": {"param": "cd4"}},
    ]
}
PARAMS = {
    "cd4": {"value": 100, "unit": "cells/µL", "min": 0, "max": 100, "description": "CD4 below (at its max)"},
    "days": {"value": 0.5, "min": 0, "max": 365, "description": "a decimal default"},
}


def risk_rule(**extra: Any) -> dict[str, Any]:
    return rule("risk", RISK_WHEN, parameters=PARAMS, **extra)


def by_kind(mutants: list[Mutant], kind: str) -> list[Mutant]:
    return [m for m in mutants if m.kind == kind]


def test_thresholds_move_one_natural_step_inside_their_range() -> None:
    moved = {m.target for m in by_kind(rule_mutants(risk_rule()), "threshold")}
    # 100 is the parameter's maximum: only the step down; 0.5 moves by its last decimal place.
    assert moved == {"cd4 100 → 99", "days 0.5 → 0.6", "days 0.5 → 0.4"}


def test_literal_thresholds_move_too() -> None:
    data = rule("old", {"all": [{"fact": "age_years", "gte": 65}, {"fact": "poems", "is": True}]})
    moved = {m.target for m in by_kind(rule_mutants(data), "threshold")}
    assert moved == {"age_years gte 65 → 66", "age_years gte 65 → 64"}


def test_comparisons_flip_to_their_neighbour() -> None:
    flips = by_kind(rule_mutants(risk_rule()), "comparison")
    assert {m.where for m in flips} == {"when.all.1.any.1.lte", "when.all.2.lt"}
    outer = next(m for m in flips if m.where == "when.all.2.lt")
    assert outer.data["when"]["all"][2] == {"fact": "baseline_cd4", "lte": {"param": "cd4"}}
    inner = next(m for m in flips if m.where == "when.all.1.any.1.lte")
    assert inner.data["when"]["all"][1]["any"][1] == {"fact": "art_days", "lt": {"param": "days"}}


def test_each_clause_of_an_all_and_each_branch_of_an_any_is_deleted_once() -> None:
    mutants = rule_mutants(risk_rule())
    clauses = by_kind(mutants, "clause-deleted")
    branches = by_kind(mutants, "branch-deleted")
    assert len(clauses) == 3 and len(branches) == 2
    without_hiv = next(m for m in clauses if m.target == "hiv is true")
    assert without_hiv.title == f"risk: without '{HIV}'"
    assert len(without_hiv.data["when"]["all"]) == 2
    assert all(c != {"fact": "hiv", "is": True} for c in without_hiv.data["when"]["all"])
    # The original data is never changed by making a mutant.
    assert len(risk_rule()["when"]["all"]) == 3


def test_is_flips_and_words_a_negation_as_a_clinician_reads_it() -> None:
    data = rule("x", {"all": [{"fact": "hiv", "is": True}, {"fact": "tb_meningitis", "is": False}]})
    flips = by_kind(rule_mutants(data), "is-flipped")
    assert [m.data["when"]["all"][i]["is"] for i, m in enumerate(flips)] == [False, True]
    deleted = by_kind(rule_mutants(data), "clause-deleted")[1]
    assert deleted.change == "without 'not: tuberculous meningitis'"


def test_indicator_lowered_to_each_lower_level_escalations_and_conclusions_removed() -> None:
    data = rule(
        "tera",
        {"fact": "thalidomide_class_medication", "is": True},
        indicator="critical",
        concludes=["thalidomide-proposed"],
        escalate=[{"indicator": "critical", "when": {"fact": "reproductive_potential", "is": True}}],
    )
    mutants = rule_mutants(data)
    assert [m.data["indicator"] for m in by_kind(mutants, "indicator-lowered")] == ["warning", "info"]
    (escalation,) = by_kind(mutants, "escalation-removed")
    assert escalation.data["escalate"] == []
    assert escalation.change == "no escalation to critical when 'Reproductive potential'"
    (conclusion,) = by_kind(mutants, "conclusion-removed")
    assert conclusion.data["concludes"] == []
    # The escalation's own condition is mutated like the rule's.
    assert any(m.where == "escalate.0.when.is" for m in by_kind(mutants, "is-flipped"))
    # A lone fact test has no clause to delete; an info rule has no lower indicator.
    assert not by_kind(mutants, "clause-deleted")
    assert not by_kind(
        rule_mutants(rule("low", {"fact": "hiv", "is": True}, indicator="info")), "indicator-lowered"
    )


def test_mutants_come_from_active_rules_only(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [risk_rule(), rule("off", {"fact": "hiv", "is": True}, status="draft")])
    kb = load_knowledge_base(root)
    assert {m.rule_id for m in generate_mutants(kb)} == {"risk"}
    assert generate_mutants(kb, ["off"]) == []


def test_a_mutant_the_loader_refuses_raises(tmp_path: Path) -> None:
    proposer = rule(
        "proposer", {"fact": "poems", "is": True}, concludes=["thalidomide-proposed"], indicator="info"
    )
    safety = rule(
        "safety", {"all": [{"concluded": "thalidomide-proposed"}, {"fact": "pregnant", "is": True}]}
    )
    single = rule("single", {"all": [{"fact": "hiv", "is": True}]})
    kb = load_knowledge_base(make_kb_dir(tmp_path, [proposer, safety, single]))
    mutants = generate_mutants(kb)
    no_conclusion = next(m for m in mutants if m.kind == "conclusion-removed")
    with pytest.raises(KnowledgeBaseError, match="no active rule concludes 'thalidomide-proposed'"):
        mutant_knowledge_base(kb, no_conclusion)
    empty_all = next(m for m in mutants if m.rule_id == "single" and m.kind == "clause-deleted")
    with pytest.raises(KnowledgeBaseError, match="non-empty list"):
        mutant_knowledge_base(kb, empty_all)


def test_mutant_engines_are_independent_of_each_other_and_of_the_original() -> None:
    kb = load_knowledge_base()
    without_hiv = next(
        m
        for m in generate_mutants(kb, ["il2-not-recommended"])
        if m.target == "hiv is true" and m.kind == "clause-deleted"
    )
    original = Evaluator(kb)
    mutant = Evaluator(mutant_knowledge_base(kb, without_hiv))
    il2_only = PatientFacts(il2_medication=True)
    for _ in range(3):  # alternate: one durable-rules ruleset per engine, none shared
        assert mutant.fired_rule_ids(il2_only) == ["il2-not-recommended"]
        assert original.fired_rule_ids(il2_only) == []
    assert kb.rules["il2-not-recommended"].condition != mutant.kb.rules["il2-not-recommended"].condition
    assert mutant.kb.version != kb.version


def test_equivalents_file_is_read_validated_and_not_a_rule(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [risk_rule()])
    version = load_knowledge_base(root).version
    (root / "mutation-equivalents.yaml").write_text(
        "equivalents:\n  - rule: risk\n    kind: clause-deleted\n    target: hiv is true\n"
        "    reason: every patient in this deployment has HIV\n",
        encoding="utf-8",
    )
    kb = load_knowledge_base(root)  # the loader skips it; the rule-set version ignores it
    assert kb.version == version
    entries = load_equivalents(root / "mutation-equivalents.yaml")
    marked = [m for m in generate_mutants(kb) if equivalent_for(m, entries)]
    assert [m.title for m in marked] == [f"risk: without '{HIV}'"]
    (root / "mutation-equivalents.yaml").write_text(
        "equivalents:\n  - {rule: risk, kind: deleted, target: x, reason: long enough reason}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError) as caught:
        load_equivalents(root / "mutation-equivalents.yaml")
    assert caught.value.field == "equivalents.0.kind" and "clause-deleted" in str(caught.value)
    assert load_equivalents(root / "missing.yaml") == []


def test_the_shipped_rules_give_every_kind_of_mutant() -> None:
    kinds = {m.kind for m in generate_mutants(load_knowledge_base())}
    assert kinds == {
        "threshold", "comparison", "clause-deleted", "branch-deleted", "is-flipped",
        "indicator-lowered", "escalation-removed", "conclusion-removed",
    }  # fmt: skip
