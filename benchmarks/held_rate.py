"""The highest patient-view rate ``clinrules serve --workers 2`` holds with p99 under 25 ms (open loop).

    python benchmarks/held_rate.py [--workers 2] [--rates 100 150 200 250 300] [--seconds 5] [--runs 3]

The service runs as ``clinrules serve`` (temporary SQLite audit database) on a free port of 127.0.0.1; the
load generator of ``http_load.py`` (``_loadgen.py``, its own process) sends the 40-resource patient-view on an
open-loop schedule (request *i* leaves at ``t0 + i / rate`` whether or not earlier ones have answered) over
keep-alive connections (a new one when none is free, at most 256; one idle for 2 s is retired before
uvicorn's 5 s keep-alive can close it). Latency counts from the scheduled time, so a server that falls
behind is charged for its queue. A rate is *held* in a run when every request got a 200 with cards (no
error of the service or of the harness) and p99 < 25 ms; "completed/s" counts answers, never the schedule.
The highest rate is the highest held in every run. Each step lasts ``--seconds`` after a 1-second warm-up;
climbing stops at the first rate not held.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from _common import ROOT, machine, spread, table, write_section
from _loadgen import HELD_P99_MS, Step, load_step, raw_request
from _patient_view import KEYS, patient_view_request
from _serve import free_port
from _server_process import Server


def _requests(port: int) -> list[bytes]:
    body, _ = patient_view_request("bench-patient-1", KEYS)
    out = []
    for _ in range(256):
        body["hookInstance"] = str(uuid.uuid4())
        out.append(raw_request(port, body))
    return out


def held(step: Step) -> bool:
    """No errors (the service's or the harness's), every request completed, p99 under the target."""
    return step.errors == 0 and step.harness_errors == 0 and step.pct(0.99) < HELD_P99_MS


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
                steps = [load_step(port, requests, rate, args.seconds, 1.0) for _ in range(args.runs)]
                ok = all(held(s) for s in steps)
                rows.append(
                    [
                        f"{rate:g}",
                        spread([s.achieved for s in steps]),
                        spread([s.pct(0.5) for s in steps]),
                        spread([s.pct(0.99) for s in steps]),
                        str(sum(s.errors + s.harness_errors for s in steps)),
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
    rates = " ".join(f"{r:g}" for r in args.rates)
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`python benchmarks/held_rate.py --workers {args.workers} --seconds {args.seconds:g} "
            f"--runs {args.runs} --rates {rates}`: `clinrules serve --workers {args.workers}` "
            "(SQLite audit), open-loop "
            "schedule of 40-resource patient-views from a separate process; latency from the scheduled "
            f"time; completed = answers counted; median of {args.runs} runs (range). Held = in every run "
            f"no error, every request completed, p99 < {HELD_P99_MS:g} ms.",
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
