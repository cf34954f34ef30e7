"""The rule condition language: a small boolean tree over derived facts and other rules' conclusions.

In YAML::

    when:
      all:
        - {fact: hiv, is: true}
        - any:
            - {fact: art_days, lte: {param: window_days}}
            - {fact: art_starting_now, is: true}
        - {fact: baseline_cd4, lt: {param: cd4_below}}
        - {concluded: thalidomide-proposed}

The same tree is compiled for durable-rules (:mod:`engine.compiler`) and evaluated here in plain Python to
explain a finding (which tests held, with the patient's values) and to check durable-rules independently.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, Literal

from engine.facts import FACT_NAMES, fact_kind, fact_label, fact_unit

Operator = Literal["is", "eq", "ne", "lt", "lte", "gt", "gte"]
OPERATORS: tuple[Operator, ...] = ("is", "eq", "ne", "lt", "lte", "gt", "gte")
NUMERIC_OPERATORS = frozenset({"lt", "lte", "gt", "gte"})
OPERATOR_WORDS = {
    "is": "is",
    "eq": "is",
    "ne": "is not",
    "lt": "below",
    "lte": "at most",
    "gt": "above",
    "gte": "at least",
}


class ConditionSyntaxError(ValueError):
    """A condition that does not parse; ``field`` is the dotted path inside the rule file."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class FactTest:
    """Compare one derived fact with a literal or a rule parameter."""

    fact: str
    op: Operator
    value: bool | float | str | None = None
    param: str | None = None

    def threshold(self, params: Mapping[str, float]) -> bool | float | str:
        """The value compared against: the literal, or the parameter's configured value."""
        if self.param is not None:
            return params[self.param]
        assert self.value is not None
        return self.value


@dataclass(frozen=True)
class Concluded:
    """Holds when another rule that fired asserted this conclusion (rule chaining)."""

    name: str


@dataclass(frozen=True)
class AllOf:
    """Every child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one child holds."""

    children: tuple[Node, ...]


Node = FactTest | Concluded | AllOf | AnyOf
Conjunction = tuple[tuple[FactTest, ...], tuple[Concluded, ...]]


def parse_condition(data: Any, where: str = "when") -> Node:
    """Parse the YAML form of a condition, raising :class:`ConditionSyntaxError` with the field path."""
    if not isinstance(data, dict):
        raise ConditionSyntaxError(where, "a condition is a mapping with all, any, fact or concluded")
    if "all" in data or "any" in data:
        key = "all" if "all" in data else "any"
        if set(data) != {key}:
            raise ConditionSyntaxError(
                where, f"'{key}' stands alone; unexpected keys {sorted(set(data) - {key})}"
            )
        items = data[key]
        if not isinstance(items, list) or not items:
            raise ConditionSyntaxError(f"{where}.{key}", "needs a non-empty list of conditions")
        children = tuple(parse_condition(item, f"{where}.{key}.{i}") for i, item in enumerate(items))
        return AllOf(children) if key == "all" else AnyOf(children)
    if "concluded" in data:
        if set(data) != {"concluded"} or not isinstance(data["concluded"], str):
            raise ConditionSyntaxError(f"{where}.concluded", "is a conclusion name and stands alone")
        return Concluded(data["concluded"])
    if "fact" not in data:
        raise ConditionSyntaxError(where, "a condition is a mapping with all, any, fact or concluded")
    fact = data["fact"]
    if fact not in FACT_NAMES:
        raise ConditionSyntaxError(f"{where}.fact", f"unknown fact '{fact}'")
    ops = [k for k in data if k != "fact"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise ConditionSyntaxError(where, f"needs exactly one operator of {', '.join(OPERATORS)}; got {ops}")
    op: Operator = ops[0]
    raw = data[op]
    kind = fact_kind(fact)
    path = f"{where}.{op}"
    if op == "is":
        if kind != "bool" or not isinstance(raw, bool):
            raise ConditionSyntaxError(
                path, f"'is' takes true or false, on a true/false fact ('{fact}' is {kind})"
            )
        return FactTest(fact, op, value=raw)
    if op in ("eq", "ne"):
        if kind != "text" or not isinstance(raw, str):
            raise ConditionSyntaxError(path, f"'{op}' compares a text fact with a text ('{fact}' is {kind})")
        return FactTest(fact, op, value=raw)
    if kind != "number":
        raise ConditionSyntaxError(path, f"'{op}' needs a numeric fact ('{fact}' is {kind})")
    if isinstance(raw, dict):
        if set(raw) != {"param"} or not isinstance(raw["param"], str):
            raise ConditionSyntaxError(path, "a threshold is a number or {param: name}")
        return FactTest(fact, op, param=raw["param"])
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ConditionSyntaxError(path, "a threshold is a number or {param: name}")
    return FactTest(fact, op, value=float(raw))


def walk(node: Node) -> list[FactTest | Concluded]:
    """Every leaf of the tree, in order."""
    if isinstance(node, AllOf | AnyOf):
        return [leaf for child in node.children for leaf in walk(child)]
    return [node]


def to_dnf(node: Node) -> list[Conjunction]:
    """The condition as a disjunction of conjunctions; each becomes one durable-rules rule."""
    if isinstance(node, FactTest):
        return [((node,), ())]
    if isinstance(node, Concluded):
        return [((), (node,))]
    if isinstance(node, AnyOf):
        return [conj for child in node.children for conj in to_dnf(child)]
    result: list[Conjunction] = []
    for combo in product(*(to_dnf(child) for child in node.children)):
        tests = tuple(t for conj in combo for t in conj[0])
        concluded = tuple(dict.fromkeys(c for conj in combo for c in conj[1]))
        result.append((tests, concluded))
    return result


def test_holds(test: FactTest, facts: Mapping[str, Any], params: Mapping[str, float]) -> bool:
    """Evaluate one fact test in plain Python as durable-rules does (an unknown value never matches)."""
    actual = facts.get(test.fact)
    if actual is None:
        return False
    expected = test.threshold(params)
    match test.op:
        case "is" | "eq":
            return bool(actual == expected)
        case "ne":
            return bool(actual != expected)
        case "lt":
            return bool(actual < expected)
        case "lte":
            return bool(actual <= expected)
        case "gt":
            return bool(actual > expected)
        case "gte":
            return bool(actual >= expected)
    raise AssertionError(test.op)


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
