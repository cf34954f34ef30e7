"""Memory over many evaluations, and start-up time (load and compile the rules).

    python benchmarks/memory.py [--evaluations 100000] [--startups 5] [--engine-runs 3] [--worker-runs 3]
                               [--worker-calls 2000]

RSS comes from /proc/self/statm (no psutil). The engine is warmed up with 5,000 evaluations first (caches,
the allocator's pools), then evaluates 100,000 more, cycling over 2,000 different realistic patients,
each time the whole path: JSON -> Scenario -> derive -> durable-rules -> findings. Growth is RSS at the end
minus RSS after warm-up (target < 5 MB). Start-up is timed in fresh interpreters: importing the engine, and
loading plus compiling the rules (target < 2 s for the latter; both shown). The RSS run is repeated in
``--engine-runs`` fresh processes (at least 3); each figure is the median of the runs with their range.

Beside the engine, a service worker (``_worker.py``): ``clinrules serve`` with one worker, timed from spawn
until ``/ready`` answers (wall and the process's CPU), and its RSS when ready, after 200 patient-view calls
of warm-up and after ``--worker-calls`` more; each figure the median of ``--worker-runs`` fresh workers
(at least 3) with their range.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import ROOT, machine, spread, table, write_section
from _worker import WorkerRun, worker_run

from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
from engine.scenario import Scenario
from tests.reliability.scenario_gen import scenario_batch

PAGE = os.sysconf("SC_PAGE_SIZE")

_STARTUP = """
import time
t0 = time.perf_counter()
from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
t1 = time.perf_counter()
kb = load_knowledge_base()
t2 = time.perf_counter()
ev = Evaluator(kb)
t3 = time.perf_counter()
from engine.facts import PatientFacts
ev.evaluate_facts(PatientFacts())
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
"""


def rss_mb() -> float:
    """Resident set size of this process, in MiB, from /proc/self/statm."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def startup(runs: int) -> list[list[float]]:
    """[import, load rules, compile, first evaluation] seconds, per fresh interpreter."""
    out = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _STARTUP], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
        )
        out.append([float(x) for x in done.stdout.split()])
    return out


