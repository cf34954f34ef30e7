"""CPU of the server process per CDS Hooks patient-view call, against an empty FastAPI endpoint (the floor).

    python benchmarks/server_ratio.py [--rounds 5] [--seconds 1.5] [--no-write]

Two servers on 127.0.0.1 (free ports), both uvicorn with the options of ``clinrules serve``
(``service.server.UVICORN_OPTIONS``), one worker each: the service (temporary SQLite audit database, its
default settings) and ``_empty_app.py`` (one ``async`` route that reads the body and answers ``{}``).
This process is the client: one keep-alive connection per server, one request at a time.

The request is the 40-resource patient-view of ``http_load.py`` (a Patient and four search Bundles). Each
round sends, in turn, for about ``--seconds`` each:

* ``empty endpoint``            the patient-view body to the empty app;
* ``patient-view``              the same body to ``POST /cds-services/patient-view`` (each call a new
                                ``hookInstance``, same length);
* ``empty endpoint, long`` and ``patient-view, long``: the same for a longer history (106 resources, about
                                37 kB: ten years of CD4 counts and viral loads), each against its own floor;
* ``/evaluate, FHIR Bundle``    the same 40 resources as one ``collection`` Bundle to ``POST /evaluate``;
* ``/evaluate, project JSON``   the same patient in the project's scenario JSON to ``POST /evaluate``.

CPU per call is the change of the server process's ``utime + stime`` (``/proc/<pid>/stat``: every thread,
the thread pool and the audit writer included) over a segment, divided by its calls: not wall time. Each
round gives every target's CPU per call and its ratio to the empty endpoint of the same round; the table
shows the median of the rounds and their range (min-max), and is written to RESULTS.md. Target:
patient-view at most 5x the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import BENCHMARKS, ROOT, machine, spread, table, write_section
from _patient_view import KEYS, patient_view_request
from _server_process import Connection, Server, cpu_seconds, start, wait_port

from engine.fhir import scenario_from_resources

SERVICE = "from service.server import run; run('127.0.0.1', {port}, 1)"
EMPTY = (
    f"import sys, uvicorn; sys.path.insert(0, {str(BENCHMARKS)!r}); "
    "from service.server import UVICORN_OPTIONS; "
    "uvicorn.run('_empty_app:create_app', host='127.0.0.1', port={port}, workers=1, **UVICORN_OPTIONS)"
)


LONG_HISTORY_VISITS = 33
"""Older visits of the long patient-view: 106 resources, about 37 kB (the size of the issue's own request)."""


def new_instances(template: bytes, instance: bytes) -> Callable[[], bytes]:
    """``template`` with a new hookInstance (same length) at each call."""

    def body() -> bytes:
        return template.replace(instance, str(uuid.uuid4()).encode(), 1)

    return body


def long_patient_view() -> Callable[[], bytes]:
    """The patient-view of a longer history (ten years of CD4 counts and viral loads)."""
    body, count = patient_view_request("bench-patient-2", KEYS, older_visits=LONG_HISTORY_VISITS)
    assert count == 40 + 2 * LONG_HISTORY_VISITS
    return new_instances(json.dumps(body).encode(), body["hookInstance"].encode())


def bodies() -> tuple[Callable[[], bytes], bytes, bytes]:
    """The patient-view body (a new hookInstance each call), the same resources as a Bundle and as the
    project's JSON."""
    body, count = patient_view_request("bench-patient-1", KEYS)
    assert count == 40
    prefetch = body["prefetch"]
    resources = [prefetch["patient"]] + [
        entry["resource"] for key in list(KEYS.values())[1:] for entry in prefetch[key]["entry"]
    ]
    patient_view = new_instances(json.dumps(body).encode(), body["hookInstance"].encode())
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    scenario = scenario_from_resources(resources, []).scenario.model_dump(mode="json", exclude_none=True)
    for item in scenario.get("conditions", []):
        item.pop("concepts", None)  # derived by the model, not part of the input format
    for item in scenario.get("medications", []):
        item.pop("classes", None)
    return patient_view, json.dumps(bundle).encode(), json.dumps(scenario).encode()


@dataclass
class Target:
    """What one segment sends, and to which server."""

    name: str
    server: Server
    path: str
    body: Callable[[], bytes]


def segment(target: Target, conn: Connection, seconds: float, least: int) -> float:
    """Send calls for ``seconds`` (at least ``least``); return the server's CPU seconds per call."""
    pid = target.server.process.pid
    calls = 0
    prepared = [target.body() for _ in range(64)]
    before = cpu_seconds(pid)
    started = time.monotonic()
    while calls < least or time.monotonic() - started < seconds:
        status, answer = conn.request(target.path, prepared[calls % len(prepared)])
        if status != 200:
            raise RuntimeError(f"{target.name}: answered {status}: {answer[:300]!r}")
        calls += 1
    return (cpu_seconds(pid) - before) / calls


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rounds, print the table and write it to RESULTS.md (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5, help="per target per round")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    patient_view, bundle, scenario = bodies()
    long_view = long_patient_view()
    size, long_size = len(patient_view()), len(long_view())
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CLINRULES_DATABASE_URL": f"sqlite:///{Path(tmp) / 'audit.db'}",
            "CLINRULES_LOG_LEVEL": "INFO",
        }
        servers = [start("service", SERVICE, env), start("empty", EMPTY, env)]
        try:
            service, empty = servers
            service.wait_ready("/ready")
            wait_port(empty)
            targets = [
                Target("empty endpoint", empty, "/cds-services/patient-view", patient_view),
                Target("patient-view", service, "/cds-services/patient-view", patient_view),
                Target("empty endpoint, long", empty, "/cds-services/patient-view", long_view),
                Target("patient-view, long", service, "/cds-services/patient-view", long_view),
                Target("/evaluate, FHIR Bundle", service, "/evaluate", lambda: bundle),
                Target("/evaluate, project JSON", service, "/evaluate", lambda: scenario),
            ]
            conns = {s.name: Connection(s.port) for s in servers}
            for target in targets:  # warm-up: imports, caches, the database file, the thread pool
                segment(target, conns[target.server.name], 0.5, 50)
            per_call: dict[str, list[float]] = {t.name: [] for t in targets}
            for _ in range(args.rounds):
                for target in targets:
                    per_call[target.name].append(segment(target, conns[target.server.name], args.seconds, 50))
            for conn in conns.values():
                conn.close()
        finally:
            for server in servers:
                server.stop()
    rows = []
    for target in targets:
        # Each call against the empty endpoint given the same body, in the same round.
        floor = per_call["empty endpoint, long" if target.name.endswith(", long") else "empty endpoint"]
        cpu = [v * 1e6 for v in per_call[target.name]]
        ratios = [v / f for v, f in zip(per_call[target.name], floor, strict=True)]
        rows.append([target.name, spread(cpu, "{:,.0f}"), spread(ratios, "{:.2f}")])
    floor = per_call["empty endpoint"]
    ratio = statistics.median(r / f for r, f in zip(per_call["patient-view"], floor, strict=True))
    long_floor = per_call["empty endpoint, long"]
    long_ratio = statistics.median(
        r / f for r, f in zip(per_call["patient-view, long"], long_floor, strict=True)
    )
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`python benchmarks/server_ratio.py --rounds {args.rounds} --seconds {args.seconds:g}`: "
            "one uvicorn worker each, one keep-alive connection, requests one at a time; "
            "CPU of the server process "
            "(`/proc/<pid>/stat` utime+stime) per call; median of "
            f"{args.rounds} alternating rounds (min-max). Request: the 40-resource patient-view "
            f"({size / 1000:.1f} kB); the Bundle {len(bundle) / 1000:.1f} kB; the project JSON "
            f"{len(scenario) / 1000:.1f} kB; the long patient-view has {40 + 2 * LONG_HISTORY_VISITS} "
            f"resources ({long_size / 1000:.1f} kB), against the empty endpoint given the same body. "
            "Target: patient-view at most 5x the empty endpoint.",
            "",
            table(["call", "server CPU per call, µs", "× empty endpoint"], rows),
            "",
            f"patient-view / empty endpoint: **{ratio:.2f}×**; long patient-view: **{long_ratio:.2f}×** "
            "(target ≤ 5×).",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("server_ratio", "Server CPU per call against an empty endpoint (server_ratio.py)", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
