"""``clinrules rules``: list, show, cover, lint, diff and mutate the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.exceptions import Exit
from rich.markup import escape

from service.cli_common import Group, err, load_rules, out, paths_argument, rules_option, short_command


@click.group("rules", cls=Group, no_args_is_help=True)
def rules_group() -> None:
    """Inspect the knowledge base in rules/."""


LIST_COLUMNS = ("id", "version", "status", "indicator", "evidence", "title")
"""The columns of `clinrules rules list`, which its help names."""


@rules_group.command("list")
@rules_option
def rules_list(rules: Path | None) -> None:
    """List every rule: id, version, status, indicator, evidence and title."""
    short_command()
    kb = load_rules(rules)
    from rich.table import Table

    table = Table(title=f"rule set {kb.version}")
    for column in LIST_COLUMNS:
        table.add_column(column)
    for r in sorted(kb.rules.values(), key=lambda r: r.id):
        table.add_row(
            *(escape(v) for v in (r.id, r.version, r.status.value, r.indicator.value, r.evidence, r.title))
        )
    out.print(table)


@rules_group.command("show")
@click.argument("rule_id", help="Rule id, e.g. iris-risk.")
@rules_option
def rules_show(rule_id: str, rules: Path | None) -> None:
    """Show one rule: texts, statements, citations, parameters in force and its condition."""
    short_command()
    kb = load_rules(rules)
    rule = kb.rules.get(rule_id)
    if rule is None:
        err.print(f"error: no rule '{rule_id}'; try 'clinrules rules list'", markup=False)
        raise Exit(2)
    out.print(
        f"[bold]{escape(rule.id)}[/bold] {escape(f'{rule.version} ({rule.status.value}) — {rule.title}')}"
    )
    out.print(
        f"topic urn:clinrules:topic|{rule.topic} · indicator {rule.indicator.value}"
        f" · evidence {rule.evidence}",
        markup=False,
    )
    out.print(f"file {rule.path}\n", markup=False)
    out.print(
        f"[bold]Summary[/bold]\n{escape(rule.summary)}\n\n[bold]Detail[/bold]\n{escape(rule.detail.strip())}\n"
    )
    out.print("[bold]Statements[/bold]")
    for sid in rule.statements:
        st = kb.statements[sid]
        out.print(f"  {sid} ({st.source}, {st.evidence}): {st.text}", markup=False)
    out.print("[bold]Citations[/bold]")
    for src in kb.citations(rule):
        out.print(f"  {src.id}: {src.citation}", markup=False)
    if rule.parameters:
        out.print("[bold]Parameters[/bold]")
        for name, p in rule.parameters.items():
            out.print(
                f"  {name} = {kb.params(rule.id)[name]:g} {p.unit or ''} "
                f"(range {p.min:g}-{p.max:g}): {p.description}",
                markup=False,
            )
    out.print("[bold]Condition[/bold]")
    out.print(json.dumps(rule.when, indent=2, ensure_ascii=False), markup=False, highlight=False)


@rules_group.command("coverage")
@rules_option
def rules_coverage(rules: Path | None) -> None:
    """Every source statement: the rules that encode it, or why none does. Exit 1 if one is uncovered."""
    short_command()
    kb = load_rules(rules)
    from rich.table import Table

    table = Table(title="statement coverage")
    for column in ("statement", "source", "encoded by / reason"):
        table.add_column(column)
    uncovered = 0
    for sid, st in kb.statements.items():
        by = kb.encoded_by[sid]
        if by:
            cell = escape(", ".join(by))
        elif st.not_encoded:
            cell = escape(f"not encoded: {st.not_encoded}")
        else:
            cell = "[red]NOT COVERED[/red]"
            uncovered += 1
        table.add_row(escape(sid), escape(st.source), cell)
    out.print(table)
    out.print(f"{len(kb.statements)} statements, {uncovered} not covered")
    if uncovered:
        raise Exit(1)


@rules_group.command("lint")
@rules_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def rules_lint(rules: Path | None, strict: bool) -> None:
    """Check the rules folder and list every problem. Exit 1 on an error (or, with --strict, a warning)."""
    short_command()
    from engine.lint import STATUS_MEANING, lint_rules, rule_statuses

    problems = lint_rules(rules)
    for status, ids in rule_statuses(rules).items():
        what = STATUS_MEANING[status]
        out.print(
            f"{status}: {len(ids)} ({what})" + (f": {', '.join(ids)}" if ids and status != "active" else ""),
            markup=False,
        )
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        out.print(f"[{style}]{p.severity}[/]: {escape(f'{p.path}: {p.field}: {p.message}')}", highlight=False)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    out.print(f"{errors} errors, {warnings} warnings")
    if errors or (strict and warnings):
        raise Exit(1)


@rules_group.command("diff")
@click.argument("old", type=click.Path(path_type=Path), help="The rules folder before the change.")
@click.argument("new", type=click.Path(path_type=Path), help="The rules folder after the change.")
@paths_argument("suites", "Suites to run under both (files or folders).")
def rules_diff(old: Path, new: Path, suites: tuple[Path, ...]) -> None:
    """List the scenarios whose cards change between two rule sets. Exit 1 when some do, as diff(1)."""
    from service.suites.commands import diff_command

    raise Exit(diff_command(old, new, list(suites), out, err))


@rules_group.command("mutate")
@paths_argument("suites", "Suites to run (feature files, case files, folders).")
@rules_option
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: one per CPU).")
@click.option("--rule", multiple=True, help="Mutate only this rule (repeatable).")
@click.option(
    "--equivalents",
    type=click.Path(path_type=Path),
    help="Known equivalent mutants (default: RULES/mutation-equivalents.yaml).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--junit", type=click.Path(path_type=Path), help="Write a JUnit XML report here.")
@click.option(
    "--write-scores", type=click.Path(path_type=Path), help="Write the per-rule scores the catalogue shows."
)
@click.option(
    "--min-score",
    type=click.FloatRange(min=0, max=100),
    help="Exit 1 when the score (percent) is below this.",
)
def rules_mutate(
    suites: tuple[Path, ...],
    rules: Path | None,
    workers: int | None,
    rule: tuple[str, ...],
    equivalents: Path | None,
    as_json: bool,
    junit: Path | None,
    write_scores: Path | None,
    min_score: float | None,
) -> None:
    """Mutation testing: change each rule one step at a time and list the changes no scenario notices."""
    from service.suites.mutate_command import mutate_command

    code = mutate_command(
        list(suites), out, err, rules_dir=rules, workers=workers, rule_ids=list(rule) or None,
        equivalents=equivalents, as_json=as_json, junit=junit, write_scores=write_scores, min_score=min_score,
    )  # fmt: skip
    raise Exit(code)
