"""``clinrules rules diff``: run a suite under two rule sets and list the scenarios whose cards change.

Both runs are in process. A scenario's cards are compared by topic: a topic that appears, disappears, or
changes indicator is a change; the summary text is compared too, so a reworded card shows. Pass or fail does
not matter here: a reviewer wants to see what a rule change does, whether or not the suite expected it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.knowledge import KnowledgeBase
from service.suites.cards import Card
from service.suites.results import ScenarioResult, SuiteRun


@dataclass
class ScenarioChange:
    """A scenario whose cards differ between the old and the new rule set."""

    suite: str
    title: str
    line: int | None
    changes: list[str] = field(default_factory=list)


def _by_topic(cards: list[Card]) -> dict[str, Card]:
    return {c.topic: c for c in cards}


def card_changes(old: list[Card] | None, new: list[Card] | None) -> list[str]:
    """What changed between two card lists, one line each (``+ topic (indicator)``, ``- …``, ``~ …``)."""
    if old is None or new is None:
        if old is None and new is None:
            return []
        return ["not evaluated under the old rules" if old is None else "not evaluated under the new rules"]
    before, after = _by_topic(old), _by_topic(new)
    lines = [f"- {before[t].label()}" for t in before if t not in after]
    lines += [f"+ {after[t].label()}" for t in after if t not in before]
    for topic in before.keys() & after.keys():
        a, b = before[topic], after[topic]
        if a.indicator != b.indicator:
            lines.append(f"~ {topic}: {a.indicator} → {b.indicator}")
        elif a.summary != b.summary:
            lines.append(f"~ {topic}: summary reworded")
    return sorted(lines, key=lambda line: (line[2:], line[0]))


def diff_runs(old: SuiteRun, new: SuiteRun) -> list[ScenarioChange]:
    """The scenarios (matched by file, name and Examples row) whose cards changed, in suite order."""
    before: dict[str, ScenarioResult] = {r.key: r for r in old.results}
    changes = []
    for result in new.results:
        previous = before.get(result.key)
        if previous is None:
            continue
        lines = card_changes(previous.actual, result.actual)
        if lines:
            changes.append(ScenarioChange(result.suite, result.title, result.line, lines))
    return changes


def _num(value: float | None) -> str:
    return "unset" if value is None else f"{value:g}"


def rule_changes(old: KnowledgeBase, new: KnowledgeBase) -> list[str]:
    """What changed in the rules themselves: rules added or removed, status, version, thresholds."""
    lines = [f"+ rule {rid} added" for rid in sorted(new.rules.keys() - old.rules.keys())]
    lines += [f"- rule {rid} removed" for rid in sorted(old.rules.keys() - new.rules.keys())]
    for rid in sorted(old.rules.keys() & new.rules.keys()):
        a, b = old.rules[rid], new.rules[rid]
        if a.status != b.status:
            lines.append(f"~ {rid}: status {a.status.value} → {b.status.value}")
        if a.version != b.version:
            lines.append(f"~ {rid}: version {a.version} → {b.version}")
        pa, pb = old.params(rid), new.params(rid)
        for name in sorted(pa.keys() | pb.keys()):
            va, vb = pa.get(name), pb.get(name)
            if va != vb:
                unit = (b.parameters.get(name) or a.parameters[name]).unit or ""
                lines.append(f"~ {rid}: {name} {_num(va)} → {_num(vb)} {unit}".rstrip())
        if a.model_dump(exclude={"version", "status", "parameters"}) != b.model_dump(
            exclude={"version", "status", "parameters"}
        ):
            lines.append(f"~ {rid}: texts, condition or references edited")
    return lines


def changed_paths(old_dir: Path, new_dir: Path) -> list[str]:
    """Rule files that differ between the two folders (relative paths)."""
    names = {p.relative_to(old_dir) for p in old_dir.rglob("*.yaml")} | {
        p.relative_to(new_dir) for p in new_dir.rglob("*.yaml")
    }
    out = []
    for name in sorted(names):
        a, b = old_dir / name, new_dir / name
        if not a.exists() or not b.exists() or a.read_bytes() != b.read_bytes():
            out.append(str(name))
    return out
