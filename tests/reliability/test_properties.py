"""Property tests over random valid scenarios and random facts: safety, determinism, and a differential
check of durable-rules against an independent evaluation of the same YAML conditions (``oracle.py``)."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import conditions
from engine.conditions import AllOf, Concluded, FactTest, Node, to_dnf
from engine.evaluator import Evaluator
from engine.explain import Reason, describe, explainer, predicate
from engine.facts import PatientFacts
from engine.knowledge import load_knowledge_base
from engine.scenario import Scenario
from tests.reliability.clinical_mix import JSON
from tests.reliability.conftest import RELIABILITY
from tests.reliability.invariants import check_safety
from tests.reliability.oracle import RawRule, expected_indicator, fired_rules
from tests.reliability.scenario_gen import mixed_scenario

scenarios = st.randoms(use_true_random=False).map(lambda rnd: mixed_scenario(rnd, "patient"))


def _thresholds() -> dict[str, list[float]]:
    """Every numeric threshold per fact, from the rule files: the values the facts are drawn around."""
    kb = load_knowledge_base()
    found: dict[str, set[float]] = {}
    for rule in kb.active_rules:
        params = kb.params(rule.id)
        for tests, _ in to_dnf(rule.condition):
            for t in tests:
                if t.op in ("lt", "lte", "gt", "gte"):
                    found.setdefault(t.fact, set()).add(float(t.threshold(params)))
    return {k: sorted(v) for k, v in found.items()}


THRESHOLDS = _thresholds()


def _number_strategy(name: str, integral: bool) -> st.SearchStrategy[Any]:
    near: list[float] = []
    for t in THRESHOLDS.get(name, [50.0]):
        near += [t - 1, t, t + 1] if integral else [t - 1, t - 0.01, t, t + 0.01, t + 1]
    if integral:
        return st.none() | st.sampled_from([int(x) for x in near if x >= 0]) | st.integers(0, 5000)
    return (
        st.none()
        | st.sampled_from([round(x, 2) for x in near if x >= 0])
        | st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
    )


def _facts_strategy() -> st.SearchStrategy[PatientFacts]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in PatientFacts.model_fields.items():
        annotation = str(info.annotation)
        if "bool" in annotation:
            fields[name] = st.booleans()
        elif "int" in annotation:
            fields[name] = _number_strategy(name, integral=True)
        elif "float" in annotation:
            fields[name] = _number_strategy(name, integral=False)
        else:
            fields[name] = st.sampled_from(["female", "male", "other", "unknown"])
    return st.fixed_dictionaries(fields).map(lambda d: PatientFacts(**d))


facts_strategy = _facts_strategy()


@settings(RELIABILITY, max_examples=300)
@given(data=scenarios)
def test_safety_invariants_hold_for_random_scenarios(data: JSON, evaluator: Evaluator) -> None:
    check_safety(data, evaluator.evaluate(Scenario.model_validate(data)))


@settings(RELIABILITY, max_examples=150)
@given(data=scenarios)
def test_same_scenario_gives_the_same_findings(data: JSON, evaluator: Evaluator) -> None:
    first = evaluator.evaluate(Scenario.model_validate(data)).model_dump()
    # Another patient in between must not change anything.
    evaluator.evaluate(Scenario.model_validate(mixed_scenario(random.Random(len(str(data))), "other")))
    second = evaluator.evaluate(Scenario.model_validate(data)).model_dump()
    assert first == second


@settings(RELIABILITY, max_examples=300)
@given(data=scenarios)
def test_durable_rules_agree_with_the_oracle_on_derived_facts(
    data: JSON, evaluator: Evaluator, raw_rules: dict[str, RawRule]
) -> None:
    evaluation = evaluator.evaluate(Scenario.model_validate(data))
    values = evaluation.facts.model_dump()
    expected = fired_rules(raw_rules, values)
    assert set(evaluator.fired_rule_ids(evaluation.facts)) == expected
    assert {f.rule_id for f in evaluation.findings} == expected
    for finding in evaluation.findings:
        assert finding.indicator.value == expected_indicator(raw_rules[finding.rule_id], values)


@settings(RELIABILITY, max_examples=600)
@given(facts=facts_strategy)
def test_durable_rules_agree_with_the_oracle_on_any_facts(
    facts: PatientFacts, evaluator: Evaluator, raw_rules: dict[str, RawRule]
) -> None:
    # Facts no scenario may produce, with numbers on and around every threshold: durable-rules alone.
    expected = fired_rules(raw_rules, facts.model_dump())
    fired = evaluator.runtime.evaluate(facts.model_dump())
    assert {f.rule_id for f in fired} == expected
    assert {f.rule_id for f in evaluator.evaluate_facts(facts)} == expected


def test_the_generators_reach_every_rule(evaluator: Evaluator) -> None:
    # The properties mean little if the random scenarios never make a rule fire.
    rnd = random.Random(11)
    seen: set[str] = set()
    for i in range(1500):
        seen |= {
            f.rule_id
            for f in evaluator.evaluate(Scenario.model_validate(mixed_scenario(rnd, str(i)))).findings
        }
    assert seen == {r.id for r in evaluator.kb.active_rules}


def test_the_oracle_sees_every_active_rule(evaluator: Evaluator, raw_rules: dict[str, RawRule]) -> None:
    assert set(raw_rules) == {r.id for r in evaluator.kb.active_rules}


def _reference_explain(
    node: Node, facts: dict[str, Any], conclusions: dict[str, tuple[str, ...]], params: dict[str, float]
) -> tuple[bool, list[Reason]]:
    """The plain recursive reading of a condition, as the engine once evaluated it on every call."""
    if isinstance(node, FactTest):
        if conditions.test_holds(node, facts, params):
            return True, [describe(node, facts.get(node.fact), params)]
        return False, []
    if isinstance(node, Concluded):
        by = conclusions.get(node.name, ())
        if by:
            text = f"{node.name.replace('-', ' ').capitalize()} (by rule {', '.join(by)})"
            return True, [Reason("conclusion", node.name, node.name, True, None, None, None, text, by)]
        return False, []
    results = [_reference_explain(child, facts, conclusions, params) for child in node.children]
    if isinstance(node, AllOf):
        if all(ok for ok, _ in results):
            return True, [r for _, reasons in results for r in reasons]
        return False, []
    held = [r for ok, reasons in results if ok for r in reasons]
    return bool(held), held


_CONCLUSIONS = sorted({c for r in load_knowledge_base().evaluated_rules for c in r.concludes})


@settings(RELIABILITY, max_examples=400)
@given(
    facts=facts_strategy,
    concluded=st.dictionaries(
        st.sampled_from(_CONCLUSIONS), st.lists(st.sampled_from(["rule-a", "rule-b"]), max_size=2).map(tuple)
    ),
)
def test_compiled_conditions_agree_with_the_plain_reading(
    facts: PatientFacts, concluded: dict[str, tuple[str, ...]], evaluator: Evaluator
) -> None:
    # The evaluator compiles each condition once (engine.conditions.predicate / explainer) for the safety
    # cross-check, escalations and explanations: they must say what the plain recursive reading says.
    values = facts.model_dump()
    for rule in evaluator.kb.evaluated_rules:
        params = evaluator.kb.params(rule.id)
        for node in (rule.condition, *(n for _, n in rule.escalations)):
            expected = _reference_explain(node, values, concluded, params)
            assert explainer(node, params)(values, concluded) == expected, rule.id
            assert predicate(node, params)(values, concluded) is expected[0], rule.id
