"""The ``clinrules`` command line: evaluate scenarios, inspect rules, print the schema, serve."""

# Annotations are evaluated when the module is imported (no `from __future__ import annotations`): typer
# reads every command's annotations at each start, and would otherwise evaluate each string again.

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from engine.errors import ClinrulesError, FieldProblem, ScenarioError
from service.analytics.command import report
from service.cli_common import INDICATOR_STYLE, RulesDir, err, load_rules, out, run_as_process, short_command
from service.db_cli import db_app
from service.rules_cli import rules_app
from service.terms_cli import terms

if TYPE_CHECKING:
    from engine.findings import Evaluation
    from engine.scenario import Scenario

# Each command imports what it needs when it runs (the engine's models, durable-rules, the FHIR intake, the
# service): `clinrules evaluate` must start fast, and `clinrules --help` should not load the engine at all.

app = typer.Typer(
    help="clinrules: clinical decision support for HIV IRIS, thalidomide safety and related rules.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(rules_app, name="rules")


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


def scenario_from_input(data: Any, at: datetime | None) -> "tuple[Scenario, list[str]]":
    """A scenario from project JSON or a FHIR R4 Bundle/resource, with notes on data left out."""
    from engine.validation import parse_scenario

    # engine.fhir.looks_like_fhir's test, made here so that project JSON never imports the FHIR intake.
    if isinstance(data, dict) and isinstance(data.get("resourceType"), str):
        from engine import fhir

        imported = fhir.scenario_from_resources([data], evaluation_time=at).checked()
        return imported.scenario, imported.notes
    return parse_scenario(data), []


def _table(result: "Evaluation", notes: list[str]) -> None:
    out.print(f"Evaluated at {result.evaluated_at.isoformat()}  ·  rule set {result.ruleset_version}")
    if not result.findings:
        out.print("No alerts.")
    else:
        from rich.table import Table

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


def _shadow_lines(result: "Evaluation") -> None:
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
    short_command()
    from engine.evaluator import Evaluator

    data = _read_input(file)
    when = None if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    kb = load_rules(rules)  # first: the scenario's checks then share its value sets
    try:
        scenario, notes = scenario_from_input(data, when)
    except ScenarioError as exc:
        _fail_fields(exc.problems)
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
    short_command()
    from engine.scenario import Scenario

    out.print_json(json.dumps(Scenario.model_json_schema(), ensure_ascii=False))


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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
) -> None:
    """Run the HTTP service (the project's API and CDS Hooks)."""
    from service.server import run

    run(host, port, workers)


app.add_typer(db_app, name="db")
app.command("terms")(terms)
app.command("report")(report)


def main() -> None:
    """Entry point of the ``clinrules`` console script."""
    run_as_process(app)


if __name__ == "__main__":  # pragma: no cover
    main()
