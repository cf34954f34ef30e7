"""``clinrules rules lint``: every problem in a rules folder at once, not only the first.

Errors are what :func:`engine.knowledge.load_knowledge_base` refuses (schema, unknown statement ids, summary
length, duplicate ids and topics, thresholds outside their range, unknown facts, parameters or conclusions):
the loader's own checks are reused file by file so that one bad file does not hide the next. Warnings are
what loads but deserves a reviewer's eye: a parameter no condition uses, a statement neither encoded nor
explained, an ``http:`` link, a summary longer than an EHR card shows comfortably.

A rule's evidence level must follow from its statements: it is the strongest level among the statements
that carry its message (role ``finding`` or ``safety``; ``background`` statements only set the scene), or
among all of them when none does. A rule rated above or below that is an error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from engine.conditions import FactTest, walk
from engine.errors import KnowledgeBaseError
from engine.knowledge import Rule, Statement, Status, load_knowledge_base, load_rule, rule_paths
from engine.paths import default_rules_dir
from engine.yaml_files import read_yaml

Severity = Literal["error", "warning"]
EVIDENCE_ORDER = ("very-low", "low", "moderate", "high")
"""Evidence levels, weakest first."""
STATUS_MEANING = {
    Status.active: "evaluated and shown",
    Status.shadow: "evaluated and audited, never shown",
    Status.draft: "not evaluated",
    Status.retired: "not evaluated",
}
"""What each status means, as ``rules lint`` prints it."""
SUMMARY_COMFORTABLE = 120
"""Summaries longer than this are allowed (the limit is 139) but wrap on most EHR cards."""


@dataclass(frozen=True, order=True)
class LintProblem:
    """One problem: the file, the field inside it, and what is wrong."""

    path: str
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.field}: {self.message}"


def _problems(exc: KnowledgeBaseError, severity: Severity = "error") -> list[LintProblem]:
    return [LintProblem(exc.path, field, message, severity) for field, message in exc.problems]


def _statements(path: Path) -> dict[str, Statement]:
    """The statements that validate (the loader reports the others)."""
    try:
        data: Any = read_yaml(path)
    except KnowledgeBaseError:
        return {}
    found = {}
    for item in (data or {}).get("statements", []) if isinstance(data, dict) else []:
        try:
            st = Statement.model_validate(item)
        except ValidationError:
            continue
        found[st.id] = st
    return found


def expected_evidence(rule: Rule, statements: dict[str, Statement]) -> str | None:
    """The evidence level a rule's statements give it (None when none of them is known)."""
    cited = [statements[sid] for sid in rule.statements if sid in statements]
    carrying = [st for st in cited if st.role != "background"] or cited
    if not carrying:
        return None
    return max((st.evidence for st in carrying), key=EVIDENCE_ORDER.index)


def _evidence_problem(rule: Rule, statements: dict[str, Statement]) -> LintProblem | None:
    expected = expected_evidence(rule, statements)
    if expected is None or expected == rule.evidence:
        return None
    return LintProblem(
        rule.path,
        "evidence",
        f"'{rule.evidence}' does not follow from its statements, whose strongest level is '{expected}'",
    )


def _rule_warnings(rule: Rule) -> list[LintProblem]:
    out = []
    used = {leaf.param for node in [rule.condition, *(n for _, n in rule.escalations)] for leaf in walk(node)
            if isinstance(leaf, FactTest) and leaf.param}  # fmt: skip
    for name in rule.parameters:
        if name not in used:
            out.append(
                LintProblem(rule.path, f"parameters.{name}", "no condition uses this parameter", "warning")
            )
    if len(rule.summary) > SUMMARY_COMFORTABLE:
        out.append(
            LintProblem(
                rule.path,
                "summary",
                f"{len(rule.summary)} characters; over {SUMMARY_COMFORTABLE} wraps",
                "warning",
            )
        )
    for i, link in enumerate(rule.links):
        if not link.url.startswith("https://"):
            out.append(LintProblem(rule.path, f"links.{i}.url", "not an https:// address", "warning"))
    return out


def rule_statuses(directory: Path | None = None) -> dict[Status, list[str]]:
    """The ids of the rule files that load, by status (every status listed, in lifecycle order)."""
    root = Path(directory) if directory is not None else default_rules_dir()
    statements = _statements(root / "statements.yaml")
    found: dict[Status, list[str]] = {status: [] for status in Status}
    for path in rule_paths(root) if root.is_dir() else []:
        try:
            rule = load_rule(path, statements)
        except KnowledgeBaseError:
            continue
        found[rule.status].append(rule.id)
    return found


def lint_rules(directory: Path | None = None) -> list[LintProblem]:
    """Every problem in the rules folder (default: the project's), errors first, then by file."""
    root = Path(directory) if directory is not None else default_rules_dir()
    problems: set[LintProblem] = set()
    try:
        kb = load_knowledge_base(root)
    except KnowledgeBaseError as exc:
        problems.update(_problems(exc))
        kb = None
    if not root.is_dir():
        return sorted(problems)
    statements = kb.statements if kb is not None else _statements(root / "statements.yaml")
    rules: list[Rule] = []
    for path in rule_paths(root):
        try:
            rules.append(load_rule(path, statements))
        except KnowledgeBaseError as exc:
            problems.update(_problems(exc))
    ids: dict[str, list[Rule]] = defaultdict(list)
    topics: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        ids[rule.id].append(rule)
        if rule.status.evaluated:
            topics[rule.topic].append(rule)
    for rid, same in ids.items():
        for rule in same[1:]:
            problems.add(LintProblem(rule.path, "id", f"duplicate rule id '{rid}' (also in {same[0].path})"))
    for topic, same in topics.items():
        for rule in same[1:]:
            problems.add(LintProblem(rule.path, "topic", f"topic '{topic}' is already used by {same[0].id}"))
    for rule in rules:
        for name, p in rule.parameters.items():
            if p.min > p.max:
                problems.add(
                    LintProblem(rule.path, f"parameters.{name}", f"min {p.min:g} above max {p.max:g}")
                )
        problems.update(_rule_warnings(rule))
        evidence = _evidence_problem(rule, statements)
        if evidence is not None:
            problems.add(evidence)
    if kb is not None:
        for sid, st in kb.statements.items():
            if not kb.encoded_by[sid] and not st.not_encoded:
                problems.add(
                    LintProblem(
                        str(root / "statements.yaml"),
                        sid,
                        "no rule encodes it and no reason is given",
                        "warning",
                    )
                )
    return sorted(problems, key=lambda p: (p.severity != "error", p.path, p.field))
