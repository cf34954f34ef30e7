"""Which thread of the server spends a patient-view call's CPU: the event loop, or the audit writer.

    python benchmarks/server_threads.py [--rounds 5] [--calls 1000] [--no-write]

One ``clinrules`` service on 127.0.0.1 (uvicorn, one worker, the options of ``clinrules serve``, a
temporary SQLite audit database), driven as ``server_ratio.py`` drives it: one keep-alive connection, one
request at a time. Each round sends ``--calls`` patient-views of 40 resources, then as many of 106
resources, and reads the CPU time (utime + stime) of each of the process's threads from
``/proc/<pid>/task/<tid>/stat`` before and after.

The event loop runs in the process's main thread (its thread id is the process id): uvicorn, FastAPI,
the body, the evaluation (a body this size is evaluated on the loop), the cards and the response. The
other threads are the audit writer, which inserts and commits (fsyncs) each record before the answer may
leave, and the thread pool, idle here (it takes only large bodies and fetched data). Python does not name
its threads to the operating system, so they are counted together. Median of the rounds (min-max).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from _common import ROOT, machine, spread, table, write_section
from _server_process import TICKS, Connection, start
from server_ratio import SERVICE, bodies, long_patient_view

PATH = "/cds-services/patient-view"
HEADERS = ["patient-view", "event loop, µs", "other threads, µs", "process, µs", "others' share"]


def thread_ticks(pid: int) -> dict[int, int]:
    """utime + stime of each living thread of process ``pid``, in clock ticks."""
    ticks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        ticks[int(task.name)] = int(fields[11]) + int(fields[12])
    return ticks


def split(pid: int, conn: Connection, body: Callable[[], bytes], calls: int) -> tuple[float, float]:
    """Send ``calls`` requests; the CPU µs per call of the main thread and of all the others."""
    prepared = [body() for _ in range(64)]
    before = thread_ticks(pid)
    for i in range(calls):
        status, answer = conn.request(PATH, prepared[i % len(prepared)])
        if status != 200:
            raise RuntimeError(f"answered {status}: {answer[:300]!r}")
    after = thread_ticks(pid)
    spent = {tid: ticks - before.get(tid, 0) for tid, ticks in after.items()}
    main_thread = spent.pop(pid, 0)
    per_call = 1e6 / TICKS / calls
    return main_thread * per_call, sum(spent.values()) * per_call


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rounds, print the table and write it to RESULTS.md (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000, help="per request size per round")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (the table gives a median and a range)")
    patient_view, _, _ = bodies()
    targets = {"40 resources": patient_view, "106 resources": long_patient_view()}
    measured: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in targets}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CLINRULES_DATABASE_URL": f"sqlite:///{Path(tmp) / 'audit.db'}",
            "CLINRULES_LOG_LEVEL": "INFO",
        }
        server = start("service", SERVICE, env)
        try:
            server.wait_ready("/ready")
            conn = Connection(server.port)
            for body in targets.values():  # warm-up: imports, caches, the database file
                split(server.process.pid, conn, body, 200)
            for _ in range(args.rounds):
                for name, body in targets.items():
                    on_loop, elsewhere = split(server.process.pid, conn, body, args.calls)
                    measured[name][0].append(on_loop)
                    measured[name][1].append(elsewhere)
            conn.close()
        finally:
            server.stop()
    rows = []
    for name, (loop, others) in measured.items():
        whole = [a + b for a, b in zip(loop, others, strict=True)]
        shares = [b / w for b, w in zip(others, whole, strict=True)]
        cells = [spread(values, "{:,.0f}") for values in (loop, others, whole)]
        rows.append([name, *cells, f"{statistics.median(shares):.0%}"])
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`python benchmarks/server_threads.py --rounds {args.rounds} --calls {args.calls}`: one uvicorn "
            "worker, one keep-alive connection, CDS Hooks patient-views one at a time; CPU µs per call of "
            "the server's threads (`/proc/<pid>/task/<tid>/stat`), median of the rounds (min-max). The "
            "event loop is the main thread; the others are the audit writer (each record inserted and "
            "fsynced before the answer leaves) and the thread pool (idle for bodies this size).",
            "",
            table(HEADERS, rows),
        ]
    )
    print(text)
    if not args.no_write:
        write_section("server_threads", "Which server thread spends a call's CPU (server_threads.py)", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
