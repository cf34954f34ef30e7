"""The service (two workers) killed with SIGKILL under concurrent load, on SQLite and on PostgreSQL, then
restarted: every evaluation and every feedback it acknowledged is in the database, and it answers again."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from sqlalchemy import create_engine, select

from service.audit.tables import evaluations, feedback
from tests.reliability.service_app import patient_view, prefetch_keys
from tests.service.servers import Server, serving

CLIENTS = 6


def _feedback_on(card: dict[str, Any]) -> dict[str, Any]:
    # Overridden: the patient-view card offers no suggestion to accept.
    item = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-06-01T09:00:00Z"}
    return {"feedback": [item]}


class Load:
    """Clients that each send patient-views and feedback on their cards until stopped, noting every 200."""

    def __init__(self, base: str, keys: dict[str, str]) -> None:
        self.base, self.keys = base, keys
        self.stop = threading.Event()
        self.evaluations: list[str] = []  # hookInstance of each evaluation answered 200
        self.feedback: list[str] = []  # card uuid of each feedback answered 200
        self.threads = [threading.Thread(target=self._client, args=(n,)) for n in range(CLIENTS)]

    def _client(self, n: int) -> None:
        i = 0
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                body = patient_view(f"load-{n}-{i}", self.keys)
                i += 1
                try:
                    answer = client.post(f"{self.base}/cds-services/patient-view", json=body)
                    if answer.status_code != 200:
                        continue
                    self.evaluations.append(body["hookInstance"])
                    card = answer.json()["cards"][0]
                    url = f"{self.base}/cds-services/patient-view/feedback"
                    if client.post(url, json=_feedback_on(card)).status_code == 200:
                        self.feedback.append(card["uuid"])
                except httpx.HTTPError:
                    pass  # the kill: this request was never acknowledged

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_sigkill_under_load_loses_no_acknowledged_record(database_url: str) -> None:
    env = {"CLINRULES_DATABASE_URL": database_url, "CLINRULES_PATIENT_ID_SALT": "faults"}
    server = Server(env, workers=2)
    try:
        server.wait_ready()
        keys = prefetch_keys(httpx.get(f"{server.url}/cds-services", timeout=10).json())
        with Load(server.url, keys) as load:
            deadline = time.monotonic() + 30
            while len(load.feedback) < 20 and time.monotonic() < deadline:
                time.sleep(0.1)
            server.kill()  # SIGKILL to the server and both workers, requests in flight
        assert len(load.evaluations) >= 20 and len(load.feedback) >= 20, "too little load before the kill"
    finally:
        server.kill()

    engine = create_engine(database_url)
    try:
        with serving(env, workers=2) as again:
            with engine.connect() as conn:
                instances = set(conn.execute(select(evaluations.c.hook_instance)).scalars())
                answered = list(conn.execute(select(feedback.c.card_uuid)).scalars())
            assert set(load.evaluations) <= instances, "an acknowledged evaluation is missing"
            # A record committed whose answer the kill cut off may be there too: only missing ones fail.
            assert set(load.feedback) <= set(answered), "acknowledged feedback is missing"
            body = patient_view("after-restart", keys)
            restarted = httpx.post(f"{again.url}/cds-services/patient-view", json=body, timeout=30)
            assert restarted.status_code == 200
    finally:
        engine.dispose()
