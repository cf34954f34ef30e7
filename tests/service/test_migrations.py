"""Schema migrations: a database of release 0.1.0 upgrades with its rows intact, a newer one is refused
naming both revisions, and ``clinrules db current|upgrade`` report and act on the revision."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text

from service.app import create_app
from service.audit.migrate import SchemaVersionError, head_revision, upgrade
from service.audit.tables import cards, evaluations, feedback, metadata, seen_tokens
from service.cli import app as cli
from service.database import make_engine
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

LEGACY = Path(__file__).parent / "fixtures" / "legacy"
CARD = "0b9c3c1e-7b5d-4e8a-9c0f-1a2b3c4d5e6f"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the empty test database."""
    made = create_engine(database_url)
    yield made
    made.dispose()


def _make_release_0_1_0_database(engine: Engine) -> None:
    """The tables release 0.1.0 created (create_all, no alembic_version), with a row in each."""
    ddl = (LEGACY / f"schema_0fe3f35_{engine.dialect.name}.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    statements = [s for s in ddl.split(";") if s.strip()]
    then = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.execute(
            evaluations.insert(),
            {
                "id": "e-old",
                "created_at": then,
                "service": "patient-view",
                "hook": "patient-view",
                "hook_instance": "h-old",
                "ruleset_version": "old",
                "topics": ["iris-risk"],
                "card_count": 1,
                "latency_ms": 3.0,
                "patient_hash": "ab" * 32,
            },
        )
        conn.execute(
            cards.insert(),
            {
                "uuid": CARD,
                "evaluation_id": "e-old",
                "service": "patient-view",
                "rule_id": "iris-risk",
                "rule_version": "1.0.0",
                "topic": "iris-risk",
                "indicator": "warning",
                "suggestion_uuids": [],
                "override_codes": ["not-relevant"],
            },
        )
        conn.execute(
            feedback.insert(),
            {
                "received_at": then,
                "service": "patient-view",
                "card_uuid": CARD,
                "topic": "iris-risk",
                "outcome": "accepted",
                "accepted_suggestions": [],
                "has_user_comment": False,
                "outcome_timestamp": then,
            },
        )
        conn.execute(seen_tokens.insert(), {"key": "k" * 64, "expires_at": datetime(2999, 1, 1, tzinfo=UTC)})


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_a_release_0_1_0_database_is_upgraded_with_its_rows(database_url: str, engine: Engine) -> None:
    _make_release_0_1_0_database(engine)
    settings = Settings(database_url=database_url, patient_id_salt="m", _env_file=None)
    with TestClient(create_app(settings)) as client:
        item = {
            "card": CARD,
            "outcome": "overridden",
            "outcomeTimestamp": "2026-06-01T09:00:00Z",
            "overrideReason": {"reason": {"code": "not-relevant"}},
        }
        assert (
            client.post("/cds-services/patient-view/feedback", json={"feedback": [item]}).status_code == 200
        )
        request = load_fixture("patient-view-iris-risk")
        assert client.post("/cds-services/patient-view", json=request).status_code == 200
    assert _revision(engine) == head_revision()
    with engine.connect() as conn:
        old = conn.execute(select(evaluations).where(evaluations.c.id == "e-old")).one()
        assert old.hook_instance == "h-old" and old.topics == ["iris-risk"] and old.shadow_topics == []
        assert conn.execute(select(cards.c.uuid)).scalars().all().count(CARD) == 1
        outcomes = conn.execute(select(feedback.c.outcome).order_by(feedback.c.id)).scalars().all()
        assert outcomes == ["accepted", "overridden"]
        assert conn.execute(select(seen_tokens.c.key)).scalars().all() == ["k" * 64]


def test_the_tables_module_matches_the_migrated_schema(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_a_database_newer_than_the_code_is_refused_naming_both(database_url: str, engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SchemaVersionError, match=rf"0999.*{head_revision()}"):
        upgrade(make_engine(database_url))
    settings = Settings(database_url=database_url, _env_file=None, patient_id_salt="m")
    with pytest.raises(SchemaVersionError, match="0999"), TestClient(create_app(settings)):
        pass
    assert _revision(engine) == "0999"


def test_without_auto_upgrade_start_up_refuses_an_old_schema(database_url: str, engine: Engine) -> None:
    _make_release_0_1_0_database(engine)
    settings = Settings(
        database_url=database_url, database_auto_upgrade=False, patient_id_salt="m", _env_file=None
    )
    refused = rf"0001 \(release 0.1.0.*{head_revision()}.*db upgrade"
    with pytest.raises(SchemaVersionError, match=refused), TestClient(create_app(settings)):
        pass
    assert _revision(engine) is None  # untouched


def test_db_commands_report_and_upgrade(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINRULES_DATABASE_URL", database_url)
    with engine.connect():  # an empty database (a SQLite file that is missing is refused: exit 2)
        pass
    runner = CliRunner()
    before = runner.invoke(cli, ["db", "current"])
    assert before.exit_code == 1 and "database: none (empty database)" in before.output
    assert f"code:     {head_revision()}" in before.output
    done = runner.invoke(cli, ["db", "upgrade"])
    assert done.exit_code == 0 and f"to {head_revision()}" in done.output
    assert _revision(engine) == head_revision()
    assert "already at" in runner.invoke(cli, ["db", "upgrade"]).output
    now = runner.invoke(cli, ["db", "current"])
    assert now.exit_code == 0 and f"database: {head_revision()}" in now.output
