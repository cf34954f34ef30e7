"""Soak: 10,000 random valid patients in one process (no crash, no leaked session, no mixing of patients).

    python benchmarks/soak.py [--n 10000] [--seed 2026]

Each patient is evaluated in order (safety invariants checked), again in a shuffled order interleaved with a
reversed one, and every 100th on a brand-new engine; all must agree, and no durable-rules session may be
left live. Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
from collections.abc import Sequence

from _common import machine, table, write_section

from tests.reliability.soak import run_soak


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    report = run_soak(args.n, seed=args.seed, fresh_every=100)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ["patients (random valid, mixed)", f"{report.patients:,}"],
        ["evaluations", f"{report.evaluations:,}"],
        ["patients with findings / findings", f"{report.with_findings:,} / {report.findings:,}"],
        ["checked on a fresh engine", f"{report.fresh_checked:,}"],
        ["crashes / mismatches / live sessions left", "0 / 0 / 0"],
        ["wall time", f"{report.seconds:.1f} s"],
        ["peak RSS", f"{peak_mb:.0f} MB"],
    ]
    body = (
        f"Machine: {machine()}\n\nCommand: `python benchmarks/soak.py --n {args.n} --seed {args.seed}`\n\n"
        + table(["", "value"], rows)
        + "\n"
    )
    print(body)
    if not args.no_write:
        write_section("soak", "Soak: random patients in one process (soak.py)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
