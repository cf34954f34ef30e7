"""Slowloris against a real ``clinrules serve``: /health latency, connections held, log growth, RSS.

Starts the service (default settings unless given) on a free loopback port, opens N connections that send
half a request and then one byte every second (slowloris), and meanwhile asks ``/health`` once a second.
For each of ``--runs`` attacks (a fresh server each): the health latencies (median, worst), failed probes,
how many attacking connections the server still holds at the end, the log's lines and size, and the server's
peak RSS. The table shows the median of the runs and their range; ``--write`` stores it in RESULTS.md.

    python benchmarks/slowloris.py [--runs 3] [--connections 1100] [--seconds 20] [--open-files 1024]
                                   [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import machine, table, write_section
from _serve import free_port

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def still_open(sock: socket.socket) -> bool:
    """True while the server has not closed or reset this connection."""
    sock.setblocking(False)
    try:
        return sock.recv(1024) != b""
    except BlockingIOError:
        return True  # nothing to read and not closed
    except OSError:
        return False


def attack(connections: int, seconds: float, open_files: int) -> dict[str, float]:
    """One attack on a fresh server; its figures."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="clinrules-slowloris-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLINRULES_")}
        env.update(PYTHONPATH=str(ROOT), CLINRULES_DATABASE_URL=f"sqlite:///{tmp}/audit.db")
        log = Path(tmp) / "server.log"

        def server_limits() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        with log.open("wb") as sink:
            server = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
                env=env,
                cwd=tmp,
                stdout=sink,
                stderr=subprocess.STDOUT,
                preexec_fn=server_limits,
            )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            attackers = []
            for i in range(connections):
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                    sock.sendall(f"GET /health HTTP/1.1\r\nHost: x\r\nX-{i}: ".encode())
                    attackers.append(sock)
                except OSError:
                    pass
            latencies: list[float] = []
            failures = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                start = time.monotonic()
                try:
                    ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.monotonic() - start)
                failures += not ok
                for sock in attackers:
                    with contextlib.suppress(OSError):
                        sock.send(b"a")
                time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))
            held = sum(still_open(sock) for sock in attackers)
            for sock in attackers:
                sock.close()
            rss = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
        size = log.stat().st_size
        lines = len(log.read_bytes().splitlines())
    return {
        "attacking connections opened": len(attackers),
        "still held by the server at the end": held,
        "/health probes failed": failures,
        "/health median, ms": statistics.median(latencies) * 1000,
        "/health worst, ms": max(latencies) * 1000,
        "server log, lines": lines,
        "server log, KiB": size / 1024,
        "server peak RSS, MiB": rss,
    }


def main() -> None:
    """Run the attacks, print the table and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--open-files", type=int, default=1024, help="the server's open-file limit")
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 256), hard))
    runs = [attack(args.connections, args.seconds, args.open_files) for _ in range(args.runs)]
    rows = []
    for name in runs[0]:
        values = [run[name] for run in runs]
        rows.append([name, f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"])
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`python benchmarks/slowloris.py --runs {args.runs} --connections {args.connections} "
            f"--seconds {args.seconds:g} --open-files {args.open_files}`: a fresh `clinrules serve` per run; "
            "median of the runs (min-max).",
            "",
            table(["figure", "median (range)"], rows),
        ]
    )
    print(text)
    if args.write:
        write_section("slowloris", "Slowloris against clinrules serve (slowloris.py)", text)


if __name__ == "__main__":
    main()
