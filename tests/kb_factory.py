"""Small knowledge bases in a temporary folder, with the project's sources, statements and value sets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.errors import KnowledgeBaseError
from engine.knowledge import load_knowledge_base
from engine.paths import default_rules_dir

SHARED_FILES = ("sources.yaml", "statements.yaml", "valuesets.yaml", "valuesets.published.json")


def rule(rule_id: str, when: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal valid rule with the given condition; ``extra`` overrides or adds fields."""
    body: dict[str, Any] = {
        "id": rule_id,
        "version": "1.0.0",
        "status": "active",
        "title": f"Test rule {rule_id}",
        "topic": rule_id,
        "indicator": "warning",
        "statements": ["483.risk"],
        "evidence": "low",
        "evidence_note": "test",
        "summary": f"Summary of {rule_id}",
        "detail": "Detail.",
        "when": when,
    }
    body.update(extra)
    return body


def make_kb_dir(tmp: Path, rules: list[dict[str, Any]]) -> Path:
    """A rules folder holding the shared files and one YAML file per rule."""
    root = tmp / "rules"
    root.mkdir()
    for name in SHARED_FILES:
        shutil.copy(default_rules_dir() / name, root / name)
    for body in rules:
        (root / f"{body['id']}.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return root


def copy_shipped_rules(folder: Path) -> Path:
    """A copy of the shipped rules folder in ``folder`` (as ``rules``), for a test to edit."""
    target = folder / "rules"
    shutil.copytree(default_rules_dir(), target)
    return target


def edit(path: Path, old: str, new: str, *, every: bool = False) -> None:
    """Replace ``old`` (which must be there) with ``new`` in a file: the first time, or ``every`` time."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new) if every else text.replace(old, new, 1), encoding="utf-8")


def refused(root: Path) -> KnowledgeBaseError:
    """The error loading the rules folder ``root`` stops with (the test fails if it loads)."""
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(root)
    return caught.value
