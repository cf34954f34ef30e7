"""What the ``clinrules`` commands share: the consoles, the ``--rules`` option, the command groups (one
loading its commands lazily), loading the rules, and how a short command's process treats the garbage
collector."""

from __future__ import annotations

import gc
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import click
from click.exceptions import Exit
from rich.console import Console
from rich.markup import escape

from engine.errors import KnowledgeBaseError

if TYPE_CHECKING:
    from engine.knowledge import KnowledgeBase


def stdout_console() -> Console:
    """A console on standard output: piped, 200 columns wide (not rich's 80) unless COLUMNS says otherwise."""
    return Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200, emoji=False)


# Text from rules, patient data and users is printed as written: rich's emoji codes are off, and such text
# is escaped (``rich.markup.escape``) wherever it meets markup, as a "[...]" or ":name:" in it is data.
out = stdout_console()
err = Console(stderr=True, soft_wrap=True, emoji=False)
INDICATOR_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}

F = TypeVar("F", bound=Callable[..., Any])


def rules_option(command: F) -> F:
    """Add the ``--rules`` option (a rules directory, passed as ``rules``: a path or None)."""
    return click.option(
        "--rules",
        type=click.Path(path_type=Path),
        help="Rules directory (default: the project's rules/).",
    )(command)


def paths_argument(name: str, help: str) -> Callable[[F], F]:
    """A required argument of one or more paths (files or folders), passed as a tuple of :class:`Path`."""
    return click.argument(name, nargs=-1, required=True, type=click.Path(path_type=Path), help=help)


def short_help(command: click.Command) -> str:
    """The first paragraph of a command's help, whole (click's listing would cut it short)."""
    if command.short_help:
        return command.short_help
    first = inspect.cleandoc(command.help or "").split("\n\n", 1)[0]
    return " ".join(first.split())


class Group(click.Group):
    """A command group listing its commands in the order they were added, each with the whole first
    paragraph of its help."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The names of the commands, in the order they were added."""
        return list(self.commands)

    def short_helps(self, ctx: click.Context) -> list[tuple[str, str]]:
        """Each command's name and short help, as ``--help`` lists them."""
        return [(name, short_help(c)) for name, c in self.commands.items() if not c.hidden]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the commands section of ``--help``."""
        rows = self.short_helps(ctx)
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyCommand(NamedTuple):
    """A command of a :class:`LazyGroup`: where it is defined, and what ``--help`` says of it."""

    target: str
    """``"module:attribute"``: the :class:`click.Command` (or group) to run."""
    short_help: str


class LazyGroup(Group):
    """A group whose commands in ``lazy`` are imported only when one is run or its help is shown, so that
    a command does not import the modules of the others, and ``--help`` none of them."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands defined here, then the lazy ones."""
        return [*super().list_commands(ctx), *self.lazy]

    def short_helps(self, ctx: click.Context) -> list[tuple[str, str]]:
        """As :meth:`Group.short_helps`, taking the lazy commands' short help from the table."""
        return [*super().short_helps(ctx), *((name, c.short_help) for name, c in self.lazy.items())]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module if it is a lazy one."""
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name].target} is not a click command")
        return command


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
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise Exit(3) from exc


class _Process:
    """Whether this process runs one command and then ends: set by :func:`service.cli.main`, never when the
    commands are invoked in process (tests, ``click.testing.CliRunner``)."""

    one_command = False


def run_as_process(command: click.Command) -> None:
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
