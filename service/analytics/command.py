"""``clinrules report``: the alert analytics of the configured audit database."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import click
from click.exceptions import Exit

from service.cli_common import err, stdout_console


class ReportFormat(StrEnum):
    """Output formats of ``clinrules report``."""

    table = "table"
    csv = "csv"
    json = "json"


@click.command("report")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day counted (UTC), e.g. 2026-11-01.")
@click.option(
    "--format",
    "output",
    type=click.Choice(ReportFormat),
    default=ReportFormat.table,
    show_default=True,
    help="table, csv or json.",
)
@click.option(
    "--rules",
    type=click.Path(path_type=Path),
    help="Rules folder naming the topics (default: the setting's).",
)
def report(since: datetime | None, output: ReportFormat, rules: Path | None) -> None:
    """Alert analytics per rule, rule-set version and ISO week: evaluations, firings, firing rate, shadow
    rules' would-be firings, cards accepted and overridden, each override reason.

    Reads the database of CLINRULES_DATABASE_URL (as `clinrules serve` does). Exit 1 if its schema is not
    this code's, 2 if it cannot be used (unreachable, or a SQLite file that does not exist).
    """
    # Imported here, so that the rest of the command line does not load SQLAlchemy to start.
    from engine.errors import KnowledgeBaseError
    from engine.knowledge import load_knowledge_base
    from service.analytics.render import to_csv, to_json, to_table
    from service.analytics.report import build_report
    from service.audit.migrate import schema_state
    from service.db_cli import command_engine, database_errors
    from service.settings_check import settings_or_exit

    out = stdout_console()
    settings = settings_or_exit()
    try:
        kb = load_knowledge_base(rules or settings.rules_dir, settings.thresholds)
    except KnowledgeBaseError as exc:
        err.print(f"error: {exc}", markup=False)
        raise Exit(1) from exc
    with database_errors(settings.database_url):
        # Only reads: a mistyped SQLite path is refused, not created; a long report is not cut short.
        engine = command_engine(settings, create=False)
        try:
            state = schema_state(engine)
            if not state.up_to_date:
                err.print(
                    f"error: the audit database is at schema revision {state.describe()}, this clinrules "
                    f"reads {state.head}: run `clinrules db upgrade` (or start the service once)",
                    markup=False,
                )
                raise Exit(1)
            built = build_report(engine, kb, date(since.year, since.month, since.day) if since else None)
        finally:
            engine.dispose()
    if output is ReportFormat.json:
        print(to_json(built))
    elif output is ReportFormat.csv:
        print(to_csv(built), end="")
    else:
        out.print(to_table(built))
