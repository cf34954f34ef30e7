"""``clinrules serve`` as a real process on a free loopback port, for tests of workers and replicas."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``clinrules serve`` process group (the server and its workers)."""

    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a chatty server never blocks on it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the server
        command = [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "CLINRULES_LOG_LEVEL": "WARNING", **env},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,  # its own process group: a kill reaches every worker
        )

    def wait_ready(self, seconds: float = 60) -> None:
        """Wait until ``/ready`` answers 200 (fail with the server's stderr if it exits or times out)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited: {self.stderr()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        message = self.stderr()
        self.kill()
        raise AssertionError(f"the server did not become ready: {message}")

    def stderr(self) -> str:
        """The end of what the server wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` to the whole process group and wait for the server to end."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # workers of a killed server may outlive it a moment
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@contextmanager
def serving(env: dict[str, str], workers: int = 1) -> Iterator[Server]:
    """A ready server, stopped (SIGTERM, then SIGKILL) afterwards."""
    server = Server(env, workers)
    try:
        server.wait_ready()
        yield server
    finally:
        server.kill(signal.SIGTERM)