def engine_rss(evaluations: int, warmup: int) -> dict[str, Any]:
    """RSS in MiB after ``warmup`` evaluations and at each tenth of ``evaluations`` more, in this process."""
    evaluator = Evaluator(load_knowledge_base())
    raw = scenario_batch(2000, 31, "realistic")

    def one(i: int) -> None:
        evaluator.evaluate(Scenario.model_validate(raw[i % len(raw)]))

    for i in range(warmup):
        one(i)
    gc.collect()
    at, rss = [0], [rss_mb()]
    step = max(1, evaluations // 10)
    started = time.perf_counter()
    for i in range(evaluations):
        one(i)
        if (i + 1) % step == 0:
            gc.collect()
            at.append(i + 1)
            rss.append(rss_mb())
    seconds = time.perf_counter() - started
    assert evaluator.runtime.live_sessions == 0
    return {"at": at, "rss": rss, "seconds": seconds}


def _engine_run(evaluations: int, warmup: int) -> dict[str, Any]:
    """:func:`engine_rss` in a fresh interpreter, so that each run's RSS is its own."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child-engine",
            "--evaluations",
            str(evaluations),
            "--warmup",
            str(warmup),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _worker_table(runs: Sequence[WorkerRun], calls: int) -> str:
    """The service worker's start-up and RSS, median of the runs with their range."""
    rows = [
        ["start-up: spawn to /ready (wall)", spread([r.ready_s * 1e3 for r in runs], "{:.0f}", " ms")],
        [
            "start-up: CPU of the worker until ready",
            spread([r.ready_cpu_s * 1e3 for r in runs], "{:.0f}", " ms"),
        ],
        [
            "restart on the same database: spawn to /ready (wall)",
            spread([r.restart_s * 1e3 for r in runs], "{:.0f}", " ms"),
        ],
        [
            "restart: CPU of the worker until ready",
            spread([r.restart_cpu_s * 1e3 for r in runs], "{:.0f}", " ms"),
        ],
        ["RSS when ready", spread([r.rss_ready_mb for r in runs], "{:.1f}", " MiB")],
        ["RSS after 200 patient-view calls (warm)", spread([r.rss_warm_mb for r in runs], "{:.1f}", " MiB")],
        [f"RSS after {calls:,} more calls", spread([r.rss_end_mb for r in runs], "{:.1f}", " MiB")],
        [
            f"growth over those {calls:,} calls",
            spread([r.rss_end_mb - r.rss_warm_mb for r in runs], "{:+.2f}", " MiB"),
        ],
    ]
    return (
        f"Service worker (`clinrules serve --workers 1`, the 40-resource patient-view of `http_load.py` over "
        f"one keep-alive connection), median of {len(runs)} fresh workers (range):\n\n"
        + table(["what", "median (range)"], rows)
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--warmup", type=int, default=5_000)
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--engine-runs", type=int, default=3)
    parser.add_argument("--worker-runs", type=int, default=3)
    parser.add_argument("--worker-calls", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child-engine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_engine:
        print(json.dumps(engine_rss(args.evaluations, args.warmup)))
        return 0

    workers = [worker_run(200, args.worker_calls) for _ in range(max(3, args.worker_runs))]
    starts = startup(max(3, args.startups))
    load_compile = [s[1] + s[2] for s in starts]
    total = [s[0] + s[1] + s[2] for s in starts]

    engine_runs = [_engine_run(args.evaluations, args.warmup) for _ in range(max(3, args.engine_runs))]
    growths = [run["rss"][-1] - run["rss"][0] for run in engine_runs]
    seconds = [float(run["seconds"]) for run in engine_runs]
    rates = [args.evaluations / t for t in seconds]

    mem_rows = [
        [
            f"{n:,}",
            spread([run["rss"][k] for run in engine_runs], "{:.2f}"),
            spread([run["rss"][k] - run["rss"][0] for run in engine_runs], "{:+.2f}"),
        ]
        for k, n in enumerate(engine_runs[0]["at"])
    ]
    start_rows = [
        ["import engine", spread([s[0] * 1e3 for s in starts], "{:.0f}", " ms"), ""],
        ["load and validate rules/", spread([s[1] * 1e3 for s in starts], "{:.0f}", " ms"), ""],
        ["compile into durable-rules", spread([s[2] * 1e3 for s in starts], "{:.0f}", " ms"), ""],
        [
            "load + compile",
            spread([t * 1e3 for t in load_compile], "{:.0f}", " ms"),
            _yes(max(load_compile) < 2),
        ],
        ["import + load + compile", spread([t * 1e3 for t in total], "{:.0f}", " ms"), _yes(max(total) < 2)],
        ["first evaluation", spread([s[3] * 1e3 for s in starts], "{:.1f}", " ms"), ""],
    ]
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/memory.py --evaluations {args.evaluations} "
        f"--startups {args.startups} --engine-runs {args.engine_runs} --worker-runs {args.worker_runs} "
        f"--worker-calls {args.worker_calls}`\n\n"
        f"Engine start-up, median of {len(starts)} fresh interpreters with their range (target < 2 s in "
        "every run):\n\n"
        + table(["step", "time", "< 2 s"], start_rows)
        + f"\n\nRSS over {args.evaluations:,} full evaluations (JSON -> findings) after {args.warmup:,} "
        f"warm-up evaluations, cycling over 2,000 realistic patients, in {len(engine_runs)} fresh processes: "
        f"median (range) of the runs ({spread(seconds, '{:.0f}', ' s')}; "
        f"{spread(rates, '{:,.0f}', '/s')}):\n\n"
        + table(["evaluations", "RSS MiB", "growth MiB"], mem_rows)
        + f"\n\nGrowth over {args.evaluations:,} evaluations: **{spread(growths, '{:+.2f}', ' MiB')}** "
        f"(target < 5 MB in every run: **{'yes' if max(growths) < 5 else 'NO'}**).\n\n"
        + _worker_table(workers, args.worker_calls)
    )
    print(body)
    if not args.no_write:
        write_section("memory", "Memory and start-up (memory.py)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
