"""Measuring a server subprocess: its CPU time from /proc, one keep-alive connection, start and stop.

Used by ``server_ratio.py`` and ``held_rate.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import ROOT
from _serve import free_port

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (all its threads, living and ended), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of proc(5)


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


def wait_port(server: Server, timeout: float = 60) -> None:
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
