"""Where the shipped knowledge base lives."""

from __future__ import annotations

import os
from pathlib import Path


def default_rules_dir() -> Path:
    """The rules folder: ``$CLINRULES_RULES_DIR`` if set, else ``rules/`` beside the installed packages."""
    configured = os.environ.get("CLINRULES_RULES_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "rules"
