"""``/metrics`` under ``clinrules serve --workers 2``: every scrape, whichever worker answers it, counts
the requests of both workers (the Prometheus client's multiprocess mode)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.service.servers import serving

SCENARIO = {"patient": {"id": "metrics-1", "birth_date": "1980-01-01"}}


def _evaluations(text: str) -> float:
    found = re.search(r'^clinrules_evaluations_total\{service="evaluate"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_scrape_counts_every_worker(tmp_path: Path) -> None:
    env = {"CLINRULES_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}", "CLINRULES_PATIENT_ID_SALT": "m"}
    with serving(env, workers=2) as server:
        for _ in range(40):  # a new connection each time, so that both workers take some
            assert httpx.post(f"{server.url}/evaluate", json=SCENARIO, timeout=30).status_code == 200
        for _ in range(6):
            scrape = httpx.get(f"{server.url}/metrics", timeout=10).text
            assert _evaluations(scrape) == 40.0
