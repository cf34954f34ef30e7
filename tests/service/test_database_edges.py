"""The audit database at its edges: a PostgreSQL session in another time zone, a lock another session
holds, text PostgreSQL cannot store, commands on a database that cannot be used or is not there, and
migration 0002 going down with rows in place."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, make_url, text

from service.app import create_app
from service.audit import migrate
from service.audit.rows import RowEncoder
from service.cli import app as cli
from service.database import make_engine, sqlite_file
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

NEW_YORK = "-ctimezone=America/New_York"


@pytest.fixture
def new_york_url(postgres_url: str) -> str:
    """The test schema, in sessions whose time zone is America/New_York (as a server's default may be)."""
    url = make_url(postgres_url)
    return url.update_query_dict({"options": f"{url.query['options']} {NEW_YORK}"}).render_as_string(
        hide_password=False
    )


def _utc_text(url: str, sql: str) -> list[str]:
    reader = create_engine(url)
    try:
        with reader.connect() as conn:
            return list(conn.execute(text(sql)).scalars())
    finally:
        reader.dispose()


def test_postgres_sessions_run_in_utc(new_york_url: str) -> None:
    engine = make_engine(new_york_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "30s"
    finally:
        engine.dispose()


def test_a_time_without_offset_is_written_as_utc_in_any_session_time_zone(new_york_url: str) -> None:
    engine = create_engine(new_york_url)  # a plain engine: the encoder alone must make the time UTC
    migrate.upgrade(engine)
    value = RowEncoder(engine).time(datetime(2026, 6, 1, 9, 5))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO seen_tokens (key, expires_at) VALUES (%s, %s)", ("k", value))
    finally:
        engine.dispose()
    stored = "SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM seen_tokens"
    assert _utc_text(new_york_url, stored) == ["2026-06-01 09:05"]


def test_feedback_outcome_time_without_offset_is_utc(new_york_url: str) -> None:
    settings = Settings(database_url=new_york_url, patient_id_salt="s", _env_file=None)
    with TestClient(create_app(settings)) as client:
        card = client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk"))
        uuid = card.json()["cards"][0]["uuid"]
        for sent in ("2026-06-01T09:05:00", "2026-06-01T09:05:00Z"):
            body = {"feedback": [{"card": uuid, "outcome": "overridden", "outcomeTimestamp": sent}]}
            assert client.post("/cds-services/patient-view/feedback", json=body).status_code == 200
    stored = "SELECT to_char(outcome_timestamp AT TIME ZONE 'UTC', 'HH24:MI') FROM feedback ORDER BY id"
    assert _utc_text(new_york_url, stored) == ["09:05", "09:05"]


@contextmanager
def _locked_by_another_session(url: str) -> Iterator[None]:
    """``evaluations`` locked by another session meanwhile (PostgreSQL: ``LOCK TABLE``, as an operator's
    ALTER TABLE or VACUUM FULL would; SQLite: its write lock)."""
    path = sqlite_file(url)
    if path is not None:
        lite = sqlite3.connect(path, isolation_level=None)
        lite.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lite.execute("ROLLBACK")
            lite.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE evaluations IN ACCESS EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


def test_a_locked_audit_table_fails_the_call_after_the_database_timeout(database_url: str) -> None:
    settings = Settings(
        database_url=database_url, patient_id_salt="s", database_timeout_seconds=1, _env_file=None
    )
    answers: list[tuple[Any, float]] = []
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with _locked_by_another_session(database_url):
            started = time.monotonic()

            def call() -> None:
                answer = client.post(
                    "/cds-services/patient-view", json=load_fixture("patient-view-iris-risk")
                )
                answers.append((answer, time.monotonic() - started))

            caller = threading.Thread(target=call, daemon=True)
            caller.start()
            caller.join(15)  # SQLite's old fixed 30 s, and PostgreSQL's old "no limit", would still wait
        caller.join(30)
    assert answers and answers[0][1] < 15, "the call waited for the lock longer than 15 s"
    answer = answers[0][0]
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("field", ["system", "code"])
def test_control_characters_in_a_stored_override_reason_are_a_422_naming_it(
    database_url: str, field: str
) -> None:
    settings = Settings(database_url=database_url, patient_id_salt="s", _env_file=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        card = client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk"))
        uuid = card.json()["cards"][0]["uuid"]
        reason = {"system": "http://ehr.example.org/reasons", "code": "dismissed"}
        reason[field] = f"bad\u0000{reason[field]}"
        item = {"card": uuid, "outcome": "overridden", "outcomeTimestamp": "2026-06-01T09:05:00Z",
                "overrideReason": {"reason": reason}}  # fmt: skip
        answer = client.post("/cds-services/patient-view/feedback", json={"feedback": [item]})
    assert answer.status_code == 422, answer.text
    assert f"feedback.0.overrideReason.reason.{field}" in answer.text
    assert "control characters" in answer.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("args", [["db", "current"], ["db", "upgrade"], ["db", "prune"], ["report"]])
def test_commands_on_an_unreachable_database_say_so_in_one_line_and_exit_2(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://clinrules:s3cret-pw@127.0.0.1:{_closed_port()}/clinrules"
    monkeypatch.setenv("CLINRULES_DATABASE_URL", url)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: cannot use the database: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://u:s3cret-pw@host:notaport/db", "mysql://u:s3cret-pw@127.0.0.1/x", "nonsense"],
)
def test_a_malformed_url_or_a_missing_driver_is_one_line_and_exit_2(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINRULES_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: cannot use the database: ")
    assert "s3cret-pw" not in result.output and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["db", "current"], ["db", "prune"], ["report"]])
def test_commands_that_need_a_database_do_not_create_a_missing_sqlite_file(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo" / "clinrules.db"
    monkeypatch.setenv("CLINRULES_DATABASE_URL", f"sqlite:///{missing}")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"error: cannot use the database: there is no SQLite database at {missing}" in result.stderr
    assert not missing.parent.exists()


def test_db_upgrade_and_the_service_still_create_their_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a" / "one.db", tmp_path / "b" / "two.db"
    monkeypatch.setenv("CLINRULES_DATABASE_URL", f"sqlite:///{first}")
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0 and first.is_file()
    with TestClient(create_app(Settings(database_url=f"sqlite:///{second}", _env_file=None))) as client:
        assert client.get("/ready").status_code == 200
    assert second.is_file()


def test_migration_0002_goes_down_with_cards_in_place(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO evaluations (id, created_at, service, ruleset_version, topics, card_count, "
                    "latency_ms) VALUES ('e1', :at, 's', 'v', '[]', 1, 1.0)"
                ),
                {"at": datetime(2026, 1, 1, tzinfo=UTC)},
            )
            conn.execute(
                text("INSERT INTO cards VALUES ('c1', 'e1', 's', 'r', '1', 't', 'info', '[]', '[]')")
            )
        with engine.begin() as conn:
            command.downgrade(migrate._config(conn), "0001")
        with engine.connect() as conn:
            assert [c["name"] for c in inspect(conn).get_columns("evaluations")].count("shadow_topics") == 0
            assert conn.execute(text("SELECT count(*) FROM cards")).scalar() == 1
        assert migrate.schema_state(engine).current == "0001"
        assert migrate.upgrade(engine).current == "0001"  # and up again
    finally:
        engine.dispose()


def test_the_start_up_migration_is_not_cut_short_by_the_statement_time_limit(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's sessions cap a statement at the database timeout; a migration may take longer, and a
    replica waiting for it must not fail because its own wait ran past that cap."""
    seen: list[str] = []
    real = migrate._migrate

    def recording(conn: Any) -> migrate.SchemaState:
        seen.append(str(conn.execute(text("SHOW statement_timeout")).scalar()))
        conn.execute(text("SELECT pg_sleep(0.3)"))  # a migration longer than the 0.1 s cap below
        return real(conn)

    monkeypatch.setattr(migrate, "_migrate", recording)
    engine = make_engine(postgres_url, 0.1)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "100ms"
        state = migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert seen == ["0"]
    assert state.head == migrate.head_revision()
