"""Audit and feedback storage: committed before the answer, kept across restarts, never half-written,
and no patient data but a salted hash of the id."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.audit_models import CardRecord, EvaluationRecord, FeedbackRecord
from service.patient_hash import hash_patient_id
from service.settings import Settings
from service.state import ServiceState
from service.suites.steps.fixtures import load_fixture


def _counts(client: TestClient) -> tuple[int, int, int]:
    state: ServiceState = client.app.state.clinrules  # type: ignore[attr-defined]
    with state.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(EvaluationRecord)) or 0,
            s.scalar(select(func.count()).select_from(CardRecord)) or 0,
            s.scalar(select(func.count()).select_from(FeedbackRecord)) or 0,
        )


def test_evaluation_and_feedback_survive_restart(settings: Settings, tmp_path: Path) -> None:
    request = load_fixture("patient-view-iris-risk")
    with TestClient(create_app(settings)) as client:
        card = client.post("/cds-services/patient-view", json=request).json()["cards"][0]
        item = {
            "card": card["uuid"],
            "outcome": "overridden",
            "outcomeTimestamp": "2026-06-01T09:05:00Z",
            "overrideReason": {"reason": card["overrideReasons"][0]},
        }
        assert (
            client.post("/cds-services/patient-view/feedback", json={"feedback": [item]}).status_code == 200
        )
        salt = client.app.state.clinrules.salt  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        assert _counts(client) == (1, 1, 1)
        state: ServiceState = client.app.state.clinrules  # type: ignore[attr-defined]
        assert state.salt == salt  # the generated salt is persisted
        with state.sessions() as s:
            record = s.scalars(select(EvaluationRecord)).one()
            feedback = s.scalars(select(FeedbackRecord)).one()
        assert record.hook == "patient-view" and record.hook_instance == request["hookInstance"]
        assert record.topics == ["iris-risk"] and record.latency_ms > 0
        assert record.patient_hash == hash_patient_id("pv-iris-1", salt)
        assert (
            feedback.outcome == "overridden"
            and feedback.override_reason_code == card["overrideReasons"][0]["code"]
        )
        # Feedback for the card still works after the restart.
        again = {
            "feedback": [
                {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-06-01T10:00:00Z"}
            ]
        }
        assert client.post("/cds-services/patient-view/feedback", json=again).status_code == 200


def test_database_holds_no_patient_data(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        for name in ("patient-view-iris-risk", "order-sign-thalidomide-pregnant"):
            request = load_fixture(name)
            assert client.post(f"/cds-services/{request['hook']}", json=request).status_code == 200
        assert (
            client.post(
                "/evaluate", json={"patient": {"id": "native-77", "birth_date": "1980-01-01"}}
            ).status_code
            == 200
        )
    assert settings.sqlite_path is not None
    dump = "\n".join(sqlite3.connect(settings.sqlite_path).iterdump())
    for secret in ("pv-iris-1", "os-thal-1", "native-77", "1979-06-14", "thalidomide 100 mg", "dr-ade"):
        assert secret not in dump
    assert dump.count('INSERT INTO "evaluations"') == 3


def test_failed_request_stores_nothing(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        state: ServiceState = client.app.state.clinrules  # type: ignore[attr-defined]
        import service.routes.cds_hooks as hooks

        def fail_after_evaluation(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(hooks, "issued", fail_after_evaluation)
        response = client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk"))
        assert response.status_code == 500
        assert _counts(client) == (0, 0, 0)
        bad = {
            "feedback": [
                {
                    "card": "3f9a2c1e-7b5d-4e8a-9c0f-1a2b3c4d5e6f",
                    "outcome": "accepted",
                    "outcomeTimestamp": "2026-06-01T09:05:00Z",
                }
            ]
        }
        assert client.post("/cds-services/patient-view/feedback", json=bad).status_code == 404
        assert _counts(client) == (0, 0, 0)
        assert state.sessions is not None


def test_sqlite_uses_wal(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        state: ServiceState = client.app.state.clinrules  # type: ignore[attr-defined]
        with state.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_configured_salt_is_used(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}", patient_id_salt="pepper", _env_file=None
    )
    assert settings.resolve_salt() == b"pepper"
    assert not (tmp_path / ".clinrules-salt").exists()
    assert "pepper" not in repr(settings)


def test_workers_starting_together_on_a_new_database_all_start(tmp_path: Path) -> None:
    # Regression: with several workers, one lost the race to CREATE TABLE and uvicorn stopped them all.
    db = tmp_path / "fresh.db"
    start = time.time() + 2  # every process imports first, then all create the tables at the same moment
    code = (
        "import time; from service.database import make_engine, init_database; "
        f"engine = make_engine('sqlite:///{db}'); time.sleep(max(0, {start} - time.time())); "
        "init_database(engine)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err.decode()[-300:] for _, err in results]


def test_workers_creating_the_salt_together_agree(tmp_path: Path) -> None:
    code = (
        "from service.settings import Settings; "
        f"print(Settings(database_url='sqlite:///{tmp_path / 'a.db'}').resolve_salt().decode())"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for _ in range(6)]
    salts = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(salts) == 1 and b"" not in salts
