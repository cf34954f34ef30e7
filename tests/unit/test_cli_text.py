"""The command line prints rule, patient and client text as written.

A "[...]" or ":name:" in such text is data, never rich markup or an emoji code: before, a note on unread
patient data holding "[/]" stopped `clinrules evaluate` with a traceback, and a "[REMS]" in a rule's
summary vanished from the table.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from service.analytics.render import to_table
from service.analytics.report import AnalyticsReport, TopicWeek
from service.cli import app
from tests.kb_factory import make_kb_dir, rule

runner = CliRunner()
MARKED_SUMMARY = "Check [REMS] first :pill: [/]"
MARKED_TITLE = "HIV [bold]marked[/bold] rule"


def _bundle_with_marked_unit(tmp_path: Path) -> Path:
    entries = [
        {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1984-03-02"},
        {
            "resourceType": "Observation",
            "id": "o1",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "24467-3"}]},
            "effectiveDateTime": "2026-05-20",
            "valueQuantity": {"value": 42, "unit": "cells", "code": "[red]/uL[/] :warning:"},
        },
    ]
    path = tmp_path / "bundle.json"
    path.write_text(
        json.dumps(
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in entries]}
        )
    )
    return path


def test_a_note_on_unread_patient_data_is_printed_as_written(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", str(_bundle_with_marked_unit(tmp_path)), "--at", "2026-06-01T00:00:00Z"]
    )
    assert result.exception is None, result.output
    assert result.exit_code == 0
    assert "note: Observation/o1: unit '[red]/uL[/] :warning:' cannot be converted" in result.output


def _marked_rules(tmp_path: Path) -> Path:
    body = rule("marked", {"fact": "hiv", "is": True}, title=MARKED_TITLE, summary=MARKED_SUMMARY)
    return make_kb_dir(tmp_path, [body])


def test_a_rule_text_with_brackets_and_colons_is_printed_as_written(tmp_path: Path) -> None:
    rules = _marked_rules(tmp_path)
    scenario = tmp_path / "patient.json"
    scenario.write_text(
        json.dumps({"evaluation_time": "2026-06-01T00:00:00Z", "conditions": [{"code": "B20"}]})
    )

    evaluated = runner.invoke(app, ["evaluate", str(scenario), "--rules", str(rules)])
    assert evaluated.exception is None, evaluated.output
    assert MARKED_SUMMARY in evaluated.output

    shown = runner.invoke(app, ["rules", "show", "marked", "--rules", str(rules)])
    assert shown.exception is None, shown.output
    assert MARKED_TITLE in shown.output and MARKED_SUMMARY in shown.output

    listed = runner.invoke(app, ["rules", "list", "--rules", str(rules)])
    assert listed.exception is None, listed.output
    assert MARKED_TITLE in listed.output


def test_an_override_reason_from_the_ehr_is_printed_as_written() -> None:
    row = TopicWeek(
        week="2026-W49",
        week_start=date(2026, 11, 30),
        ruleset_version="abc",
        topic="iris-risk",
        rule_id="iris-risk",
        status="active",
        evaluations=2,
        firings=1,
        firing_rate=0.5,
        shadow_firings=0,
        shadow_firing_rate=0.0,
        cards=1,
        accepted=0,
        overridden=1,
        override_reasons={"http://ehr.example|[/]:x:": 1},
    )
    report = AnalyticsReport(
        generated_at=datetime(2026, 12, 2, tzinfo=UTC),
        since=None,
        ruleset_version="abc",
        weeks=[],
        rows=[row],
    )
    console = Console(file=io.StringIO(), width=400, emoji=False)
    console.print(to_table(report))
    assert "http://ehr.example|[/]:x: 1" in console.file.getvalue()  # type: ignore[attr-defined]
