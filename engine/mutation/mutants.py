"""One-change variants of a rule (mutants), generated from the YAML data of its file.

Every mutant changes exactly one thing a committee would care about:

* ``threshold``: a parameter's default (or a literal threshold) moved one step up or down, the step being
  the value's natural unit (1 for whole numbers, else its last decimal place), inside the parameter's range;
* ``comparison``: a comparison turned into its neighbour (below ↔ at most, above ↔ at least);
* ``clause-deleted``: one clause of an ``all`` left out;
* ``branch-deleted``: one alternative of an ``any`` left out;
* ``is-flipped``: ``is: true`` ↔ ``is: false``;
* ``indicator-lowered``: the card's indicator lowered (critical → warning → info);
* ``escalation-removed``: one escalation (e.g. critical with reproductive potential) removed;
* ``conclusion-removed``: one conclusion the rule asserts for other rules removed.

Conditions inside escalations are mutated like the rule's own. A mutant the loader refuses is still
generated: running it reports it as invalid.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, get_args

from engine.conditions import OPERATOR_WORDS
from engine.facts import FACT_NAMES, fact_label, fact_unit

MutantKind = Literal[
    "threshold",
    "comparison",
    "clause-deleted",
    "branch-deleted",
    "is-flipped",
    "indicator-lowered",
    "escalation-removed",
    "conclusion-removed",
]
KINDS: tuple[MutantKind, ...] = get_args(MutantKind)
"""Every mutant kind, in the order reports list them."""
NEIGHBOURS = {"lt": "lte", "lte": "lt", "gt": "gte", "gte": "gt"}
INDICATORS = ("critical", "warning", "info")
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mutant:
    """One change to one rule: what changed, in words, and the rule file's data with the change made."""

    rule_id: str
    kind: MutantKind
    where: str
    """The dotted path of the change in the rule file, e.g. ``when.all.0``."""
    target: str
    """What was changed, in the rule's own terms (``hiv is true``, ``cd4_below 100 → 101``): the key an
    equivalence entry matches, independent of clause positions."""
    change: str
    """The change in words a clinician reads: ``without 'HIV infection recorded'``."""
    data: dict[str, Any] = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        """A stable identifier: rule, kind and place."""
        return f"{self.rule_id}:{self.kind}:{self.where}"

    @property
    def title(self) -> str:
        """``iris-risk: without 'HIV infection recorded'``."""
        return f"{self.rule_id}: {self.change}"


def _number(value: float) -> str:
    return f"{value:g}"


def _threshold_text(raw: Any) -> str:
    if isinstance(raw, dict) and "param" in raw:
        return str(raw["param"])
    return _number(float(raw)) if isinstance(raw, int | float) and not isinstance(raw, bool) else str(raw)


def clause_key(node: Any) -> str:
    """A compact, position-free form of a condition: ``hiv is true``, ``baseline_cd4 lt cd4_below``."""
    if isinstance(node, dict):
        if "fact" in node:
            ops = [k for k in node if k != "fact"]
            op = ops[0] if ops else "?"
            raw = node.get(op)
            value = str(raw).lower() if isinstance(raw, bool) else _threshold_text(raw)
            return f"{node['fact']} {op} {value}"
        if "concluded" in node:
            return f"concluded {node['concluded']}"
        for key in ("all", "any"):
            if isinstance(node.get(key), list):
                return f"{key}({', '.join(clause_key(c) for c in node[key])})"
    return str(node)


