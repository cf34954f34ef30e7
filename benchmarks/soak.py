"""Soak: 10,000 random valid patients in one process (no crash, no leaked session, no mixing of patients).

    python benchmarks/soak.py [--n 10000] [--seed 2026] [--runs 3]

Each patient is evaluated in order (safety invariants checked), again in a shuffled order interleaved with a
reversed one, and every 100th on a brand-new engine; all must agree, and no durable-rules session may be
left live. Each run is a fresh process (so its peak RSS is its own); the counts must be the same in every
run (the patients come from the seed), and the times and peak RSS are given as the median of the runs and
their range. Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict

from _common import machine, spread, table, write_section


def _child(n: int, seed: int) -> None:
    """One soak in this process; print what it did and what it cost as one JSON line."""
    from tests.reliability.soak import run_soak

    cpu = time.process_time()
    report = run_soak(n, seed=seed, fresh_every=100)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cost = {"cpu": time.process_time() - cpu, "peak_mb": usage.ru_maxrss / 1024}
    print(json.dumps({**asdict(report), **cost}))


def _run(n: int, seed: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--n", str(n), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.n, args.seed)
        return 0
    runs = [_run(args.n, args.seed) for _ in range(args.runs)]
    counts = ("patients", "evaluations", "with_findings", "findings", "fresh_checked")
    first = runs[0]
    if any(r[k] != first[k] for r in runs for k in counts):
        seen = [{k: r[k] for k in counts} for r in runs]
        raise SystemExit(f"the runs disagree on what they evaluated: {seen}")
    rows = [
        ["patients (random valid, mixed)", f"{first['patients']:,}"],
        ["evaluations", f"{first['evaluations']:,}"],
        ["patients with findings / findings", f"{first['with_findings']:,} / {first['findings']:,}"],
        ["checked on a fresh engine", f"{first['fresh_checked']:,}"],
        ["crashes / mismatches / live sessions left", "0 / 0 / 0"],
        ["wall time", spread([r["seconds"] for r in runs], "{:.1f}", " s")],
        ["CPU time", spread([r["cpu"] for r in runs], "{:.1f}", " s")],
        ["peak RSS", spread([r["peak_mb"] for r in runs], "{:.0f}", " MB")],
    ]
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/soak.py --n {args.n} --seed {args.seed} --runs {args.runs}`; "
        f"{args.runs} runs, each a fresh process; times and peak RSS are the median of the runs and their "
        "range, the counts are the same in every run.\n\n" + table(["", "value"], rows) + "\n"
    )
    print(body)
    if not args.no_write:
        write_section("soak", "Soak: random patients in one process (soak.py)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
