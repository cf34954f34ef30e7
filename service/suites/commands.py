"""The bodies of ``clinrules test`` and ``clinrules rules diff``, which their click commands call.

Exit codes of ``clinrules test``: 0 every scenario passed, 1 a scenario failed or could not be evaluated,
2 nothing to run, a path that does not exist, or the service cannot be reached, 3 invalid rules.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from engine.errors import KnowledgeBaseError
from service.suites.console import ConsoleProgress, print_run
from service.suites.cucumber import write_cucumber
from service.suites.junit import write_junit
from service.suites.runner import discover, run_suites
from service.suites.targets import TargetUnavailable


def test_command(
    paths: list[Path],
    console: Console,
    err: Console,
    url: str | None = None,
    junit: Path | None = None,
    cucumber: Path | None = None,
    rules_dir: Path | None = None,
) -> int:
    """Run the suites under ``paths``, print the results, write the reports; return the exit code."""
    found = discover(paths)
    for missing in found.missing:
        err.print(f"error: {missing}: no such file or folder", markup=False, highlight=False)
    if found.missing:
        return 2
    if not found.features and not found.case_files:
        err.print("error: no .feature, .yaml, .yml or .json suite found", markup=False, highlight=False)
        return 2
    try:
        with ConsoleProgress(err) as progress:
            run = run_suites(found, url=url, rules_dir=rules_dir, progress=progress)
    except TargetUnavailable as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except KnowledgeBaseError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 3
    print_run(console, run)
    if junit is not None:
        write_junit(run, junit)
        console.print(f"JUnit XML written to {junit}", highlight=False)
    if cucumber is not None:
        write_cucumber(run, cucumber)
        console.print(f"Cucumber JSON written to {cucumber}", highlight=False)
    return 0 if run.ok else 1


def diff_command(old_dir: Path, new_dir: Path, paths: list[Path], console: Console, err: Console) -> int:
    """Run the suites under both rule sets and list the scenarios whose cards change.

    Exit codes, as diff(1): 0 no scenario changes, 1 some do, 2 nothing to run or a path is missing,
    3 a rule set does not load.
    """
    from rich.markup import escape
    from rich.table import Table

    from engine.knowledge import load_knowledge_base
    from service.suites.diff import changed_paths, diff_runs, rule_changes

    try:
        old_kb, new_kb = load_knowledge_base(old_dir), load_knowledge_base(new_dir)
    except KnowledgeBaseError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 3
    found = discover(paths)
    for missing in found.missing:
        err.print(f"error: {missing}: no such file or folder", markup=False, highlight=False)
    if found.missing or not (found.features or found.case_files):
        if not found.missing:
            err.print("error: no .feature, .yaml, .yml or .json suite found", markup=False, highlight=False)
        return 2
    with ConsoleProgress(err) as progress:
        old = run_suites(found, rules_dir=old_dir, progress=progress)
        new = run_suites(found, rules_dir=new_dir, progress=progress)
    console.print(f"rule set {old_kb.version} ({old_dir}) → {new_kb.version} ({new_dir})", highlight=False)
    files = changed_paths(old_dir, new_dir)
    console.print(f"files changed: {', '.join(files) or 'none'}", highlight=False)
    for line in rule_changes(old_kb, new_kb):
        console.print(f"  {escape(line)}", highlight=False)
    changes = diff_runs(old, new)
    if not changes:
        console.print(f"No scenario's cards change ({len(new.results)} scenarios run).")
        return 0
    table = Table(title=f"{len(changes)} of {len(new.results)} scenarios change", title_justify="left")
    table.add_column("suite")
    table.add_column("scenario")
    table.add_column("cards (- old only, + new only, ~ changed)")
    for change in changes:
        where = f"{change.suite}:{change.line}" if change.line else change.suite
        table.add_row(escape(where), escape(change.title), escape("\n".join(change.changes)))
    console.print(table)
    return 1
