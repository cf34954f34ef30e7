"""What the ``clinrules`` commands share: the consoles, the ``--rules`` option, loading the rules, and how a
short command's process treats the garbage collector."""

from __future__ import annotations

import gc
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
    """The knowledge base in ``rules`` (default: the shipped one); a broken rule file exits 3, naming it.

    A command run as its own process reads it from the cache (:mod:`engine.kb_cache`) when the files are
    unchanged since a run stored it.
    """
    from engine.knowledge import load_knowledge_base

    try:
        if not _Process.one_command:
            return load_knowledge_base(rules)
        from engine.kb_cache import cached_load
        from engine.paths import default_rules_dir
        from engine.valueset_files import adopt_default

        root = rules if rules is not None else default_rules_dir()
        kb = cached_load(root, {}, lambda: load_knowledge_base(rules))
        adopt_default(kb.value_sets, root / "valuesets.yaml")
        return kb
    except KnowledgeBaseError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(3) from exc


class _Process:
    """Whether this process runs one command and then ends: set by :func:`service.cli.main`, never when the
    commands are invoked in process (tests, ``typer.testing.CliRunner``)."""

    one_command = False


def run_as_process(command: typer.Typer) -> None:
    """Run ``command`` as this process's only work; with :func:`short_command`, the garbage collector's
    passes over what was loaded are skipped, and so is the final pass at exit."""
    _Process.one_command = True
    try:
        command()
    finally:
        # Objects frozen here are not walked by the collection the interpreter runs as it exits: about a
        # tenth of `clinrules evaluate`, whose modules, models and code index are still alive at this point.
        gc.freeze()


def short_command() -> None:
    """Turn the cyclic garbage collector off for the rest of a short command run as its own process.

    Loading the engine allocates some 50,000 objects that live until the process ends (modules, pydantic
    models, the code index of the value sets) and no garbage cycles worth collecting, and each automatic
    pass walks all of them again: a sixth of ``clinrules evaluate``. A command that runs for long (``serve``,
    the suite runners) must not call this. In process it does nothing.
    """
    if _Process.one_command:
        gc.disable()
