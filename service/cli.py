"""The ``clinrules`` command line: evaluate scenarios, inspect rules, print the schema, serve."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from engine.errors import ClinrulesError, FieldProblem, KnowledgeBaseError, ScenarioError
from engine.findings import Evaluation
from engine.knowledge import KnowledgeBase, load_knowledge_base
from engine.scenario import Scenario
from service.analytics.command import report
from service.terms_cli import terms

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from service.settings import Settings

app = typer.Typer(
    help="clinrules: clinical decision support for HIV IRIS, thalidomide safety and related rules.",
    no_args_is_help=True,
    add_completion=False,
)
rules_app = typer.Typer(help="Inspect the knowledge base in rules/.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

RulesDir = Annotated[
    Path | None,
    typer.Option("--rules", help="Rules directory (default: the project's rules/).", show_default=False),
]
INDICATOR_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def _load(rules: Path | None) -> KnowledgeBase:
    try:
        return load_knowledge_base(rules)
    except KnowledgeBaseError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(3) from exc


def _fail_fields(problems: list[FieldProblem]) -> None:
    for p in problems:
        err.print(f"error: {p.field}: {p.message}", markup=False, highlight=False)
    raise typer.Exit(2)


def _read_input(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        err.print(f"error: {source}: {exc.strerror}", markup=False)
        raise typer.Exit(2) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail_fields(
            [FieldProblem("(body)", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
        )


def scenario_from_input(data: Any, at: datetime | None) -> tuple[Scenario, list[str]]:
    """A scenario from project JSON or a FHIR R4 Bundle/resource, with notes on data left out."""
    from engine.validation import parse_scenario

    # engine.fhir.looks_like_fhir's test, made here so that project JSON never imports the FHIR intake.
    if isinstance(data, dict) and isinstance(data.get("resourceType"), str):
        from engine import fhir

        imported = fhir.scenario_from_resources([data], evaluation_time=at).checked()
        return imported.scenario, imported.notes
    return parse_scenario(data), []


def _table(result: Evaluation, notes: list[str]) -> None:
    out.print(f"Evaluated at {result.evaluated_at.isoformat()}  ·  rule set {result.ruleset_version}")
    if not result.findings:
        out.print("No alerts.")
    else:
        table = Table(show_lines=True)
        for column in ("indicator", "topic", "summary", "why", "evidence"):
            table.add_column(column)
        for f in result.findings:
            why = "\n".join(f"• {b.text}" for b in f.because)
            cites = ", ".join(c.id for c in f.citations)
            table.add_row(
                f"[{INDICATOR_STYLE[f.indicator.value]}]{f.indicator.value}[/]",
                f.topic,
                f.summary,
                why,
                f"{f.evidence} ({cites})",
            )
        out.print(table)
    for note in notes:
        out.print(f"[dim]note: {note}[/dim]")


def _shadow_lines(result: Evaluation) -> None:
    out.print("[bold]Shadow rules[/bold] (evaluated and audited, never shown to a clinician):")
    if not result.shadow_findings:
        out.print("  none would have fired.")
    for f in result.shadow_findings:
        out.print(f"  would have fired: {f.topic} ({f.indicator.value}) — {f.summary}", highlight=False)


@app.command()
def evaluate(
    file: Annotated[
        str, typer.Argument(help="Scenario file (project JSON or FHIR R4 Bundle), or - for stdin.")
    ],
    at: Annotated[
        datetime | None,
        typer.Option("--at", help="Evaluation time (ISO 8601); default: the scenario's or now."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    shadow: Annotated[
        bool, typer.Option("--shadow", help="Also show what the shadow rules would have said.")
    ] = False,
    rules: RulesDir = None,
) -> None:
    """Evaluate one patient scenario and print its alerts. Exit code 2 for an invalid scenario.

    Shadow rules are evaluated too, but their findings are shown only with ``--shadow``, apart.
    """
    from engine.evaluator import Evaluator

    data = _read_input(file)
    when = None if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    try:
        scenario, notes = scenario_from_input(data, when)
    except ScenarioError as exc:
        _fail_fields(exc.problems)
    kb = _load(rules)
    try:
        result = Evaluator(kb).evaluate(scenario, at=when)
    except ClinrulesError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from exc
    if as_json:
        payload = result.model_dump(mode="json")
        payload["notes"] = notes
        if shadow:
            payload["shadow_findings"] = [f.model_dump(mode="json") for f in result.shadow_findings]
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        _table(result, notes)
        if shadow:
            _shadow_lines(result)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a patient scenario (the project's own JSON)."""
    out.print_json(json.dumps(Scenario.model_json_schema(), ensure_ascii=False))


