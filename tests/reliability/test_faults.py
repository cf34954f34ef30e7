"""The service killed (SIGKILL) while requests are in flight, then restarted: no stored audit or feedback
record is lost, and the restarted service answers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("service.app")

from tests.reliability.service_app import patient_view, prefetch_keys

ROOT = Path(__file__).resolve().parents[2]


def _start(port: int, db: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CLINRULES_DATABASE_URL": f"sqlite:///{db}",
        "CLINRULES_LOG_LEVEL": "WARNING",
        "CLINRULES_PATIENT_ID_SALT": "faults",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the service did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


def _ids(db: Path, sql: str) -> set[Any]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute(sql)}


def test_sigkill_mid_request_loses_no_stored_record(tmp_path: Path) -> None:
    db, port = tmp_path / "audit.db", _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(port, db)
    try:
        keys = prefetch_keys(httpx.get(f"{base}/cds-services").json())
        stored: list[str] = []  # hookInstance of every call the service answered 200
        feedback = 0
        for i in range(10):
            body = patient_view(f"fault-{i}", keys)
            answer = httpx.post(f"{base}/cds-services/patient-view", json=body, timeout=10)
            assert answer.status_code == 200
            stored.append(body["hookInstance"])
            card = answer.json()["cards"][0]
            fb = {
                "feedback": [
                    {
                        "card": card["uuid"],
                        "outcome": "accepted",
                        "outcomeTimestamp": "2026-06-01T09:00:00Z",
                        "acceptedSuggestions": [],
                    }
                ]
            }
            if (
                httpx.post(f"{base}/cds-services/patient-view/feedback", json=fb, timeout=10).status_code
                == 200
            ):
                feedback += 1
        assert feedback == 10
        # Keep requests in flight from several threads, and kill the server under them.
        stop = threading.Event()
        answered: list[str] = []

        def hammer(n: int) -> None:
            i = 0
            with httpx.Client(timeout=5) as client:
                while not stop.is_set():
                    body = patient_view(f"inflight-{n}-{i}", keys)
                    i += 1
                    try:
                        if client.post(f"{base}/cds-services/patient-view", json=body).status_code == 200:
                            answered.append(body["hookInstance"])
                    except httpx.HTTPError:
                        pass

        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        assert answered, "no request was answered before the kill"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    server = _start(port, db)
    try:
        instances = _ids(db, "select hook_instance from evaluations")
        assert set(stored) <= instances, "an evaluation answered before the kill is missing from the audit"
        assert set(answered) <= instances, "an evaluation answered in flight is missing from the audit"
        assert _count(db, "feedback") == feedback
        body = patient_view("after-restart", keys)
        assert httpx.post(f"{base}/cds-services/patient-view", json=body, timeout=10).status_code == 200
        assert body["hookInstance"] in _ids(db, "select hook_instance from evaluations")
    finally:
        server.terminate()
        server.wait(timeout=15)
