"""What the ``clinrules`` commands share: the consoles, the ``--rules`` option and loading the rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from engine.errors import KnowledgeBaseError

if TYPE_CHECKING:
    from engine.knowledge import KnowledgeBase

out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

RulesDir = Annotated[
    Path | None,
    typer.Option("--rules", help="Rules directory (default: the project's rules/).", show_default=False),
]
INDICATOR_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def load_rules(rules: Path | None) -> KnowledgeBase:
    """The knowledge base in ``rules`` (default: the shipped one); a broken rule file exits 3, naming it."""
    from engine.knowledge import load_knowledge_base

    try:
        return load_knowledge_base(rules)
    except KnowledgeBaseError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(3) from exc
