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
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from engine.conditions import ConditionSyntaxError, Node, parse_condition, walk
from engine.conditions import FactTest as _FactTest
from engine.errors import KnowledgeBaseError
from engine.facts import FACT_NAMES
from engine.paths import default_rules_dir
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

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", "Source", "Statement")

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


NON_RULE_FILES = ("sources.yaml", "statements.yaml", "valuesets.yaml", "mutation-equivalents.yaml")
"""Files of a rules folder (relative paths) that are not rule files."""


def rule_paths(root: Path) -> list[Path]:
    """The rule files of a rules folder: every ``*.yaml`` below it except :data:`NON_RULE_FILES`."""
    return sorted(p for p in root.rglob("*.yaml") if p.relative_to(root).as_posix() not in NON_RULE_FILES)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: 10x faster


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as exc:
        raise KnowledgeBaseError(str(path), "(file)", f"cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(str(path), "(yaml)", str(exc).replace("\n", " ")) from exc


def _validate(model: type[M], data: Any, path: Path, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in (*([prefix] if prefix else []), *err["loc"])) or "(root)"
        raise KnowledgeBaseError(str(path), loc, err["msg"]) from exc


def _listed(path: Path, key: str) -> list[Any]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KnowledgeBaseError(str(path), key, f"expected a top-level '{key}:' list")
    items: list[Any] = data[key]
    return items


def _unique(items: list[T], path: Path, key: str) -> dict[str, T]:
    seen: dict[str, T] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise KnowledgeBaseError(str(path), f"{key}.{i}.id", f"duplicate id '{item.id}'")
        seen[item.id] = item
    return seen


def _check_param_refs(node: Node, rule: Rule, path: Path, where: str) -> None:
    for leaf in walk(node):
        if isinstance(leaf, _FactTest) and leaf.param is not None and leaf.param not in rule.parameters:
            raise KnowledgeBaseError(str(path), where, f"unknown parameter '{leaf.param}'")


def load_rule(path: Path, statements: Mapping[str, Statement]) -> Rule:
    """Read and validate one rule file (statement ids are checked against ``statements``)."""
    return rule_from_data(_read_yaml(path), path, statements)


def rule_from_data(data: Any, path: Path, statements: Mapping[str, Statement]) -> Rule:
    """Validate the YAML data of a rule file as if read from ``path`` (mutation testing builds rules so)."""
    if not isinstance(data, dict):
        raise KnowledgeBaseError(str(path), "(root)", "a rule file is a mapping")
    rule = _validate(Rule, data, path)
    if path.stem != rule.id:
        raise KnowledgeBaseError(str(path), "id", f"'{rule.id}' must match the file name '{path.stem}'")
    for i, sid in enumerate(rule.statements):
        if sid not in statements:
            raise KnowledgeBaseError(str(path), f"statements.{i}", f"unknown statement id '{sid}'")
    for name, p in rule.parameters.items():
        if not p.min <= p.value <= p.max:
            raise KnowledgeBaseError(
                str(path), f"parameters.{name}.value", f"{p.value:g} outside [{p.min:g}, {p.max:g}]"
            )
    try:
        condition = parse_condition(rule.when)
        escalations = [
            (e.indicator, parse_condition(e.when, f"escalate.{i}.when")) for i, e in enumerate(rule.escalate)
        ]
    except ConditionSyntaxError as exc:
        raise KnowledgeBaseError(str(path), exc.field, str(exc)) from exc
    _check_param_refs(condition, rule, path, "when")
    for i, (_, node) in enumerate(escalations):
        _check_param_refs(node, rule, path, f"escalate.{i}.when")
        if any(not isinstance(leaf, _FactTest) for leaf in walk(node)):
            raise KnowledgeBaseError(str(path), f"escalate.{i}.when", "an escalation tests facts only")
    for i, reported in enumerate(rule.report):
        if reported.fact not in FACT_NAMES:
            raise KnowledgeBaseError(str(path), f"report.{i}.fact", f"unknown fact '{reported.fact}'")
    rule._condition = condition
    rule._escalations = escalations
    rule._path = str(path)
    return rule


def check_rule_set(rules: Mapping[str, Rule]) -> None:
    """Checks across rules: each evaluated topic used once; each ``concluded`` test of an active rule made
    by an active rule, and of a shadow rule by an active or shadow one (a shadow rule never makes an active
    rule fire)."""
    topics: dict[str, str] = {}
    for rule in rules.values():
        if rule.status.evaluated:
            if rule.topic in topics:
                raise KnowledgeBaseError(
                    rule.path, "topic", f"topic '{rule.topic}' is already used by {topics[rule.topic]}"
                )
            topics[rule.topic] = rule.id
    active = {c for r in rules.values() if r.status is Status.active for c in r.concludes}
    shadow = {c for r in rules.values() if r.status is Status.shadow for c in r.concludes}
    for rule in rules.values():
        if not rule.status.evaluated:
            continue
        for leaf in walk(rule.condition):
            if isinstance(leaf, _FactTest) or leaf.name in active:
                continue
            if rule.status is Status.active and leaf.name in shadow:
                raise KnowledgeBaseError(
                    rule.path,
                    "when",
                    f"only a shadow rule concludes '{leaf.name}': an active rule cannot "
                    "rest on a shadow rule",
                )
            if leaf.name not in shadow:
                who = "active" if rule.status is Status.active else "active or shadow"
                raise KnowledgeBaseError(rule.path, "when", f"no {who} rule concludes '{leaf.name}'")


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
    sources = _unique(
        [
            _validate(Source, s, sources_path, f"sources.{i}")
            for i, s in enumerate(_listed(sources_path, "sources"))
        ],
        sources_path,
        "sources",
    )
    raw_statements = _listed(statements_path, "statements")
    statements = _unique(
        [_validate(Statement, s, statements_path, f"statements.{i}") for i, s in enumerate(raw_statements)],
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