def describe_clause(node: Any) -> str:
    """A condition in words, from the fact labels: ``'Baseline CD4 count …' below cd4_below``."""
    if isinstance(node, dict):
        fact = node.get("fact")
        if isinstance(fact, str) and fact in FACT_NAMES:
            ops = [k for k in node if k != "fact"]
            op = ops[0] if ops else "is"
            raw = node.get(op)
            label = fact_label(fact)
            if op == "is":
                return f"'{label}'" if raw is True else f"'not: {label[0].lower()}{label[1:]}'"
            unit = fact_unit(fact)
            suffix = f" {unit}" if unit and not isinstance(raw, dict) else ""
            return f"'{label}' {OPERATOR_WORDS.get(op, op)} {_threshold_text(raw)}{suffix}"
        if "concluded" in node:
            return f"'{str(node['concluded']).replace('-', ' ')}' (concluded by another rule)"
        for key, word in (("all", "all of"), ("any", "any of")):
            if isinstance(node.get(key), list):
                return f"({word}: {'; '.join(describe_clause(c) for c in node[key])})"
    return repr(node)


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def _with(data: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the item at ``path`` replaced by ``value``."""
    result = copy.deepcopy(data)
    parent: Any = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return result


def _without(data: dict[str, Any], path: Path_) -> dict[str, Any]:
    """A deep copy of ``data`` with the list item (or mapping key) at ``path`` removed."""
    result = copy.deepcopy(data)
    parent: Any = result
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return result


def _step(value: float) -> float | int:
    """One step in the value's natural unit: 1 for whole numbers, else its last decimal place."""
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return 1
    return float(Decimal(1).scaleb(exponent))


def _moved(value: float, step: float | int, sign: int, like: Any) -> float | int:
    moved = float(Decimal(str(value)) + sign * Decimal(str(step)))
    return int(moved) if isinstance(like, int) and moved.is_integer() else moved


def _condition_mutants(rule_id: str, data: dict[str, Any], node: Any, path: Path_) -> Iterator[Mutant]:
    if not isinstance(node, dict):
        return
    where = _dotted(path)
    deletions: tuple[tuple[str, MutantKind], ...] = (("all", "clause-deleted"), ("any", "branch-deleted"))
    for key, kind in deletions:
        children = node.get(key)
        if not isinstance(children, list):
            continue
        for i, child in enumerate(children):
            words = "without" if kind == "clause-deleted" else "without the alternative"
            yield Mutant(
                rule_id,
                kind,
                f"{where}.{key}.{i}",
                clause_key(child),
                f"{words} {describe_clause(child)}" + (" in an escalation" if path[0] == "escalate" else ""),
                _without(data, (*path, key, i)),
            )
        for i, child in enumerate(children):
            yield from _condition_mutants(rule_id, data, child, (*path, key, i))
        return
    fact = node.get("fact")
    if not isinstance(fact, str):
        return
    in_escalation = " in an escalation" if path[0] == "escalate" else ""
    for op, raw in node.items():
        if op == "is" and isinstance(raw, bool):
            flipped = dict(node, **{"is": not raw})
            yield Mutant(
                rule_id,
                "is-flipped",
                f"{where}.is",
                clause_key(node),
                f"{describe_clause(node)} became {describe_clause(flipped)}{in_escalation}",
                _with(data, path, flipped),
            )
        elif op in NEIGHBOURS:
            swapped = {"fact": fact, NEIGHBOURS[op]: raw}
            yield Mutant(
                rule_id,
                "comparison",
                f"{where}.{op}",
                clause_key(node),
                f"{describe_clause(node)} became {OPERATOR_WORDS[NEIGHBOURS[op]]} {_threshold_text(raw)}"
                + in_escalation,
                _with(data, path, swapped),
            )
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                step = _step(float(raw))
                for sign in (1, -1):
                    moved = _moved(float(raw), step, sign, raw)
                    yield Mutant(
                        rule_id,
                        "threshold",
                        f"{where}.{op}.{'up' if sign > 0 else 'down'}",
                        f"{clause_key(node)} → {_number(moved)}",
                        f"{describe_clause(node)} with {_number(moved)} instead{in_escalation}",
                        _with(data, (*path, op), moved),
                    )


def _parameter_mutants(rule_id: str, data: dict[str, Any]) -> Iterator[Mutant]:
    parameters = data.get("parameters")
    if not isinstance(parameters, dict):
        return
    for name, spec in parameters.items():
        if not isinstance(spec, dict) or isinstance(spec.get("value"), bool):
            continue
        value, low, high = spec.get("value"), spec.get("min"), spec.get("max")
        if not (
            isinstance(value, int | float) and isinstance(low, int | float) and isinstance(high, int | float)
        ):
            continue
        step = _step(float(value))
        unit = f" {spec['unit']}" if spec.get("unit") else ""
        for sign in (1, -1):
            moved = _moved(float(value), step, sign, value)
            if not low <= moved <= high:
                continue  # the parameter's allowed range is part of the rule; a step outside it is no mutant
            yield Mutant(
                rule_id,
                "threshold",
                f"parameters.{name}.{'up' if sign > 0 else 'down'}",
                f"{name} {_number(value)} → {_number(moved)}",
                f"{name} {_number(value)} → {_number(moved)}{unit}",
                _with(data, ("parameters", name, "value"), moved),
            )


def rule_mutants(data: dict[str, Any]) -> list[Mutant]:
    """Every one-change mutant of one rule file's data, in file order."""
    rule_id = str(data.get("id"))
    mutants = list(_parameter_mutants(rule_id, data))
    mutants += _condition_mutants(rule_id, data, data.get("when"), ("when",))
    for i, escalation in enumerate(data.get("escalate") or []):
        if isinstance(escalation, dict):
            mutants += _condition_mutants(rule_id, data, escalation.get("when"), ("escalate", i, "when"))
    indicator = data.get("indicator")
    if indicator in INDICATORS:
        for lower in INDICATORS[INDICATORS.index(indicator) + 1 :]:
            mutants.append(
                Mutant(
                    rule_id,
                    "indicator-lowered",
                    f"indicator.{lower}",
                    f"{indicator} → {lower}",
                    f"indicator {indicator} → {lower}",
                    _with(data, ("indicator",), lower),
                )
            )
    for i, escalation in enumerate(data.get("escalate") or []):
        if isinstance(escalation, dict):
            mutants.append(
                Mutant(
                    rule_id,
                    "escalation-removed",
                    f"escalate.{i}",
                    f"{escalation.get('indicator')} when {clause_key(escalation.get('when'))}",
                    f"no escalation to {escalation.get('indicator')} when "
                    f"{describe_clause(escalation.get('when'))}",
                    _without(data, ("escalate", i)),
                )
            )
    for i, conclusion in enumerate(data.get("concludes") or []):
        mutants.append(
            Mutant(
                rule_id,
                "conclusion-removed",
                f"concludes.{i}",
                str(conclusion),
                f"no longer concludes '{conclusion}'",
                _without(data, ("concludes", i)),
            )
        )
    return mutants
