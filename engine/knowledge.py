"""Loading ``rules/``: sources, statements, value sets and one YAML file per rule, all validated.

Any error stops loading with :class:`KnowledgeBaseError` naming the file and the field. The rule-set
version is a hash of every file's content, so two deployments with the same files report the same version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from engine.errors import KnowledgeBaseError
from engine.paths import default_rules_dir
from engine.rule_files import (
    NON_RULE_FILES,
    check_rule_set,
    listed,
    load_rule,
    rule_from_data,
    rule_paths,
    unique,
    validated,
)
from engine.rule_models import (
    Escalation,
    Evidence,
    Indicator,
    Link,
    OverrideReason,
    Parameter,
    ReportedFact,
    Rule,
    Slug,
    Source,
    Statement,
    Status,
    Suggestion,
    SuggestionAction,
)
from engine.valueset_files import shared_value_sets, value_set_files
from engine.valuesets import ValueSets

__all__ = [
    "NON_RULE_FILES",
    "Escalation",
    "Evidence",
    "Indicator",
    "KnowledgeBase",
    "Link",
    "OverrideReason",
    "Parameter",
    "ReportedFact",
    "Rule",
    "Slug",
    "Source",
    "Statement",
    "Status",
    "Suggestion",
    "SuggestionAction",
    "check_rule_set",
    "load_knowledge_base",
    "load_rule",
    "rule_from_data",
    "rule_paths",
]


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything in ``rules/``: validated, cross-referenced, versioned."""

    directory: Path
    sources: dict[str, Source]
    statements: dict[str, Statement]
    rules: dict[str, Rule]
    value_sets: ValueSets
    version: str
    parameters: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def active_rules(self) -> list[Rule]:
        """Rules whose findings are shown, in id order."""
        return [r for r in self.rules.values() if r.status is Status.active]

    @property
    def shadow_rules(self) -> list[Rule]:
        """Rules evaluated and audited but never shown, in id order."""
        return [r for r in self.rules.values() if r.status is Status.shadow]

    @property
    def evaluated_rules(self) -> list[Rule]:
        """Rules compiled into the engine (active, then shadow), each group in id order."""
        return [*self.active_rules, *self.shadow_rules]

    def params(self, rule_id: str) -> dict[str, float]:
        """The parameter values in force for a rule (defaults, with any deployment overrides)."""
        return self.parameters[rule_id]

    @cached_property
    def encoded_by(self) -> dict[str, list[str]]:
        """Statement id → ids of the non-retired rules that encode it."""
        result: dict[str, list[str]] = {sid: [] for sid in self.statements}
        for rule in self.rules.values():
            if rule.status is not Status.retired:
                for sid in rule.statements:
                    result[sid].append(rule.id)
        return result

    @cached_property
    def _citations(self) -> dict[str, list[Source]]:
        result = {}
        for rule in self.rules.values():
            ids = dict.fromkeys(self.statements[s].source for s in rule.statements)
            result[rule.id] = [self.sources[i] for i in ids]
        return result

    def citations(self, rule: Rule) -> list[Source]:
        """The sources behind a rule's statements, in first-cited order."""
        return self._citations[rule.id]


def _version(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for f in sorted(files):
        digest.update(f.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(f.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _apply_overrides(
    rules: Mapping[str, Rule], overrides: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    params = {rid: r.defaults() for rid, r in rules.items()}
    for rid, values in overrides.items():
        if rid not in rules:
            raise KnowledgeBaseError("(settings)", f"thresholds.{rid}", "no such rule")
        for name, value in values.items():
            spec = rules[rid].parameters.get(name)
            if spec is None:
                raise KnowledgeBaseError("(settings)", f"thresholds.{rid}.{name}", "no such parameter")
            if not spec.min <= value <= spec.max:
                raise KnowledgeBaseError(
                    "(settings)",
                    f"thresholds.{rid}.{name}",
                    f"{value:g} outside [{spec.min:g}, {spec.max:g}]",
                )
            params[rid][name] = float(value)
    return params


def load_knowledge_base(
    directory: Path | None = None, overrides: Mapping[str, Mapping[str, float]] | None = None
) -> KnowledgeBase:
    """Load and validate ``rules/`` (or ``directory``); ``overrides`` sets thresholds per rule id."""
    root = Path(directory) if directory is not None else default_rules_dir()
    if not root.is_dir():
        raise KnowledgeBaseError(str(root), "(directory)", "rules directory not found")
    sources_path, statements_path, valuesets_path = (
        root / "sources.yaml",
        root / "statements.yaml",
        root / "valuesets.yaml",
    )
    sources = unique(
        [
            validated(Source, s, sources_path, f"sources.{i}")
            for i, s in enumerate(listed(sources_path, "sources"))
        ],
        sources_path,
        "sources",
    )
    raw_statements = listed(statements_path, "statements")
    statements = unique(
        [validated(Statement, s, statements_path, f"statements.{i}") for i, s in enumerate(raw_statements)],
        statements_path,
        "statements",
    )
    for i, st in enumerate(statements.values()):
        if st.source not in sources:
            raise KnowledgeBaseError(
                str(statements_path), f"statements.{i}.source", f"unknown source '{st.source}'"
            )
    value_sets = shared_value_sets(valuesets_path)
    rule_files = rule_paths(root)
    rules: dict[str, Rule] = {}
    for path in rule_files:
        rule = load_rule(path, statements)
        if rule.id in rules:
            raise KnowledgeBaseError(
                str(path), "id", f"duplicate rule id '{rule.id}' (also in {rules[rule.id].path})"
            )
        rules[rule.id] = rule
    check_rule_set(rules)
    return KnowledgeBase(
        directory=root,
        sources=sources,
        statements=statements,
        rules=rules,
        value_sets=value_sets,
        version=_version(
            [sources_path, statements_path, *value_set_files(valuesets_path, value_sets), *rule_files], root
        ),
        parameters=_apply_overrides(rules, overrides or {}),
    )
