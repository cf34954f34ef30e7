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

The same tree is compiled for durable-rules (:mod:`engine.compiler`) and evaluated in plain Python
(:mod:`engine.explain`) to explain a finding (which tests held, with the patient's values) and to check
durable-rules independently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, Literal

from engine.facts import FACT_NAMES, fact_kind

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
