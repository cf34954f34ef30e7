"""The audit write: CPU per record before (ORM flush) and now (group commit of driver inserts), and the
saturated patient-view rate of ``clinrules serve --workers 2`` on SQLite and on PostgreSQL.

    python benchmarks/audit_write.py [--postgres URL] [--runs 5] [--threads 4 16 40] [--writes 150]
                                     [--seconds 5] [--clients 16] [--no-http]

Write cost: two processes (as two workers) each run N (``--threads``) threads that each store ``--writes``
patient-view evaluations with one card, all at once on the same database; CPU time (user + system, the
process's whole, writer thread included) over records stored. "before" is the path of release 0.1.0 (an
ORM session per request, ``flush``, ``commit``; SQLite ``synchronous=NORMAL``); "now" is
:class:`service.audit.AuditStore` (driver inserts, group commit; SQLite ``synchronous=FULL``, fsynced).
Saturation: ``clinrules serve --workers 2`` on 127.0.0.1 and ``--clients`` keep-alive connections sending
patient-views back to back (closed loop) from a separate process for ``--seconds`` after a 1-second
warm-up. PostgreSQL runs when ``--postgres`` (or ``CLINRULES_TEST_POSTGRES_URL``) names a server; each
run uses a fresh schema there. Nothing leaves 127.0.0.1 unless the URL says so.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _audit_paths import AWAITED_PATHS, PATHS
from _common import machine, spread, table, write_section
from _loadgen import Conn, exchange, raw_request
from _patient_view import patient_view_request, prefetch_keys
from _serve import free_port, stop_server
from sqlalchemy import create_engine, make_url, text

from service.audit.migrate import upgrade
from service.database import make_engine

ROOT = Path(__file__).resolve().parents[1]
# --- the write-cost measurement ---------------------------------------------------------------------


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _writer_process(path: str, url: str, threads: int, writes: int, barrier: Any, out: Any) -> None:
    if path in AWAITED_PATHS:
        asyncio.run(_awaiting_process(path, url, threads, writes, barrier, out))
        return
    write, engine = PATHS[path](url)
    for i in range(20):  # warm: connections, statement caches
        write(i)
    barrier.wait()
    cpu, wall = _cpu(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda t: [write(i) for i in range(writes)], range(threads)))
    out.put((_cpu() - cpu, threads * writes, time.perf_counter() - wall))
    engine.dispose()


async def _awaiting_process(path: str, url: str, tasks: int, writes: int, barrier: Any, out: Any) -> None:
    write, engine = AWAITED_PATHS[path](url)
    for i in range(20):
        await write(i)
    barrier.wait()
    cpu, wall = _cpu(), time.perf_counter()

    async def task() -> None:
        for i in range(writes):
            await write(i)

    await asyncio.gather(*(task() for _ in range(tasks)))
    out.put((_cpu() - cpu, tasks * writes, time.perf_counter() - wall))
    engine.dispose()


def write_cost(path: str, url: str, threads: int, writes: int) -> tuple[float, float]:
    """CPU µs per record and records per second, two writer processes at once on ``url``."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_writer_process, args=(path, url, threads, writes, barrier, out)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    cpu = sum(r[0] for r in results)
    records = sum(r[1] for r in results)
    wall = max(r[2] for r in results)
    return cpu / records * 1e6, records / wall


