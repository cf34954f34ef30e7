"""The per-rule mutation scores ``clinrules rules mutate --write-scores`` records beside the rules.

The file names the rule-set version it was computed for; the catalogue shows a rule's score only when that
version is the one loaded, so an edited rule set never shows a score its suite did not earn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.knowledge import KnowledgeBase

SCORES_FILE = "mutation-scores.json"
SCORES_FORMAT = 1


def suites_hash(files: Iterable[Path | str]) -> str:
    """A hash of the suite files' contents (order and location do not matter)."""
    digests = sorted(hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()[:16]


def file_hash(path: Path) -> str | None:
    """A short hash of a file's content, None when it does not exist."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else None


def load_scores(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Rule id → its score entry, from the rules folder's scores file if it was computed for these rules."""
    path = kb.directory / SCORES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != SCORES_FORMAT:
        return {}
    if data.get("ruleset_version") != kb.version or not isinstance(data.get("rules"), dict):
        return {}
    return {str(k): v for k, v in data["rules"].items() if isinstance(v, dict)}
