"""Audit and feedback storage, on SQLite and on PostgreSQL: committed before the answer, kept across
restarts, never half-written, no patient data but a salted hash of the id, and files only the owner reads."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text

from service.app import create_app
from service.audit.tables import cards, evaluations, feedback, metadata
from service.patient_hash import hash_patient_id
from service.settings import Settings
from service.state import ServiceState
from service.suites.steps.fixtures import load_fixture


@pytest.fixture
def db_settings(database_url: str) -> Settings:
    """Settings on an empty database of each backend."""
    return Settings(database_url=database_url, patient_id_salt="audit-tests", _env_file=None)


@pytest.fixture
def reader(database_url: str) -> Iterator[Engine]:
    """An engine of its own on the test database, to read what the service stored."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.scalar(select(func.count()).select_from(t)) or 0 for t in (evaluations, cards, feedback)
        )


def _state(client: TestClient) -> ServiceState:
    state: ServiceState = client.app.state.clinrules  # type: ignore[attr-defined]
    return state


def _override(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "card": card["uuid"],
        "outcome": "overridden",
        "outcomeTimestamp": "2026-06-01T09:05:00Z",
        "overrideReason": {"reason": card["overrideReasons"][0]},
    }


def test_evaluation_and_feedback_survive_restart(db_settings: Settings, reader: Engine) -> None:
    request = load_fixture("patient-view-iris-risk")
    with TestClient(create_app(db_settings)) as client:
        card = client.post("/cds-services/patient-view", json=request).json()["cards"][0]
        stored = client.post("/cds-services/patient-view/feedback", json={"feedback": [_override(card)]})
        assert stored.status_code == 200
    assert _counts(reader) == (1, 1, 1)  # on disk once the service has stopped
    with TestClient(create_app(db_settings)) as client:
        with reader.connect() as conn:
            record = conn.execute(select(evaluations)).one()
            answer = conn.execute(select(feedback)).one()
        assert record.hook == "patient-view" and record.hook_instance == request["hookInstance"]
        assert record.topics == ["iris-risk"] and record.latency_ms > 0 and record.shadow_topics == []
        assert record.patient_hash == hash_patient_id("pv-iris-1", b"audit-tests")
        assert answer.outcome == "overridden"
        assert answer.override_reason_code == card["overrideReasons"][0]["code"]
        # Feedback on the card still works after the restart.
        again = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-06-01T10:00:00Z"}
        assert (
            client.post("/cds-services/patient-view/feedback", json={"feedback": [again]}).status_code == 200
        )
    assert _counts(reader) == (1, 1, 2)


def test_database_holds_no_patient_data(db_settings: Settings, reader: Engine) -> None:
    with TestClient(create_app(db_settings)) as client:
        for name in ("patient-view-iris-risk", "order-sign-thalidomide-pregnant"):
            request = load_fixture(name)
            assert client.post(f"/cds-services/{request['hook']}", json=request).status_code == 200
        scenario = {"patient": {"id": "native-77", "birth_date": "1980-01-01"}}
        assert client.post("/evaluate", json=scenario).status_code == 200
    with reader.connect() as conn:
        dump = "\n".join(str(row) for table in metadata.sorted_tables for row in conn.execute(select(table)))
        assert conn.scalar(select(func.count()).select_from(evaluations)) == 3
    for secret in ("pv-iris-1", "os-thal-1", "native-77", "1979-06-14", "thalidomide 100 mg", "dr-ade"):
        assert secret not in dump


def test_failed_request_stores_nothing(
    db_settings: Settings, reader: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(db_settings), raise_server_exceptions=False) as client:
        import service.cds.evaluation as evaluation

        def fail_after_evaluation(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(evaluation, "issued", fail_after_evaluation)
        response = client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk"))
        assert response.status_code == 500
        assert _counts(reader) == (0, 0, 0)
        unknown = {
            "card": "3f9a2c1e-7b5d-4e8a-9c0f-1a2b3c4d5e6f",
            "outcome": "overridden",
            "outcomeTimestamp": "2026-06-01T09:05:00Z",
        }
        answer = client.post("/cds-services/patient-view/feedback", json={"feedback": [unknown]})
        assert answer.status_code == 404
        assert _counts(reader) == (0, 0, 0)


def test_feedback_is_all_or_none(db_settings: Settings, reader: Engine) -> None:
    with TestClient(create_app(db_settings)) as client:
        card = client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk")).json()[
            "cards"
        ][0]
        bad = {**_override(card), "overrideReason": {"reason": {**card["overrideReasons"][0], "code": "x"}}}
        answer = client.post("/cds-services/patient-view/feedback", json={"feedback": [_override(card), bad]})
        assert answer.status_code == 422
    assert _counts(reader) == (1, 1, 0)


