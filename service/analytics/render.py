"""The analytics report as a terminal table (rich), CSV, or JSON."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from service.analytics.report import AnalyticsReport

if TYPE_CHECKING:
    from rich.table import Table

CSV_COLUMNS = (
    "week", "week_start", "ruleset_version", "topic", "rule_id", "status", "evaluations", "firings",
    "firing_rate", "shadow_firings", "shadow_firing_rate", "cards", "accepted", "overridden",
)  # fmt: skip
"""The fixed CSV columns; one ``override:<reason>`` column per override reason found follows them."""


def reasons_of(report: AnalyticsReport) -> list[str]:
    """Every override reason in the report, sorted."""
    return sorted({reason for row in report.rows for reason in row.override_reasons})


def to_csv(report: AnalyticsReport) -> str:
    """One line per week, rule-set version and topic; override reasons as ``override:<reason>`` columns."""
    reasons = reasons_of(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(f"override:{r}" for r in reasons)])
    for row in report.rows:
        values = row.model_dump(mode="json")
        writer.writerow(
            [*("" if values[c] is None else values[c] for c in CSV_COLUMNS)]
            + [row.override_reasons.get(r, 0) for r in reasons]
        )
    return buffer.getvalue()


def to_json(report: AnalyticsReport) -> str:
    """The report as JSON, as ``GET /analytics`` answers it."""
    return report.model_dump_json(indent=2)


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def to_table(report: AnalyticsReport) -> Table:
    """A rich table: one line per week, rule-set version and topic."""
    from rich.markup import escape
    from rich.table import Table  # the command line's; a service worker never loads rich

    since = report.since.isoformat() if report.since else "the start of the audit"
    table = Table(title=f"Alert analytics since {since} (rule set in force {report.ruleset_version})")
    for column, justify in (
        ("week", "left"), ("rule set", "left"), ("topic", "left"), ("status", "left"),
        ("evaluations", "right"), ("fired", "right"), ("rate", "right"),
        ("would fire (shadow)", "right"), ("cards", "right"), ("accepted", "right"),
        ("overridden", "right"), ("override reasons", "left"),
    ):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report.rows:
        shadow = f"{row.shadow_firings} ({_percent(row.shadow_firing_rate)})" if row.shadow_firings else "-"
        cells = (
            row.week,
            row.ruleset_version,
            row.topic,
            row.status,
            str(row.evaluations),
            str(row.firings),
            _percent(row.firing_rate),
            shadow,
            str(row.cards),
            str(row.accepted),
            str(row.overridden),
            ", ".join(f"{reason} {n}" for reason, n in row.override_reasons.items()),
        )
        # Override reason codes come from the EHR's feedback: a "[...]" in one is text, not markup.
        table.add_row(*(escape(cell) for cell in cells))
    return table
