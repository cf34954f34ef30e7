"""A rule condition evaluated in plain Python: whether it holds for a patient's facts, and why.

The evaluator compiles each rule's condition once (:func:`predicate`, :func:`explainer`) to cross-check the
safety rules durable-rules fires, to decide escalations, and to explain a finding: which tests held, with
the patient's values, in sentences a clinician reads.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from engine.conditions import OPERATOR_WORDS, AllOf, Concluded, FactTest, Node
from engine.facts import fact_label, fact_unit

Conclusions = Mapping[str, tuple[str, ...]]
"""Conclusion name -> the rules that asserted it."""

Predicate = Callable[[Mapping[str, Any], Conclusions], bool]
"""Whether a condition holds, given the facts and the conclusions (conclusion name -> rules behind it)."""

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "is": operator.eq,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def predicate(node: Node, params: Mapping[str, float]) -> Predicate:
    """``node`` with its thresholds bound, as a function that decides whether it holds exactly as
    :func:`explain` does, without building the reasons (for the checks that are made on every evaluation)."""
    if isinstance(node, FactTest):
        fact, compare, expected = node.fact, _COMPARE[node.op], node.threshold(params)

        def test(facts: Mapping[str, Any], _conclusions: Mapping[str, tuple[str, ...]]) -> bool:
            actual = facts.get(fact)
            return actual is not None and bool(compare(actual, expected))

        return test
    if isinstance(node, Concluded):
        name = node.name
        return lambda _facts, conclusions: bool(conclusions.get(name))
    children = tuple(predicate(child, params) for child in node.children)
    if isinstance(node, AllOf):
        return lambda facts, conclusions: all(p(facts, conclusions) for p in children)
    return lambda facts, conclusions: any(p(facts, conclusions) for p in children)


@dataclass(frozen=True)
class Reason:
    """One test that held for a finding: a fact and its value, or a conclusion and the rules behind it."""

    kind: Literal["fact", "conclusion"]
    name: str
    label: str
    value: bool | float | str | None
    operator: str | None
    threshold: bool | float | str | None
    unit: str | None
    text: str
    by: tuple[str, ...] = ()


def _number(value: float) -> str:
    return f"{value:g}"


def describe(test: FactTest, value: Any, params: Mapping[str, float]) -> Reason:
    """A :class:`Reason` for a fact test that held, with a sentence a clinician can read."""
    label = fact_label(test.fact)
    unit = fact_unit(test.fact)
    threshold = test.threshold(params)
    if test.op == "is":
        text = label if threshold else f"Not: {label[0].lower()}{label[1:]}"
    elif test.op in ("eq", "ne"):
        text = f"{label} {OPERATOR_WORDS[test.op]} {threshold}"
    else:
        u = f" {unit}" if unit else ""
        text = f"{label}: {_number(value)}{u} ({OPERATOR_WORDS[test.op]} {_number(float(threshold))}{u})"
    return Reason("fact", test.fact, label, value, test.op, threshold, unit, text)


Explainer = Callable[[Mapping[str, Any], Conclusions], tuple[bool, list[Reason]]]
"""Whether a condition holds, given the facts and the conclusions, and when it does, the reasons."""


def explain(
    node: Node,
    facts: Mapping[str, Any],
    conclusions: Mapping[str, tuple[str, ...]],
    params: Mapping[str, float],
) -> tuple[bool, list[Reason]]:
    """Evaluate ``node`` in plain Python; when it holds, return the reasons (every branch that held)."""
    return explainer(node, params)(facts, conclusions)


def explainer(node: Node, params: Mapping[str, float]) -> Explainer:
    """:func:`explain` for ``node`` with its thresholds bound and its fixed texts written once, to be
    called on every evaluation."""
    if isinstance(node, FactTest):
        return _test_explainer(node, params)
    if isinstance(node, Concluded):
        name = node.name
        title = name.replace("-", " ").capitalize()

        def concluded(_facts: Mapping[str, Any], conclusions: Conclusions) -> tuple[bool, list[Reason]]:
            by = conclusions.get(name, ())
            if by:
                text = f"{title} (by rule {', '.join(by)})"
                return True, [Reason("conclusion", name, name, True, None, None, None, text, by)]
            return False, []

        return concluded
    children = tuple(explainer(child, params) for child in node.children)
    if isinstance(node, AllOf):

        def every(facts: Mapping[str, Any], conclusions: Conclusions) -> tuple[bool, list[Reason]]:
            reasons: list[Reason] = []
            for child in children:
                ok, more = child(facts, conclusions)
                if not ok:
                    return False, []
                reasons += more
            return True, reasons

        return every

    def some(facts: Mapping[str, Any], conclusions: Conclusions) -> tuple[bool, list[Reason]]:
        held: list[Reason] = []
        for child in children:
            ok, reasons = child(facts, conclusions)
            if ok:
                held += reasons
        return bool(held), held

    return some


def _test_explainer(test: FactTest, params: Mapping[str, float]) -> Explainer:
    holds = predicate(test, params)
    fact, threshold = test.fact, test.threshold(params)
    # When an 'is' or 'eq' test holds, the value is the threshold: its reason is always the same one.
    fixed = describe(test, threshold, params) if test.op in ("is", "eq") else None

    def explain_test(facts: Mapping[str, Any], conclusions: Conclusions) -> tuple[bool, list[Reason]]:
        if not holds(facts, conclusions):
            return False, []
        value = facts.get(fact)
        if fixed is not None and type(value) is type(threshold):
            return True, [fixed]
        return True, [describe(test, value, params)]

    return explain_test
