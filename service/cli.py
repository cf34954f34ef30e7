"""The ``clinrules`` command line: evaluate scenarios, inspect rules, print the schema, serve."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from click.exceptions import Exit
from rich.markup import escape

from engine.errors import ClinrulesError, FieldProblem, ScenarioError
from service.cli_common import (
    INDICATOR_STYLE,
    LazyCommand,
    LazyGroup,
    err,
    load_rules,
    out,
    paths_argument,
    rules_option,
    run_as_process,
    short_command,
)

if TYPE_CHECKING:
    from engine.findings import Evaluation
    from engine.scenario import Scenario
    from engine.valuesets import ValueSets

# Each command imports what it needs when it runs (the engine's models, durable-rules, the FHIR intake, the
# service), and the commands of other modules are imported only when run (or their help shown):
# `clinrules evaluate` must start fast, and `clinrules --help` should not load the engine at all.
LAZY = {
    "terms": LazyCommand(
        "service.terms_cli:terms",
        "Show the concepts a code is recognised as, and the published source (or hand-kept reason) of each.",
    ),
    "report": LazyCommand(
        "service.analytics.command:report",
        "Alert analytics per rule, rule-set version and ISO week: evaluations, firings, firing rate, shadow "
        "rules' would-be firings, cards accepted and overridden, each override reason.",
    ),
    "rules": LazyCommand("service.rules_cli:rules_group", "Inspect the knowledge base in rules/."),
    "db": LazyCommand("service.db_cli:db_group", "The audit database: schema version, upgrades, retention."),
}
"""The commands defined in other modules, and their short help (``--help`` lists them without importing
them; a test holds each to the command's own)."""


@click.group("clinrules", cls=LazyGroup, lazy=LAZY, no_args_is_help=True)
def app() -> None:
    """clinrules: clinical decision support for HIV IRIS, thalidomide safety and related rules."""


class IsoDateTime(click.ParamType[datetime]):
    """A date and time read as pydantic reads a scenario's (ISO 8601, a date alone, or Unix seconds), so that
    ``--at`` accepts exactly what it did when typer parsed it (with pydantic)."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        """``value`` as a datetime (aware when it names its offset), or a usage error saying why not."""
        if isinstance(value, datetime):
            return value
        from pydantic import TypeAdapter, ValidationError

        try:
            return TypeAdapter(datetime).validate_python(value)
        except ValidationError as exc:
            self.fail(str(exc.errors()[0]["msg"]), param, ctx)


def _fail_fields(problems: list[FieldProblem]) -> NoReturn:
    for p in problems:
        err.print(f"error: {p.field}: {p.message}", markup=False, highlight=False)
    raise Exit(2)


def _read_input(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        err.print(f"error: {source}: {exc.strerror}", markup=False)
        raise Exit(2) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail_fields(
            [FieldProblem("(body)", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
        )


def scenario_from_input(
    data: Any, at: datetime | None, value_sets: ValueSets | None = None
) -> tuple[Scenario, list[str]]:
    """A scenario from project JSON or a FHIR R4 Bundle/resource, with notes on data left out; its codes,
    texts and units read with ``value_sets`` (those of the rules it is evaluated with)."""
    from engine.validation import scenario_with_notes

    # engine.fhir.looks_like_fhir's test, made here so that project JSON never imports the FHIR intake.
    if isinstance(data, dict) and isinstance(data.get("resourceType"), str):
        from engine import fhir

        imported = fhir.scenario_from_resources([data], evaluation_time=at, value_sets=value_sets).checked()
        return imported.scenario, imported.notes
    return scenario_with_notes(data, value_sets)


def _table(result: Evaluation, notes: list[str]) -> None:
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
                escape(f.topic),
                escape(f.summary),
                escape(why),
                escape(f"{f.evidence} ({cites})"),
            )
        out.print(table)
    for note in notes:
        out.print(f"[dim]note: {escape(note)}[/dim]")


def _shadow_lines(result: Evaluation) -> None:
    out.print("[bold]Shadow rules[/bold] (evaluated and audited, never shown to a clinician):")
    if not result.shadow_findings:
        out.print("  none would have fired.")
    for f in result.shadow_findings:
        out.print(
            f"  would have fired: {f.topic} ({f.indicator.value}) — {f.summary}",
            markup=False,
            highlight=False,
        )


@app.command()
@click.argument("file", help="Scenario file (project JSON or FHIR R4 Bundle), or - for stdin.")
@click.option("--at", type=IsoDateTime(), help="Evaluation time (ISO 8601); default: the scenario's or now.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--shadow", is_flag=True, help="Also show what the shadow rules would have said.")
@rules_option
def evaluate(file: str, at: datetime | None, as_json: bool, shadow: bool, rules: Path | None) -> None:
    """Evaluate one patient scenario and print its alerts. Exit code 2 for an invalid scenario.

    Shadow rules are evaluated too, but their findings are shown only with ``--shadow``, apart.
    """
    short_command()
    from engine.derive import DerivationSettings
    from engine.evaluator import Evaluator
    from service.time_zone import configured_time_zone

    data = _read_input(file)
    when = None if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    kb = load_rules(rules)  # first: the scenario is read with its value sets
    try:
        scenario, notes = scenario_from_input(data, when, kb.value_sets)
    except ScenarioError as exc:
        _fail_fields(exc.problems)
    try:
        zone = configured_time_zone()
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise Exit(1) from exc
    try:
        result = Evaluator(kb, DerivationSettings(time_zone=zone)).evaluate(scenario, at=when)
    except ClinrulesError as exc:
        err.print(f"error: {exc}", markup=False)
        raise Exit(1) from exc
    notes = [*result.notes, *notes]
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
@paths_argument("paths", "Feature files, YAML/JSON case files, or folders holding them.")
@click.option("--url", help="Run against a running service (e.g. http://127.0.0.1:8000), not in process.")
@click.option("--junit", type=click.Path(path_type=Path), help="Write a JUnit XML report here.")
@click.option("--cucumber", type=click.Path(path_type=Path), help="Write a Cucumber JSON report here.")
@rules_option
def test_suites(
    paths: tuple[Path, ...], url: str | None, junit: Path | None, cucumber: Path | None, rules: Path | None
) -> None:
    """Run scenario suites; exit 1 when a scenario fails, 2 when there is nothing to run or no service."""
    from service.suites.commands import test_command

    code = test_command(list(paths), out, err, url=url, junit=junit, cucumber=cucumber, rules_dir=rules)
    raise Exit(code)


@app.command()
@click.option("--host", help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 8000).")
@click.option("--workers", type=int, help="Worker processes (default 1).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP service (the project's API and CDS Hooks)."""
    from service.server import run

    run(host, port, workers)


def main() -> None:
    """Entry point of the ``clinrules`` console script."""
    run_as_process(app)


if __name__ == "__main__":  # pragma: no cover
    main()
