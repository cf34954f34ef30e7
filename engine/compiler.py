"""Compile active rules into one durable-rules ruleset definition.

Each rule's condition is expanded into disjunctive normal form; every conjunction becomes one durable rule
named ``<rule id>#<n>`` that joins the patient fact with any conclusion facts it needs. Expanding ``any``
ourselves (instead of durable's ``$or``, which fires once per true branch) keeps the logic explicit, and
the runtime de-duplicates findings by rule id.

Shadow rules are compiled beside the active ones and may chain like them, but one-way: the conclusion
facts they assert carry ``scope: shadow``, and an active rule's conclusion patterns match only
``scope: active``, so a shadow rule can never make an active rule fire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.conditions import FactTest, to_dnf
from engine.errors import KnowledgeBaseError
from engine.knowledge import KnowledgeBase, Status

SENTINEL_RULE = "$sentinel"
CONCLUSION_SINK_RULE = "$conclusions"
MAX_EXPRESSIONS_PER_NODE = 30  # durable-rules allows 32 per node; keep headroom for the type tests
_DURABLE_OPS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "ne": "$neq"}


@dataclass(frozen=True)
class CompiledRule:
    """One durable rule: which knowledge-base rule it belongs to and what it concludes when it fires."""

    name: str
    rule_id: str
    concludes: tuple[str, ...]
    shadow: bool = False


@dataclass(frozen=True)
class CompiledRuleset:
    """A durable-rules ruleset definition (without actions) and what each of its rules stands for."""

    definition: dict[str, dict[str, Any]]
    rules: dict[str, CompiledRule]


def number(value: float) -> int | float:
    """A threshold as durable-rules should see it: integral values as int, others rounded to 6 places."""
    return int(value) if float(value).is_integer() else round(float(value), 6)


def _expression(test: FactTest, params: dict[str, float], path: str) -> dict[str, Any]:
    threshold = test.threshold(params)
    if test.op in ("is", "eq"):
        return {test.fact: threshold}
    value = threshold if test.op == "ne" else number(float(threshold))
    if "e" in repr(value):  # durable-rules rejects exponent notation, which json.dumps would write
        raise KnowledgeBaseError(path, "when", f"threshold {value!r} for {test.fact} needs exponent notation")
    return {_DURABLE_OPS[test.op]: {test.fact: value}}


def compile_ruleset(kb: KnowledgeBase) -> CompiledRuleset:
    """Translate the active and shadow rules of ``kb`` (parameters in force) into durable-rules JSON."""
    definition: dict[str, dict[str, Any]] = {
        SENTINEL_RULE: {"all": [{"m": {"t": "sentinel"}}]},
        CONCLUSION_SINK_RULE: {"all": [{"m": {"t": "conclusion"}}]},
    }
    compiled: dict[str, CompiledRule] = {}
    for rule in kb.evaluated_rules:
        shadow = rule.status is Status.shadow
        # An active rule rests only on active rules' conclusions; a shadow rule on any.
        scope: list[dict[str, Any]] = [] if shadow else [{"scope": "active"}]
        params = kb.params(rule.id)
        for n, (tests, concluded) in enumerate(to_dnf(rule.condition)):
            if len(tests) + 1 > MAX_EXPRESSIONS_PER_NODE:
                raise KnowledgeBaseError(rule.path, "when", f"branch {n} has {len(tests)} tests; at most 29")
            patient = [{"t": "patient"}, *(_expression(t, params, rule.path) for t in tests)]
            patterns: list[dict[str, Any]] = [{"p": {"$and": patient}}]
            patterns += [
                {f"c{i}": {"$and": [{"t": "conclusion"}, {"name": c.name}, *scope]}}
                for i, c in enumerate(concluded)
            ]
            name = f"{rule.id}#{n}"
            definition[name] = {"all": patterns}
            compiled[name] = CompiledRule(name, rule.id, tuple(rule.concludes), shadow)
    return CompiledRuleset(definition, compiled)
