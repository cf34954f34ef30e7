"""A hostile or broken FHIR server cannot stall the service or fill its memory (issue 10, rows 2 and 3).

The slow-server test runs the real server (uvicorn, its thread pool) on loopback; the others use the
in-process client. The FHIR servers are the loopback server of ``service/suites/steps/fhir_server.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, gzip_bomb, running_fhir_server
from tests.service.fetching import fetching_request
from tests.service.test_fhir_fetch import trusting
from tests.suites.server import free_port

LIGHT_ENDPOINTS = ("/health", "/ready", "/rules", "/ui", "/cds-services")


@contextmanager
def live_service(settings: Settings) -> Iterator[str]:
    """The service under uvicorn on a free loopback port, in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


async def _hang_and_probe(service: str, fhir: str, calls: int) -> tuple[list[int], dict[str, float]]:
    """Start ``calls`` hook calls that must fetch from ``fhir``; while they hang, time the light endpoints."""
    limits = httpx.Limits(max_connections=calls + 10)
    async with httpx.AsyncClient(base_url=service, timeout=60, limits=limits) as http:
        hanging = [
            asyncio.create_task(http.post("/cds-services/patient-view", json=fetching_request(fhir)))
            for _ in range(calls)
        ]
        await asyncio.sleep(1.0)  # every call is now waiting on the FHIR server (or for a fetch slot)
        assert not any(task.done() for task in hanging)
        waited: dict[str, float] = {}
        async with httpx.AsyncClient(base_url=service, timeout=2.0) as probe:
            for path in LIGHT_ENDPOINTS:
                start = time.monotonic()
                answer = await probe.get(path)  # a ReadTimeout (over 2 s) fails the test
                waited[path] = time.monotonic() - start
                assert answer.status_code == 200, (path, answer.text)
        statuses = [response.status_code for response in await asyncio.gather(*hanging)]
    return statuses, waited


def test_a_slow_fhir_server_stalls_nothing_else(tmp_path: Path) -> None:
    # The server sends its answer one byte a second; 45 calls need it at once (the review's attack).
    store = FhirStore(drip_seconds=1.0)
    with running_fhir_server(store) as fhir:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'audit.db'}",
            salt_file=tmp_path / "salt",
            fhir_trusted_servers=[fhir],
            fhir_timeout_seconds=1.5,
            fhir_deadline_seconds=3.0,
            fhir_max_concurrent_fetches=4,
            _env_file=None,
        )
        with live_service(settings) as service:
            started = time.monotonic()
            statuses, waited = asyncio.run(_hang_and_probe(service, fhir, calls=45))
            elapsed = time.monotonic() - started
    print(f"light endpoints answered in {waited}; 45 calls ended after {elapsed:.1f} s")
    assert statuses == [412] * 45  # each call ends at its deadline, with the one 412
    # Never more GETs in flight than the setting (the server may count one more for a moment: a closed
    # connection it has not yet noticed while the freed slot already sends the next GET).
    assert store.max_active <= 4 + 1
    assert elapsed < 30  # calls end at their deadline, not when the server finishes (100,000 s)


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_a_decompression_bomb_ends_in_412_without_filling_memory(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    store = FhirStore(bomb=gzip_bomb(1024))  # about 1 MB on the wire, 1 GiB inflated
    assert len(store.bomb or b"") < 2 * 1024 * 1024
    with running_fhir_server(store) as fhir, trusting(settings, fhir) as client:
        rss_before = _rss_bytes()
        tracemalloc.start()
        try:
            answer = client.post("/cds-services/patient-view", json=fetching_request(fhir))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rss_growth = _rss_bytes() - rss_before
    print(f"bomb: peak traced {peak / 2**20:.1f} MiB, RSS growth {rss_growth / 2**20:.1f} MiB")
    assert answer.status_code == 412
    assert peak < 64 * 2**20  # the 4 MiB cap, not the gigabyte
    assert rss_growth < 256 * 2**20
    assert "over the byte cap" in capsys.readouterr().err


def test_bytes_per_call_are_capped_across_pages(
    settings: Settings,
    record: tuple[str, FhirStore],
) -> None:
    url, store = record
    store.padding = 1024 * 1024  # every search page weighs 1 MiB; five of them would be fetched
    with trusting(settings, url, fhir_max_total_bytes=3 * 1024 * 1024) as client:
        answer = client.post("/cds-services/patient-view", json=fetching_request(url))
    assert answer.status_code == 412
    assert len(store.requests) <= 4  # stopped once the call's budget was spent


def test_entries_per_call_are_capped(
    settings: Settings,
    record: tuple[str, FhirStore],
) -> None:
    url, _ = record
    with trusting(settings, url, fhir_max_entries=3) as client:
        assert client.post("/cds-services/patient-view", json=fetching_request(url)).status_code == 412
    with trusting(settings, url) as client:
        assert client.post("/cds-services/patient-view", json=fetching_request(url)).status_code == 200
