"""The review's attacks on fetching, measured: a slow FHIR server, a decompression bomb, huge pages.

    python benchmarks/fetch_attacks.py [--runs 3] [--no-write]

The service runs under uvicorn in this process (default settings, the loopback FHIR server of
``service/suites/steps/fhir_server.py`` trusted); nothing leaves 127.0.0.1. Figures:

* slow server: 45 calls need a server that sends one byte every 5 s; while they hang, ``/health``,
  ``/ready``, ``/rules`` and ``/ui`` are each asked 5 times: their latency, and when the 45 calls end;
* bomb: a 1 MB gzip answer inflating to 1 GiB: CPU and wall time of the call, and the process's peak RSS
  above its RSS before the call (peak reset through ``/proc/self/clear_refs``);
* pages: 5 search pages of 19 MB each: CPU and wall time of the call.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import httpx
from _common import machine, spread, table, write_section

from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, gzip_bomb, running_fhir_server
from tests.service.fetching import fetching_request
from tests.service.test_fetch_limits import live_service

T = TypeVar("T")
PROBED = ("/health", "/ready", "/rules", "/ui")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _slow_round(service: str, fhir: str) -> tuple[list[float], float, set[int]]:
    start = time.monotonic()
    async with httpx.AsyncClient(
        base_url=service, timeout=120, limits=httpx.Limits(max_connections=60)
    ) as http:
        calls = [
            asyncio.create_task(http.post("/cds-services/patient-view", json=fetching_request(fhir)))
            for _ in range(45)
        ]
        await asyncio.sleep(1.0)
        latencies = []
        async with httpx.AsyncClient(base_url=service, timeout=30) as probe:
            for _ in range(5):
                for path in PROBED:
                    t0 = time.monotonic()
                    (await probe.get(path)).raise_for_status()
                    latencies.append(time.monotonic() - t0)
        statuses = {r.status_code for r in await asyncio.gather(*calls)}
    return latencies, time.monotonic() - start, statuses


def _timed_call(service: str, fhir: str) -> tuple[float, float, int, float]:
    """CPU s, wall s, status, and peak RSS growth in MiB of one hook call."""
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM)
    before = _status_kib("VmRSS")
    cpu, wall = time.process_time(), time.monotonic()
    status = httpx.post(
        f"{service}/cds-services/patient-view", json=fetching_request(fhir), timeout=300
    ).status_code
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return cpu, wall, status, (_status_kib("VmHWM") - before) / 1024


def _with_service(store: FhirStore, run: Callable[[str, str], T]) -> T:
    with running_fhir_server(store) as fhir, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'audit.db'}",
            salt_file=Path(tmp) / "salt",
            fhir_trusted_servers=[fhir],
            _env_file=None,
        )
        with live_service(settings) as service:
            return run(service, fhir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    latencies: list[float] = []
    ends: list[float] = []
    slow_statuses: set[int] = set()
    for _ in range(args.runs):
        lat, end, statuses = _with_service(
            FhirStore(drip_seconds=5.0), lambda s, f: asyncio.run(_slow_round(s, f))
        )
        latencies += lat
        ends.append(end)
        slow_statuses |= statuses

    rows = []
    for name, store in (
        ("bomb: 1 MB gzip -> 1 GiB", FhirStore(bomb=gzip_bomb(1024))),
        ("5 pages x 19 MB", FhirStore(padding=19 * 1024 * 1024, page_size=1)),
    ):
        if store.padding:
            record = fetching_request("x")["context"]["patientId"]
            store.add({"resourceType": "Patient", "id": record})
            store.add(
                *(
                    {
                        "resourceType": "Observation",
                        "id": f"o{i}",
                        "subject": {"reference": f"Patient/{record}"},
                    }
                    for i in range(5)
                )
            )
        runs = [_with_service(store, _timed_call) for _ in range(args.runs)]
        cpu, wall, status, rss = zip(*runs, strict=True)
        rows.append(
            [
                name,
                spread(cpu, "{:.2f}", " s"),
                spread(wall, "{:.2f}", " s"),
                ", ".join(sorted({str(s) for s in status})),
                spread(rss, "{:.0f}", " MiB"),
            ]
        )

    body = "\n\n".join(
        [
            f"Machine: {machine()}",
            f"Command: `python benchmarks/fetch_attacks.py --runs {args.runs}`; median (min–max) of runs.",
            "RSS is the whole process's, the loopback FHIR server included (it builds each 19 MB page).",
            "Slow server (one byte every 5 s), 45 calls hanging: "
            f"`{' '.join(PROBED)}` answered in {spread([x * 1000 for x in latencies], '{:.1f}', ' ms')} "
            f"({len(latencies)} probes); the 45 calls ended after {spread(ends, '{:.1f}', ' s')} with HTTP "
            f"{', '.join(map(str, sorted(slow_statuses)))}.",
            table(["attack", "CPU per call", "wall per call", "status", "peak RSS growth"], rows),
        ]
    )
    print(body)
    if not args.no_write:
        write_section("fetch_attacks", "Attacks on fetching (fetch_attacks.py)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
