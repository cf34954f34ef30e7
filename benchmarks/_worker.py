"""A ``clinrules serve`` worker's start-up and memory, for ``memory.py`` (beside the engine's).

One worker (``--workers 1``: uvicorn serves in the process it starts, so the process is the worker) on a
random free loopback port, with its own SQLite audit file. Start-up is timed from the spawn to the first
``200`` from ``/ready`` (polled every 10 ms), in wall time and in the CPU time the process spent (from
``/proc/<pid>/stat``). RSS (``/proc/<pid>/statm``) is read after a warm-up of patient-view calls (the
40-resource prefetch of ``http_load.py``, over one keep-alive connection) and after ``calls`` more. Then a
second worker is started on the same audit file, as a restart finds it (already at this code's schema
revision), and timed until ready the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from _common import ROOT
from _patient_view import patient_view_request, prefetch_keys
from _serve import free_port, stop_server

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class WorkerRun:
    """One worker's start-up and memory."""

    ready_s: float
    ready_cpu_s: float
    rss_ready_mb: float
    rss_warm_mb: float
    rss_end_mb: float
    restart_s: float
    restart_cpu_s: float


def _rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime, after the command name


def _spawn(port: int, db: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLINRULES_DATABASE_URL": f"sqlite:///{db}",
        "CLINRULES_LOG_LEVEL": "WARNING",
        "CLINRULES_PATIENT_ID_SALT": "benchmark-salt",
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _call(client: httpx.Client, bodies: list[dict[str, object]], calls: int) -> None:
    for i in range(calls):
        answer = client.post("/cds-services/patient-view", json=bodies[i % len(bodies)])
        if answer.status_code != 200:
            raise SystemExit(f"patient-view answered {answer.status_code}: {answer.text[:300]}")


def _until_ready(proc: subprocess.Popen[bytes], client: httpx.Client, started: float) -> tuple[float, float]:
    """Poll ``/ready`` every 10 ms; the wall seconds since ``started`` and the worker's CPU seconds."""
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the service exited ({proc.returncode})")
        if time.perf_counter() - started > 60:
            raise SystemExit("the service was not ready within 60 s")
        try:
            if client.get("/ready").status_code == 200:
                return time.perf_counter() - started, _cpu_s(proc.pid)
        except httpx.TransportError:
            pass
        time.sleep(0.01)


def worker_run(warmup: int, calls: int) -> WorkerRun:
    """Start one worker, time it until ready, and read its RSS after ``warmup`` and ``calls`` more calls;
    then time a restart on the same audit file."""
    with tempfile.TemporaryDirectory(prefix="clinrules-worker-") as tmp:
        database = Path(tmp) / "audit.db"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        proc = _spawn(port, database)
        try:
            with httpx.Client(base_url=base, timeout=10) as client:
                ready_s, ready_cpu_s = _until_ready(proc, client, started)
                rss_ready = _rss_mb(proc.pid)
                keys = prefetch_keys(client.get("/cds-services").json())
                bodies = [patient_view_request(f"worker-{i}", keys)[0] for i in range(64)]
                _call(client, bodies, warmup)
                rss_warm = _rss_mb(proc.pid)
                _call(client, bodies, calls)
                rss_end = _rss_mb(proc.pid)
        finally:
            stop_server(proc)
        port = free_port()
        started = time.perf_counter()
        proc = _spawn(port, database)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                restart_s, restart_cpu_s = _until_ready(proc, client, started)
        finally:
            stop_server(proc)
    return WorkerRun(ready_s, ready_cpu_s, rss_ready, rss_warm, rss_end, restart_s, restart_cpu_s)
