"""Where the shipped knowledge base and its Gherkin specification live.

In a checkout they are the top-level ``rules/`` and ``features/`` folders; an installed wheel carries the same
folders inside the packages (``engine/rulebase``, ``service/features``; see setup.py).
"""

from __future__ import annotations

import os
from pathlib import Path

_ENGINE = Path(__file__).resolve().parent


def _shipped(installed: Path, checkout: Path) -> Path:
    return installed if installed.is_dir() else checkout


def default_rules_dir() -> Path:
    """The rules folder: ``$CLINRULES_RULES_DIR`` if set, else the installed rules, else the checkout's."""
    configured = os.environ.get("CLINRULES_RULES_DIR")
    if configured:
        return Path(configured)
    return _shipped(_ENGINE / "rulebase", _ENGINE.parent / "rules")


def default_features_dir() -> Path:
    """The project's Gherkin features (the rule catalogue lists the scenarios of each rule)."""
    return _shipped(_ENGINE.parent / "service" / "features", _ENGINE.parent / "features")
