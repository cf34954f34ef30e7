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
from engine.yaml_files import read_yaml

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", "Source", "Statement")


NON_RULE_FILES = ("sources.yaml", "statements.yaml", "valuesets.yaml", "mutation-equivalents.yaml")
"""Files of a rules folder (relative paths) that are not rule files."""


RULE_SUFFIXES = (".yaml", ".yml")
"""The endings a rule file may have."""


def rule_paths(root: Path) -> list[Path]:
    """The rule files of a rules folder: every ``*.yaml`` and ``*.yml`` below it except
    :data:`NON_RULE_FILES`."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in RULE_SUFFIXES and p.is_file() and p.relative_to(root).as_posix() not in NON_RULE_FILES
    )


def validated(model: type[M], data: Any, path: Path, prefix: str = "") -> M:
    """``data`` as ``model``; the error names the file and, for every wrong field, the field (under
    ``prefix``) and what is wrong with it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, path, prefix) from exc


def schema_error(exc: ValidationError, path: Path, prefix: str = "") -> KnowledgeBaseError:
    """One error naming ``path`` and every wrong field of ``exc`` (under ``prefix``; the top level of the
    file is ``(root)``, and an empty file says so)."""
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (*([prefix] if prefix else []), *err["loc"])) or "(root)"
        message = err["msg"]
        if loc == "(root)" and err.get("input", "") is None:
            message = "the file is empty"
        problems.append((loc, message))
    return KnowledgeBaseError(str(path), *problems[0], also=problems[1:])


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
    codes: dict[str, int] = {}
    for i, reason in enumerate(rule.override_reasons):
        if reason.code in codes:
            raise KnowledgeBaseError(
                str(path),
                f"override_reasons.{i}.code",
                f"duplicate code '{reason.code}' (also override_reasons.{codes[reason.code]})",
            )
        codes[reason.code] = i
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
    _check_no_cycle(rules)


def _check_no_cycle(rules: Mapping[str, Rule]) -> None:
    """Refuse an evaluated rule that rests, through ``concluded`` tests, on itself: its conclusion waits
    for itself (a rule concluding only what it needs, or two rules each needing the other's)."""
    evaluated = [r for r in rules.values() if r.status.evaluated]
    makers: dict[str, list[str]] = {}
    for rule in evaluated:
        for name in rule.concludes:
            makers.setdefault(name, []).append(rule.id)
    needs = {
        rule.id: sorted(
            {
                m
                for leaf in walk(rule.condition)
                if not isinstance(leaf, _FactTest)
                for m in makers.get(leaf.name, ())
            }
        )
        for rule in evaluated
    }
    done: set[str] = set()

    def visit(rid: str, trail: list[str]) -> None:
        if rid in trail:
            cycle = [*trail[trail.index(rid) :], rid]
            first = rules[cycle[0]]
            raise KnowledgeBaseError(
                first.path, "when", f"circular 'concluded' tests: {' -> '.join(cycle)} (it can never fire)"
            )
        if rid in done:
            return
        for needed in needs[rid]:
            visit(needed, [*trail, rid])
        done.add(rid)

    for rule in evaluated:
        visit(rule.id, [])
