"""The highest patient-view rate ``clinrules serve --workers 2`` holds with p99 under 25 ms (open loop).

    python benchmarks/held_rate.py [--workers 2] [--rates 100 150 200 250 300] [--seconds 5] [--runs 3]

A bounded loopback stand-in for ``http_load.py`` while that harness is being reworked: the service runs as
``clinrules serve`` (temporary SQLite audit database) on a free port of 127.0.0.1; a separate client
process sends the 40-resource patient-view of ``http_load.py`` on an open-loop schedule (request *i* leaves
at ``t0 + i / rate`` whether or not earlier ones have answered) over keep-alive connections (a new one when
none is free, at most 256; a connection idle for 3 s is closed by the client, before uvicorn's 5 s
keep-alive can close it under a request). Latency counts from the scheduled time, so a server that falls
behind is charged for its queue. A rate is *held* in a run when every request got a 200 with cards, all
were completed (counted, not scheduled) and p99 < 25 ms; the highest rate is the highest held in every
run. Each step lasts ``--seconds`` after a 1-second warm-up; climbing stops at the first rate not held.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import ROOT, machine, percentile, table, write_section
from http_load import patient_view_request
from server_ratio import KEYS, Server, free_port

TARGET_P99_MS = 25.0
IDLE_CLOSE_SECONDS = 3.0


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()


async def _exchange(conn: _Conn, request: bytes) -> bool:
    conn.writer.write(request)
    head = await conn.reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v) for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "content-length"
    )
    body = await conn.reader.readexactly(length)
    return lines[0].split()[1] == "200" and b'"cards"' in body


async def _open_loop(port: int, requests: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    free: list[_Conn] = []
    opened = 0
    latencies: list[float] = []
    errors = 0

    async def one(request: bytes, scheduled: float) -> None:
        nonlocal opened, errors
        now = time.monotonic()
        while free and now - free[-1].idle_since > IDLE_CLOSE_SECONDS:
            free.pop().writer.close()
        conn = free.pop() if free else None
        try:
            if conn is None:
                if opened >= 256:
                    errors += 1
                    return
                opened += 1
                conn = _Conn(*await asyncio.open_connection("127.0.0.1", port))
            ok = await _exchange(conn, request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            if conn is not None:
                conn.writer.close()
                opened -= 1
            return
        latencies.append(time.monotonic() - scheduled)
        if not ok:
            errors += 1
        conn.idle_since = time.monotonic()
        free.append(conn)

    async def schedule(duration: float, record: bool) -> list[asyncio.Task[None]]:
        tasks = []
        start = time.monotonic()
        count = int(duration * rate)
        for i in range(count):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(requests[i % len(requests)], due)))
        if not record:
            await asyncio.gather(*tasks)
        return tasks

    await schedule(1.0, record=False)  # warm-up
    latencies.clear()
    errors = 0
    tasks = await schedule(seconds, record=True)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    for conn in free:
        conn.writer.close()
    ordered = sorted(latencies)
    return {
        "scheduled": len(tasks),
        "completed": len(latencies),
        "errors": errors,
        "p50": percentile(ordered, 0.5) * 1000,
        "p99": percentile(ordered, 0.99) * 1000,
    }


def _client(port: int, requests: list[bytes], rate: float, seconds: float, out: Any) -> None:
    out.put(asyncio.run(_open_loop(port, requests, rate, seconds)))


def _requests(port: int) -> list[bytes]:
    body, _ = patient_view_request("bench-patient-1", KEYS)
    out = []
    for _ in range(256):
        body["hookInstance"] = str(uuid.uuid4())
        data = json.dumps(body).encode()
        out.append(
            f"POST /cds-services/patient-view HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
    return out


def run_step(port: int, requests: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    """One open-loop step from a separate client process."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_client, args=(port, requests, rate, seconds, out))
    proc.start()
    result: dict[str, Any] = out.get(timeout=seconds + 120)
    proc.join(timeout=30)
    return result


def held(step: dict[str, Any]) -> bool:
    """No errors, every scheduled request completed, p99 under the target."""
    return bool(
        step["errors"] == 0 and step["completed"] == step["scheduled"] and step["p99"] < TARGET_P99_MS
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Climb the rates, print the table and write it to RESULTS.md (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rates", type=float, nargs="+", default=[100, 150, 200, 250, 300])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    best = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CLINRULES_DATABASE_URL": f"sqlite:///{Path(tmp) / 'audit.db'}",
            "CLINRULES_LOG_LEVEL": "WARNING",
        }
        code = f"from service.server import run; run('127.0.0.1', {port}, {args.workers})"
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        server = Server("service", process, port)
        try:
            server.wait_ready("/ready")
            requests = _requests(port)
            for rate in args.rates:
                steps = [run_step(port, requests, rate, args.seconds) for _ in range(args.runs)]
                ok = all(held(s) for s in steps)
                p99 = [s["p99"] for s in steps]
                rows.append(
                    [
                        f"{rate:g}",
                        f"{statistics.median(s['completed'] / args.seconds for s in steps):.1f}",
                        f"{statistics.median(s['p50'] for s in steps):.1f}",
                        f"{statistics.median(p99):.1f} ({min(p99):.1f}–{max(p99):.1f})",
                        str(sum(s["errors"] for s in steps)),
                        "yes" if ok else "no",
                    ]
                )
                print(rows[-1], flush=True)
                if not ok:
                    break
                best = rate
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`python benchmarks/held_rate.py --workers {args.workers} --seconds {args.seconds:g} "
            f"--runs {args.runs}`: `clinrules serve --workers {args.workers}` (SQLite audit), open-loop "
            "schedule of 40-resource patient-views from a separate process; latency from the scheduled "
            f"time; completed = answers counted; median of {args.runs} runs (range). Held = in every run "
            f"no error, every request completed, p99 < {TARGET_P99_MS:g} ms.",
            "",
            table(["target/s", "completed/s", "p50 ms", "p99 ms", "errors", "held"], rows),
            "",
            f"Highest rate held with {args.workers} workers: **{best:g} patient-views/s**.",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("held_rate", f"Highest rate held, {args.workers} workers (held_rate.py)", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
