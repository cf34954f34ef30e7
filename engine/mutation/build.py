"""Mutants of a loaded knowledge base: generate them from its rule files, and build each into its own
knowledge base, validated exactly as the loader validates a rules folder."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import yaml

from engine.errors import KnowledgeBaseError
from engine.knowledge import KnowledgeBase, check_rule_set, rule_from_data
from engine.mutation.mutants import Mutant, rule_mutants


def generate_mutants(kb: KnowledgeBase, rule_ids: list[str] | None = None) -> list[Mutant]:
    """Every mutant of the active rules of ``kb`` (or of ``rule_ids``), in rule id order.

    The mutants come from the YAML data of each rule file as it is on disk. Draft and retired rules are
    not compiled into the engine, and shadow rules are never shown, so no suite could notice a change to
    them: they are left out.
    """
    mutants: list[Mutant] = []
    for rule in kb.active_rules:
        if rule_ids is not None and rule.id not in rule_ids:
            continue
        data = yaml.safe_load(Path(rule.path).read_text(encoding="utf-8"))
        mutants.extend(rule_mutants(data))
    return mutants


def mutant_knowledge_base(kb: KnowledgeBase, mutant: Mutant) -> KnowledgeBase:
    """``kb`` with the mutant's rule in place of the original.

    Raises :class:`KnowledgeBaseError` when the loader would refuse the mutated file (the mutant is invalid).
    """
    original = kb.rules[mutant.rule_id]
    rule = rule_from_data(mutant.data, Path(original.path), kb.statements)
    rules = {**kb.rules, rule.id: rule}
    check_rule_set(rules)
    digest = hashlib.sha256(json.dumps(mutant.data, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return dataclasses.replace(
        kb,
        rules=rules,
        version=f"{kb.version}+{digest}",
        parameters={**kb.parameters, rule.id: rule.defaults()},
    )


__all__ = ["KnowledgeBaseError", "generate_mutants", "mutant_knowledge_base"]
