"""A ``clinrules serve`` subprocess for the load benchmarks: a free port, start (until it answers), stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _common import ROOT


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, db: Path) -> subprocess.Popen[bytes]:
    """``clinrules serve`` on 127.0.0.1:port with its own SQLite file; returns once it answers."""
    env = {
        **os.environ,
        "CLINRULES_DATABASE_URL": f"sqlite:///{db}",
        "CLINRULES_LOG_LEVEL": "WARNING",
        "CLINRULES_PATIENT_ID_SALT": "benchmark-salt",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"the service exited ({proc.returncode}): {err[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("the service did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
