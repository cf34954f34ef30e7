"""Alert analytics on a seeded audit database (SQLite and PostgreSQL): the report, `clinrules report` in
each format and ``GET /analytics`` agree with counts made by hand (tests/analytics/seed.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from engine.knowledge import load_knowledge_base
from service.analytics.report import build_report, iso_week
from service.app import create_app
from service.cli import app as cli
from service.database import make_engine
from service.settings import Settings
from tests.analytics.seed import RATES, SINCE, expected_rows, rules_dir, seed

COUNTED = ("week", "ruleset_version", "topic", "rule_id", "status", "evaluations", "firings",
           "shadow_firings", "cards", "accepted", "overridden", "override_reasons")  # fmt: skip


def _counted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: row[k] for k in COUNTED} for row in rows]


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> tuple[str, Path, str]:
    rules = rules_dir(tmp_path)
    return database_url, rules, seed(database_url, rules)


def test_weeks_are_iso_weeks_starting_on_monday() -> None:
    assert iso_week(date(2026, 11, 22)) == ("2026-W47", date(2026, 11, 16))  # a Sunday
    assert iso_week(date(2027, 1, 1)) == ("2026-W53", date(2026, 12, 28))  # ISO year, not calendar year


def test_the_report_counts_what_was_seeded(seeded: tuple[str, Path, str]) -> None:
    url, rules, now = seeded
    engine = make_engine(url)
    try:
        report = build_report(engine, load_knowledge_base(rules), SINCE)
        everything = build_report(engine, load_knowledge_base(rules))
    finally:
        engine.dispose()
    rows = [row.model_dump(mode="json") for row in report.rows]
    assert _counted(rows) == expected_rows(now)
    assert {(r["week"], r["topic"]): (r["firing_rate"], r["shadow_firing_rate"]) for r in rows} == RATES
    assert [(w.week, w.week_start, w.evaluations) for w in report.weeks] == [
        ("2026-W47", date(2026, 11, 16), 3), ("2026-W48", date(2026, 11, 23), 5),
        ("2026-W49", date(2026, 11, 30), 2),
    ]  # fmt: skip
    assert _counted([r.model_dump(mode="json") for r in everything.rows]) == expected_rows(now, since=False)


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, rules: Path, *args: str) -> str:
    monkeypatch.setenv("CLINRULES_DATABASE_URL", url)
    monkeypatch.setenv("CLINRULES_RULES_DIR", str(rules))
    result = CliRunner().invoke(cli, ["report", "--since", SINCE.isoformat(), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_clinrules_report_json_and_csv_agree_with_the_seed(
    seeded: tuple[str, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, rules, now = seeded
    data = json.loads(_cli(monkeypatch, url, rules, "--format", "json"))
    assert data["since"] == "2026-11-16" and data["ruleset_version"] == now
    assert _counted(data["rows"]) == expected_rows(now)
    lines = list(csv.DictReader(io.StringIO(_cli(monkeypatch, url, rules, "--format", "csv"))))
    reasons = sorted({r for row in expected_rows(now) for r in row["override_reasons"]})
    for line, want in zip(lines, expected_rows(now), strict=True):
        for key in ("week", "ruleset_version", "topic", "status"):
            assert line[key] == want[key]
        for key in ("evaluations", "firings", "shadow_firings", "cards", "accepted", "overridden"):
            assert int(line[key]) == want[key], (key, line)
        assert float(line["firing_rate"]) == RATES[want["week"], want["topic"]][0]
        assert {r: int(line[f"override:{r}"]) for r in reasons} == {
            r: want["override_reasons"].get(r, 0) for r in reasons
        }


def test_clinrules_report_table_shows_the_counts(
    seeded: tuple[str, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, rules, now = seeded
    monkeypatch.setenv("COLUMNS", "250")
    text = _cli(monkeypatch, url, rules)
    line = next(x for x in text.splitlines() if "2026-W48" in x and "low-cd4 " in x and "shadow" not in x)
    cells = [c.strip() for c in line.strip("│ ").split("│")]
    assert cells[:11] == ["2026-W48", now, "low-cd4", "active", "5", "3", "60.0%", "-", "3", "0", "3"]
    assert "not-relevant 1" in cells[11]
    shadow = next(x for x in text.splitlines() if "2026-W48" in x and "low-cd4-200" in x)
    assert "3 (60.0%)" in shadow and "shadow" in shadow


def test_the_analytics_endpoint_answers_the_same_numbers(
    seeded: tuple[str, Path, str], tmp_path: Path
) -> None:
    url, rules, now = seeded
    settings = Settings(database_url=url, rules_dir=rules, salt_file=tmp_path / "salt", _env_file=None)
    with TestClient(create_app(settings)) as client:
        answer = client.get("/analytics", params={"since": "2026-11-16"})
        assert answer.status_code == 200
        assert _counted(answer.json()["rows"]) == expected_rows(now)
        bad = client.get("/analytics", params={"since": "last tuesday"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert "since" in bad.text


def test_clinrules_report_on_a_database_without_the_schema_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "new.db").touch()  # an empty SQLite database (a missing file is refused: exit 2)
    monkeypatch.setenv("CLINRULES_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = CliRunner().invoke(cli, ["report"])
    assert result.exit_code == 1
    assert "none (empty database)" in result.stderr and "clinrules db upgrade" in result.stderr