@rules_app.command("list")
def rules_list(rules: RulesDir = None) -> None:
    """List every rule: id, status, indicator, topic and title."""
    kb = _load(rules)
    table = Table(title=f"rule set {kb.version}")
    for column in ("id", "version", "status", "indicator", "evidence", "title"):
        table.add_column(column)
    for r in sorted(kb.rules.values(), key=lambda r: r.id):
        table.add_row(r.id, r.version, r.status.value, r.indicator.value, r.evidence, r.title)
    out.print(table)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. iris-risk.")], rules: RulesDir = None
) -> None:
    """Show one rule: texts, statements, citations, parameters in force and its condition."""
    kb = _load(rules)
    rule = kb.rules.get(rule_id)
    if rule is None:
        err.print(f"error: no rule '{rule_id}'; try 'clinrules rules list'", markup=False)
        raise typer.Exit(2)
    out.print(f"[bold]{rule.id}[/bold] {rule.version} ({rule.status.value}) — {rule.title}")
    out.print(
        f"topic urn:clinrules:topic|{rule.topic} · indicator {rule.indicator.value}"
        f" · evidence {rule.evidence}"
    )
    out.print(f"file {rule.path}\n")
    out.print(
        f"[bold]Summary[/bold]\n{rule.summary}\n\n[bold]Detail[/bold]\n{rule.detail.strip()}\n", markup=True
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


@rules_app.command("coverage")
def rules_coverage(rules: RulesDir = None) -> None:
    """Every source statement: the rules that encode it, or why none does. Exit 1 if one is uncovered."""
    kb = _load(rules)
    table = Table(title="statement coverage")
    for column in ("statement", "source", "encoded by / reason"):
        table.add_column(column)
    uncovered = 0
    for sid, st in kb.statements.items():
        by = kb.encoded_by[sid]
        if by:
            cell = ", ".join(by)
        elif st.not_encoded:
            cell = f"not encoded: {st.not_encoded}"
        else:
            cell = "[red]NOT COVERED[/red]"
            uncovered += 1
        table.add_row(sid, st.source, cell)
    out.print(table)
    out.print(f"{len(kb.statements)} statements, {uncovered} not covered")
    if uncovered:
        raise typer.Exit(1)


@app.command("test")
def test_suites(
    paths: Annotated[
        list[Path], typer.Argument(help="Feature files, YAML/JSON case files, or folders holding them.")
    ],
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="Run against a running service (e.g. http://127.0.0.1:8000), not in process."
        ),
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report here.")] = None,
    cucumber: Annotated[
        Path | None, typer.Option("--cucumber", help="Write a Cucumber JSON report here.")
    ] = None,
    rules: RulesDir = None,
) -> None:
    """Run scenario suites; exit 1 when a scenario fails, 2 when there is nothing to run or no service."""
    from service.suites.commands import test_command

    raise typer.Exit(test_command(paths, out, err, url=url, junit=junit, cucumber=cucumber, rules_dir=rules))