def test_shadow_topics_are_stored_with_the_evaluation(db_settings: Settings, reader: Engine) -> None:
    with TestClient(create_app(db_settings)) as client:
        store = _state(client).audit
        store.record_evaluation(
            service="patient-view",
            hook="patient-view",
            hook_instance="h-1",
            ruleset_version="v1",
            topics=["iris-risk"],
            latency_ms=1.5,
            patient_hash=None,
            shadow_topics=["iris-risk-shadow"],
        )
    with reader.connect() as conn:
        assert conn.execute(select(evaluations.c.shadow_topics)).scalar_one() == ["iris-risk-shadow"]


def test_sqlite_commits_are_fsynced(tmp_path: Path) -> None:
    # Regression: synchronous=NORMAL let a power loss drop acknowledged records.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", _env_file=None)
    with TestClient(create_app(settings)) as client, _state(client).engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_database_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    # Regression (issue 10, row 8): the database and its WAL were created 0644.
    previous = os.umask(0o022)
    try:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'data' / 'a.db'}", _env_file=None)
        with TestClient(create_app(settings)) as client:
            request = load_fixture("patient-view-iris-risk")
            assert client.post("/cds-services/patient-view", json=request).status_code == 200
            files = ["a.db", "a.db-wal", "a.db-shm", ".clinrules-salt"]
            modes = {name: (tmp_path / "data" / name).stat().st_mode & 0o777 for name in files}
    finally:
        os.umask(previous)
    assert modes == dict.fromkeys(files, 0o600)


def test_an_old_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    with TestClient(create_app(Settings(database_url=f"sqlite:///{db}", _env_file=None))):
        pass
    assert db.stat().st_mode & 0o777 == 0o600


def test_configured_salt_is_used(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}", patient_id_salt="pepper", _env_file=None
    )
    assert settings.resolve_salt() == b"pepper"
    assert not (tmp_path / ".clinrules-salt").exists()
    assert "pepper" not in repr(settings)


def test_workers_starting_together_on_a_new_database_all_start(database_url: str, reader: Engine) -> None:
    # Regression: with several workers, one lost the race to CREATE TABLE and uvicorn stopped them all.
    start = time.time() + 2  # every process imports first, then all migrate at the same moment
    code = (
        "import time; from service.database import make_engine; from service.audit.migrate import upgrade; "
        f"engine = make_engine({database_url!r}); time.sleep(max(0, {start} - time.time())); "
        "upgrade(engine)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err.decode()[-400:] for _, err in results]
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_workers_creating_the_salt_together_agree(tmp_path: Path) -> None:
    code = (
        "from service.settings import Settings; "
        f"print(Settings(database_url='sqlite:///{tmp_path / 'a.db'}').resolve_salt().decode())"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for _ in range(6)]
    salts = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(salts) == 1 and b"" not in salts


def test_patient_hash_is_hmac_sha256_hex_as_stored_before() -> None:
    # Records written by earlier versions must still match an auditor's look-up by patient: the hash is a
    # plain HMAC-SHA-256 (hex) of the UTF-8 id, whatever code computes it. Known answer from RFC 4231's
    # test case 2 (key "Jefe").
    assert hash_patient_id("what do ya want for nothing?", b"Jefe") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert hash_patient_id("pt-ü", b"salt") == hmac.new(b"salt", "pt-ü".encode(), hashlib.sha256).hexdigest()
    assert hash_patient_id("", b"salt") is None and hash_patient_id(None, b"salt") is None
