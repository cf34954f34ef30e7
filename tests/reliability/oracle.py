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


_DELIVERY = ("O80", "O82", "Z37", "Z39")
_PREGNANCY = ("Z331", "Z34", "O")
_IGNORED = {"refuted", "entered-in-error"}


def _optional_time(value: str | None) -> datetime | None:
    return _time(value) if value else None


def pregnant(scenario: Mapping[str, Any]) -> bool:
    """The latest pregnancy evidence decides (KNOWLEDGE.md §3).

    For: an active pregnancy condition (ICD-10-CM Z33.1, Z34, O codes other than deliveries) dated, by the
    later of onset and recorded date, in the last 300 days (undated counts as now); a "pregnant" status of
    the last 280 days (both by calendar day). Against: a "not-pregnant" status of the last 280 days; a
    delivery (O80, O82, Z37, Z39) dated by onset, else recorded date. On the same moment, "pregnant" wins.
    """
    now = evaluation_time(scenario)
    evidence: list[tuple[datetime, bool]] = []
    for cond in scenario.get("conditions", []):
        code = (cond.get("code") or "").replace(".", "").upper()
        status = cond.get("status", "active")
        if cond.get("system", "icd10cm") != "icd10cm" or not code or status in _IGNORED:
            continue
        onset, recorded = _optional_time(cond.get("onset")), _optional_time(cond.get("recorded"))
        if code.startswith(_DELIVERY):
            began = onset or recorded
            if began is not None and began <= now:
                evidence.append((began, False))
        elif code.startswith(_PREGNANCY) and status in _ACTIVE:
            dated = [d for d in (onset, recorded) if d is not None]
            when = max(dated) if dated else now
            when = min(when, now)
            if (now.date() - when.date()).days <= 300:
                evidence.append((when, True))
    for o in scenario.get("observations", []):
        taken = _time(o["time"]) if o["kind"] == "pregnancy-status" else None
        if taken is not None and taken <= now and (now.date() - taken.date()).days <= 280:
            evidence.append((_time(o["time"]), o["value"] == "pregnant"))
    return bool(evidence) and max(evidence)[1]


def thalidomide_stopped_days(scenario: Mapping[str, Any]) -> int | None:
    """Days since the last possible dose of a stopped or completed thalidomide-class prescription.

    The last dose is the end date, else the start plus the days supplied, else the start plus the 90-day
    default supply, but not after the evaluation time.
    """
    now = evaluation_time(scenario)
    found: list[int] = []
    for med in scenario.get("medications", []):
        name = med["ingredient"].lower()
        if not any(drug in name for drug in THALIDOMIDE_CLASS) or med.get("draft"):
            continue
        if med.get("status", "active") not in ("stopped", "completed"):
            continue
        if med.get("end"):
            last = _time(med["end"])
        elif med.get("start"):
            start = _time(med["start"])
            if med.get("days_supply"):
                last = start + timedelta(days=med["days_supply"])
            else:
                last = min(start + timedelta(days=90), max(start, now))
        else:
            continue
        found.append((now.date() - last.date()).days if last <= now else 0)
    return min(found) if found else None