@contextmanager
def fresh_database(backend: str, postgres: str | None) -> Iterator[str]:
    """An empty, migrated database: a SQLite file in a temporary folder, or a new PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'audit.db'}"
            _migrate(url)
            yield url
        return
    assert postgres is not None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    in_schema = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = in_schema.render_as_string(hide_password=False)
    try:
        _migrate(rendered)
        yield rendered
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


# --- saturation over HTTP ---------------------------------------------------------------------------


async def _closed_loop(port: int, bodies: list[bytes], clients: int, seconds: float) -> tuple[int, int]:
    ok = errors = 0
    loop = asyncio.get_running_loop()
    warm_until = loop.time() + 1.0
    stop_at = warm_until + seconds

    async def client(n: int) -> None:
        nonlocal ok, errors
        conn = Conn(*await asyncio.open_connection("127.0.0.1", port))
        i = n
        while loop.time() < stop_at:
            try:
                good = await asyncio.wait_for(exchange(conn, bodies[i % len(bodies)]), timeout=30)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                good = False
                conn.writer.close()
                conn = Conn(*await asyncio.open_connection("127.0.0.1", port))
            i += clients
            if loop.time() >= warm_until and loop.time() < stop_at:
                ok, errors = ok + good, errors + (not good)
        conn.writer.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    return ok, errors


def _load_process(port: int, bodies: list[bytes], clients: int, seconds: float, out: Any) -> None:
    out.put(asyncio.run(_closed_loop(port, bodies, clients, seconds)))


def saturated_rate(url: str, clients: int, seconds: float) -> tuple[float, int]:
    """Patient-views answered per second by ``clinrules serve --workers 2`` on ``url``, and errors."""
    import subprocess

    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLINRULES_DATABASE_URL": url,
        "CLINRULES_LOG_LEVEL": "WARNING",
        "CLINRULES_PATIENT_ID_SALT": "benchmark-salt",
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the service did not start")
            time.sleep(0.2)
        keys = prefetch_keys(httpx.get(f"{base}/cds-services", timeout=10).json())
        bodies = [raw_request(port, patient_view_request(f"sat-{i}", keys)[0]) for i in range(64)]
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        loader = ctx.Process(target=_load_process, args=(port, bodies, clients, seconds, out))
        loader.start()
        ok, errors = out.get(timeout=seconds + 120)
        loader.join(timeout=30)
        return ok / seconds, errors
    finally:
        stop_server(proc)


# --- main ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print and record in RESULTS.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default=os.environ.get("CLINRULES_TEST_POSTGRES_URL"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[4, 16, 40], help="threads per writer process"
    )
    parser.add_argument("--writes", type=int, default=150, help="writes per thread (default 150)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--http-runs", type=int, default=3)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    backends = ["sqlite", *(["postgresql"] if args.postgres else [])]

    cost_rows = []
    for backend in backends:
        for threads in args.threads:
            for path in [*PATHS, *AWAITED_PATHS]:
                cpu, rate = [], []
                for _ in range(args.runs):
                    with fresh_database(backend, args.postgres) as url:
                        us, per_second = write_cost(path, url, threads, args.writes)
                    cpu.append(us)
                    rate.append(per_second)
                cost_rows.append(
                    [backend, f"2 × {threads}", path, spread(cpu, "{:.0f}"), spread(rate, "{:.0f}")]
                )
                print(cost_rows[-1], flush=True)
    http_rows = []
    if not args.no_http:
        for backend in backends:
            rates, errors = [], 0
            for _ in range(args.http_runs):
                with fresh_database(backend, args.postgres) as url:
                    per_second, failed = saturated_rate(url, args.clients, args.seconds)
                rates.append(per_second)
                errors += failed
            http_rows.append([backend, spread(rates), str(errors)])
            print(http_rows[-1], flush=True)

    runs = f"{args.runs} runs" if args.runs > 1 else "1 run"
    body = [
        f"Machine: {machine()}",
        "",
        f"Two writer processes × N threads × {args.writes} patient-view evaluations with one card each, "
        f"all at once (a worker's request threads at N requests in flight); CPU time (user+system, "
        f"whole process) per record; median (range) of {runs}.",
        "",
        table(["database", "processes × threads", "path", "CPU µs per record", "records/s"], cost_rows),
    ]
    if http_rows:
        body += [
            "",
            f"`clinrules serve --workers 2`, {args.clients} keep-alive clients sending the http_load "
            f"patient-view back to back for {args.seconds:g} s; median (range) of {args.http_runs} runs.",
            "",
            table(["database", "patient-views/s", "errors"], http_rows),
        ]
    text_out = "\n".join(body)
    print(text_out)
    if not args.no_write:
        write_section("audit_write", "Audit write cost and saturated rate (audit_write.py)", text_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
