"""What a service worker loads to start and answer: never what only some deployments or commands need.

No timings here (``benchmarks/memory.py`` measures a worker's start-up); each library below costs a worker
tens of milliseconds of start-up, and the features that need it import it when first used (their own tests
cover them working). Alembic is loaded only when the database is not yet at this code's revision.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ON_FIRST_USE = {
    "httpx": "fetching from fhirServer",
    "jwt": "JWT verification",
    "gherkin": "the rule catalogue's scenarios",
    "rich": "the command line's tables",
}

# Starts the app's lifespan and sends one patient-view with its prefetch through the ASGI app itself (a
# test client would import httpx); prints the status, the card topics and the loaded modules.
_PROBE = """
import asyncio, json, os, sys
os.environ["CLINRULES_DATABASE_URL"] = "sqlite:///" + sys.argv[1]
from service.app import create_app
from service.suites.steps.fixtures import load_fixture

async def main():
    app = create_app()
    body = json.dumps(load_fixture("patient-view-iris-risk")).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/cds-services/patient-view", "raw_path": b"/cds-services/patient-view",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }
    sent = []
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}
    async def send(message):
        sent.append(message)
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    answer = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    topics = [card["source"]["topic"]["code"] for card in answer["cards"]]
    print(json.dumps({"status": sent[0]["status"], "topics": topics, "modules": sorted(sys.modules)}))

asyncio.run(main())
"""


def _worker(database: Path) -> set[str]:
    """Start a worker on ``database``, send it a patient-view; the top-level packages it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(database)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200 and probe["topics"] == ["iris-risk"]  # it did start and evaluate
    loaded = {name.split(".", 1)[0] for name in probe["modules"]}
    assert {"fastapi", "durable", "sqlalchemy"} <= loaded  # the probe sees what was imported
    return loaded


def test_a_worker_answers_a_patient_view_without_loading_what_only_some_features_need(
    tmp_path: Path,
) -> None:
    loaded = _worker(tmp_path / "audit.db")
    assert sorted(set(ON_FIRST_USE) & loaded) == []


def test_a_worker_restarted_on_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    database = tmp_path / "audit.db"
    assert "alembic" in _worker(database)  # a new database: the migrations ran
    assert "alembic" not in _worker(database)  # at this code's revision: one query, no Alembic


def test_the_revision_a_worker_checks_is_alembics_head() -> None:
    from service.audit.migrate import HEAD, head_revision

    assert head_revision() == HEAD
