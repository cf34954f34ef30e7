"""A real ``clinrules serve`` on a random loopback port, its log captured to a file, for attacks over TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    """A running server: where it listens and where its log goes."""

    host: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{self.host}:{self.port}"

    def log_text(self) -> str:
        """Everything it has logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(directory: Path, **settings: str) -> Iterator[LiveServer]:
    """Start ``clinrules serve`` with these ``CLINRULES_*`` settings (names in lower case); stop it after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINRULES_")}
    env.update({f"CLINRULES_{k.upper()}": v for k, v in settings.items()})
    env.update(
        PYTHONPATH=str(ROOT),
        CLINRULES_DATABASE_URL=f"sqlite:///{directory / 'audit.db'}",
        CLINRULES_PATIENT_ID_SALT="live-server",
    )
    log = directory / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=directory,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer("127.0.0.1", port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped: {server.log_text()[-2000:]}")
            try:
                if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
