"""Reading the rule files of ``rules/``: each YAML file validated into its model, every error naming the
file and the field, and the checks a rule and the whole rule set must pass."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.conditions import ConditionSyntaxError, Node, parse_condition, walk
from engine.conditions import FactTest as _FactTest
from engine.errors import KnowledgeBaseError
from engine.facts import FACT_NAMES
from engine.rule_models import Rule, Source, Statement, Status

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", "Source", "Statement")


NON_RULE_FILES = ("sources.yaml", "statements.yaml", "valuesets.yaml", "mutation-equivalents.yaml")
"""Files of a rules folder (relative paths) that are not rule files."""


def rule_paths(root: Path) -> list[Path]:
    """The rule files of a rules folder: every ``*.yaml`` below it except :data:`NON_RULE_FILES`."""
    return sorted(p for p in root.rglob("*.yaml") if p.relative_to(root).as_posix() not in NON_RULE_FILES)


class YamlSyntaxError(ValueError):
    """A document PyYAML could not parse; the message is PyYAML's."""


def parse_yaml(text: str) -> Any:
    """``text`` as a YAML document, read by libyaml when PyYAML has it (ten times faster); a syntax error
    raises :class:`YamlSyntaxError`. PyYAML is imported here, on first use, and nowhere else on the way to a
    knowledge base: one read from the cache needs none of it."""
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc)) from exc


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``; a file that cannot be read or parsed names itself in the error."""
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeBaseError(str(path), "(file)", f"cannot be read: {exc.strerror}") from exc
    except YamlSyntaxError as exc:
        raise KnowledgeBaseError(str(path), "(yaml)", str(exc).replace("\n", " ")) from exc


def validated(model: type[M], data: Any, path: Path, prefix: str = "") -> M:
    """``data`` as ``model``; the first error names the file and the field (under ``prefix``)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in (*([prefix] if prefix else []), *err["loc"])) or "(root)"
        raise KnowledgeBaseError(str(path), loc, err["msg"]) from exc


def listed(path: Path, key: str) -> list[Any]:
    """The top-level ``key:`` list of the YAML file ``path``."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KnowledgeBaseError(str(path), key, f"expected a top-level '{key}:' list")
    items: list[Any] = data[key]
    return items


def unique(items: list[T], path: Path, key: str) -> dict[str, T]:
    """``items`` by id; a second item with the same id is an error naming its place in ``path``."""
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
    return rule_from_data(read_yaml(path), path, statements)


def rule_from_data(data: Any, path: Path, statements: Mapping[str, Statement]) -> Rule:
    """Validate the YAML data of a rule file as if read from ``path`` (mutation testing builds rules so)."""
    if not isinstance(data, dict):
        raise KnowledgeBaseError(str(path), "(root)", "a rule file is a mapping")
    rule = validated(Rule, data, path)
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
        report_conditions = [
            None if r.when is None else parse_condition(r.when, f"report.{i}.when")
            for i, r in enumerate(rule.report)
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
    for i, shown_when in enumerate(report_conditions):
        # Only fixed thresholds: the card's text must not depend on a deployment's parameter values.
        if shown_when is not None and any(
            not isinstance(leaf, _FactTest) or leaf.param for leaf in walk(shown_when)
        ):
            raise KnowledgeBaseError(
                str(path), f"report.{i}.when", "a report line's condition tests facts against fixed values"
            )
    rule._condition = condition
    rule._report_conditions = report_conditions
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
