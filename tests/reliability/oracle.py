"""An independent, straightforward evaluation of the rule files, written for the tests.

It reads ``rules/**/*.yaml`` itself with PyYAML and walks the raw ``when`` dictionaries; it shares no code
with ``engine.conditions``, ``engine.compiler`` or ``engine.knowledge``. Semantics, as the catalogue states
them: an unknown (None) fact satisfies no test; ``concluded`` holds when a rule that fired concludes that
name; chaining runs to a fixed point. It also computes, straight from the scenario JSON, the two facts the
safety invariants hang on (a thalidomide-class exposure, pregnancy), so that the invariants do not rest on
``engine.derive`` alone.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
_NOT_RULES = {"sources.yaml", "statements.yaml", "valuesets.yaml"}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "is": operator.eq,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


@dataclass(frozen=True)
class RawRule:
    """A rule file as data: id, condition dict, parameter defaults and conclusions."""

    id: str
    when: dict[str, Any]
    params: dict[str, float]
    concludes: tuple[str, ...]
    escalate: tuple[tuple[str, dict[str, Any]], ...]
    indicator: str


def load_raw_rules(directory: Path = RULES_DIR) -> dict[str, RawRule]:
    """Every active rule of ``directory``, read straight from YAML."""
    rules: dict[str, RawRule] = {}
    for path in sorted(directory.rglob("*.yaml")):
        if path.name in _NOT_RULES:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("status") != "active":
            continue
        rules[data["id"]] = RawRule(
            id=data["id"],
            when=data["when"],
            params={k: float(v["value"]) for k, v in (data.get("parameters") or {}).items()},
            concludes=tuple(data.get("concludes") or ()),
            escalate=tuple((e["indicator"], e["when"]) for e in data.get("escalate") or ()),
            indicator=data["indicator"],
        )
    return rules


def holds(
    node: Mapping[str, Any], facts: Mapping[str, Any], concluded: set[str], params: Mapping[str, float]
) -> bool:
    """Whether one raw condition node holds."""
    if "all" in node:
        return all(holds(child, facts, concluded, params) for child in node["all"])
    if "any" in node:
        return any(holds(child, facts, concluded, params) for child in node["any"])
    if "concluded" in node:
        return node["concluded"] in concluded
    (op,) = (k for k in node if k != "fact")
    raw = node[op]
    expected = params[raw["param"]] if isinstance(raw, dict) else raw
    actual = facts.get(node["fact"])
    if actual is None:
        return False
    return _COMPARE[op](actual, expected)


def fired_rules(rules: Mapping[str, RawRule], facts: Mapping[str, Any]) -> set[str]:
    """The ids of the rules that fire for ``facts``, chaining conclusions to a fixed point."""
    concluded: set[str] = set()
    while True:
        fired = {r.id for r in rules.values() if holds(r.when, facts, concluded, r.params)}
        now_concluded = {c for rid in fired for c in rules[rid].concludes}
        if now_concluded == concluded:
            return fired
        concluded = now_concluded


def expected_indicator(rule: RawRule, facts: Mapping[str, Any]) -> str:
    """The rule's indicator after its escalations."""
    rank = ["critical", "warning", "info"]
    best = rule.indicator
    for level, when in rule.escalate:
        if rank.index(level) < rank.index(best) and holds(when, facts, set(), rule.params):
            best = level
    return best


# --- facts straight from the scenario JSON ----------------------------------------------------------

THALIDOMIDE_CLASS = ("thalidomide", "lenalidomide", "pomalidomide")
# A condition of unknown clinical status counts as active (the engine's conservative choice).
_ACTIVE = {"active", "recurrence", "relapse", "unknown"}


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def evaluation_time(scenario: Mapping[str, Any]) -> datetime:
    """The scenario's own evaluation time."""
    return _time(scenario["evaluation_time"])


def thalidomide_exposure(scenario: Mapping[str, Any]) -> bool:
    """A thalidomide-class drug ordered now (draft), or an order or statement that is not over.

    Its dates do not matter: an active order with a future start or a lapsed period is still an exposure.
    """
    for med in scenario.get("medications", []):
        name = med["ingredient"].lower()
        if not any(drug in name for drug in THALIDOMIDE_CLASS):
            continue
        status = med.get("status", "active")
        if med.get("draft") or status in ("draft", "active", "on-hold", "intended", "unknown"):
            return True
    return False


def pregnant(scenario: Mapping[str, Any]) -> bool:
    """An active pregnancy condition, or the latest pregnancy status of the last 280 days says pregnant."""
    for cond in scenario.get("conditions", []):
        code = (cond.get("code") or "").replace(".", "").upper()
        system = cond.get("system", "icd10cm")
        if (
            system == "icd10cm"
            and cond.get("status", "active") in _ACTIVE
            and code.startswith(("Z331", "Z34", "O"))
        ):
            return True
    now = evaluation_time(scenario)
    statuses = [
        (_time(o["time"]), i, o["value"])
        for i, o in enumerate(scenario.get("observations", []))
        if o["kind"] == "pregnancy-status" and now - timedelta(days=280) <= _time(o["time"]) <= now
    ]
    return bool(statuses) and max(statuses)[2] == "pregnant"