@rules_app.command("lint")
def rules_lint(
    rules: RulesDir = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check the rules folder and list every problem. Exit 1 on an error (or, with --strict, a warning)."""
    from engine.lint import STATUS_MEANING, lint_rules, rule_statuses

    problems = lint_rules(rules)
    for status, ids in rule_statuses(rules).items():
        what = STATUS_MEANING[status]
        out.print(
            f"{status}: {len(ids)} ({what})" + (f": {', '.join(ids)}" if ids and status != "active" else "")
        )
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        out.print(f"[{style}]{p.severity}[/]: {p.path}: {p.field}: {p.message}", highlight=False)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    out.print(f"{errors} errors, {warnings} warnings")
    if errors or (strict and warnings):
        raise typer.Exit(1)


@rules_app.command("diff")
def rules_diff(
    old: Annotated[Path, typer.Argument(help="The rules folder before the change.")],
    new: Annotated[Path, typer.Argument(help="The rules folder after the change.")],
    suites: Annotated[list[Path], typer.Argument(help="Suites to run under both (files or folders).")],
) -> None:
    """List the scenarios whose cards change between two rule sets. Exit 1 when some do, as diff(1)."""
    from service.suites.commands import diff_command

    raise typer.Exit(diff_command(old, new, suites, out, err))


@rules_app.command("mutate")
def rules_mutate(
    suites: Annotated[list[Path], typer.Argument(help="Suites to run (feature files, case files, folders).")],
    rules: RulesDir = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: one per CPU).")
    ] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Mutate only this rule (repeatable).")
    ] = None,
    equivalents: Annotated[
        Path | None,
        typer.Option(
            "--equivalents", help="Known equivalent mutants (default: RULES/mutation-equivalents.yaml)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report here.")] = None,
    write_scores: Annotated[
        Path | None, typer.Option("--write-scores", help="Write the per-rule scores the catalogue shows.")
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option("--min-score", min=0, max=100, help="Exit 1 when the score (percent) is below this."),
    ] = None,
) -> None:
    """Mutation testing: change each rule one step at a time and list the changes no scenario notices."""
    from service.suites.mutate_command import mutate_command

    code = mutate_command(
        suites, out, err, rules_dir=rules, workers=workers, rule_ids=rule or None, equivalents=equivalents,
        as_json=as_json, junit=junit, write_scores=write_scores, min_score=min_score,
    )  # fmt: skip
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
) -> None:
    """Run the HTTP service (the project's API and CDS Hooks)."""
    from service.server import run

    run(host, port, workers)


# --- db: schema migrations and retention -------------------------------------------------------------
db_app = typer.Typer(help="The audit database: schema version, upgrades, retention.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _db_engine() -> tuple[Settings, Engine]:
    """The settings, and an engine on the configured database."""
    from service.database import make_engine
    from service.settings import get_settings

    settings = get_settings()
    return settings, make_engine(settings.database_url)


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and this code's newest. Exit 1 when they differ."""
    from service.audit.migrate import schema_state

    _, engine = _db_engine()
    try:
        state = schema_state(engine)
    finally:
        engine.dispose()
    out.print(f"database: {state.describe()}", highlight=False)
    out.print(f"code:     {state.head}", highlight=False)
    if not state.up_to_date:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to this code's newest revision (exit 1 if the database is newer)."""
    from service.audit.migrate import SchemaVersionError, upgrade

    _, engine = _db_engine()
    try:
        before = upgrade(engine)
    except SchemaVersionError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if before.up_to_date:
        out.print(f"already at {before.head}", highlight=False)
    else:
        out.print(f"upgraded from {before.describe()} to {before.head}", highlight=False)


@db_app.command("prune")
def db_prune(
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Keep this many days (default: CLINRULES_AUDIT_RETENTION_DAYS)."),
    ] = None,
) -> None:
    """Delete audit rows older than the retention period (evaluations, their cards and feedback)."""
    from datetime import timedelta

    from service.audit import AuditStore
    from service.audit.migrate import SchemaVersionError, prepare

    settings, engine = _db_engine()
    keep = days or settings.audit_retention_days
    cutoff = datetime.now(UTC) - timedelta(days=keep)
    try:
        prepare(engine, auto_upgrade=False)
        pruned = AuditStore(engine).prune(cutoff)
    except SchemaVersionError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    out.print(
        f"kept {keep} days (from {cutoff.isoformat(timespec='seconds')}): removed {pruned.evaluations} "
        f"evaluations, {pruned.cards} cards, {pruned.feedback} feedback, "
        f"{pruned.seen_tokens} expired token ids",
        highlight=False,
    )


# --- end db ---------------------------------------------------------------------------------------------


app.command("terms")(terms)
app.command("report")(report)


def main() -> None:
    """Entry point of the ``clinrules`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
