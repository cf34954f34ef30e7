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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import BENCHMARKS, ROOT, machine, table, write_section
from _patient_view import patient_view_request

from engine.fhir import scenario_from_resources

KEYS = {
    "Patient": "patient",
    "Observation": "observations",
    "Condition": "conditions",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (all its threads, living and ended), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of proc(5)


def free_port() -> int:
    """A port the kernel says is free on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time (no client library in the way)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body`` as JSON; return the status and the response body."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(v) for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "content-length"
        )
        while len(self.buffer) < length:
            self._more()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, answer

    def _more(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


@dataclass
class Server:
    """A uvicorn subprocess (one worker: the process itself serves)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        """Wait until ``GET path`` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: the server exited during start-up")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: not ready")

    def stop(self) -> None:
        """Terminate and reap the process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, code: str, env: dict[str, str]) -> Server:
    """Start ``python -c code`` (``{port}`` filled in) as a server."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", code.format(port=port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Server(name, process, port)


SERVICE = "from service.server import run; run('127.0.0.1', {port}, 1)"
EMPTY = (
    f"import sys, uvicorn; sys.path.insert(0, {str(BENCHMARKS)!r}); "
    "from service.server import UVICORN_OPTIONS; "
    "uvicorn.run('_empty_app:create_app', host='127.0.0.1', port={port}, workers=1, **UVICORN_OPTIONS)"
)


def bodies() -> tuple[Callable[[], bytes], bytes, bytes]:
    """The patient-view body (a new hookInstance each call), the same resources as a Bundle and as the
    project's JSON."""
    body, count = patient_view_request("bench-patient-1", KEYS)
    assert count == 40
    prefetch = body["prefetch"]
    resources = [prefetch["patient"]] + [
        entry["resource"] for key in list(KEYS.values())[1:] for entry in prefetch[key]["entry"]
    ]
    template = json.dumps(body).encode()
    instance = body["hookInstance"].encode()

    def patient_view() -> bytes:
        return template.replace(instance, str(uuid.uuid4()).encode(), 1)

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


def spread(values: Sequence[float], fmt: str) -> str:
    """Median (min-max)."""
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rounds, print the table and write it to RESULTS.md (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5, help="per target per round")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    patient_view, bundle, scenario = bodies()
    size = len(patient_view())
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
            _wait_port(empty)
            targets = [
                Target("empty endpoint", empty, "/cds-services/patient-view", patient_view),
                Target("patient-view", service, "/cds-services/patient-view", patient_view),
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
    floor = per_call["empty endpoint"]
    rows = []
    for target in targets:
        cpu = [v * 1e6 for v in per_call[target.name]]
        ratios = [v / f for v, f in zip(per_call[target.name], floor, strict=True)]
        rows.append([target.name, spread(cpu, ".0f"), spread(ratios, ".2f")])
    ratio = statistics.median(r / f for r, f in zip(per_call["patient-view"], floor, strict=True))
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
            f"{len(scenario) / 1000:.1f} kB. Target: patient-view at most 5x the empty endpoint.",
            "",
            table(["call", "server CPU per call, µs", "× empty endpoint"], rows),
            "",
            f"patient-view / empty endpoint: **{ratio:.2f}×** (target ≤ 5×).",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("server_ratio", "Server CPU per call against an empty endpoint (server_ratio.py)", text)
    return 0


def _wait_port(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name}: the server exited during start-up")
        try:
            Connection(server.port).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name}: not ready")


if __name__ == "__main__":
    raise SystemExit(main())
