"""Time ``clinrules test`` on a generated suite of 1,000 YAML cases (in process), as a user runs it.

Run: ``python benchmarks/suite_1000.py [N] [--runs 3] [--write]``. Prints the wall time of the whole command
(start-up, rule compilation and N evaluations included), the median of ``--runs`` runs (at least 3) and their
range; ``--write`` stores it in RESULTS.md. The command is ``python -m service.cli test`` from this checkout
(what the installed ``clinrules`` script runs).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from _common import ROOT, machine, table, write_section

TODAY = date(2026, 6, 1)


def case(i: int) -> dict[str, Any]:
    """A varied IRIS-risk case whose expectation follows from the default thresholds."""
    cd4 = 20 + (i * 7) % 200
    art_days = (i * 13) % 150
    fires = cd4 < 100 and art_days <= 90
    scenario = {
        "patient": {"birth_date": "1980-01-01", "sex": "male"},
        "evaluation_time": f"{TODAY.isoformat()}T12:00:00Z",
        "conditions": [{"code": "B20"}],
        "observations": [
            {
                "kind": "cd4",
                "time": (TODAY - timedelta(days=art_days + 3)).isoformat(),
                "value": cd4,
                "unit": "cells/uL",
            }
        ],
        "medications": [
            {"ingredient": "dolutegravir", "start": (TODAY - timedelta(days=art_days)).isoformat()}
        ],
    }
    return {
        "name": f"case {i}: CD4 {cd4}, {art_days} days on ART",
        "scenario": scenario,
        "expect" if fires else "absent": ["iris-risk"],
    }


def main() -> None:
    """Generate the suite, run the command, print the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("cases", type=int, nargs="?", default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    n = args.cases
    times: list[float] = []
    summary = ""
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite.yaml"
        suite.write_text(yaml.safe_dump({"cases": [case(i) for i in range(n)]}), encoding="utf-8")
        command = [sys.executable, "-m", "service.cli", "test", str(suite)]
        for _ in range(max(3, args.runs)):
            start = time.perf_counter()
            proc = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                raise SystemExit(
                    f"clinrules test failed ({proc.returncode}): {proc.stdout[-1000:]}{proc.stderr[-1000:]}"
                )
            # The verdict without the suite's own timing of this one run (the table gives the runs' spread).
            summary = re.sub(r" in [0-9.]+s$", "", proc.stdout.strip().splitlines()[-1])
    row = [f"{n:,}", f"{statistics.median(times):.2f}", f"{min(times):.2f}-{max(times):.2f}"]
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/suite_1000.py {n} --runs {len(times)}`; "
        f"the suite's verdict: {summary}\n\n"
        f"Wall seconds of the whole `clinrules test` command (start-up, compiling the rules, every case), "
        f"the median of {len(times)} runs and their range:\n\n"
        + table(["cases", "median s", "range s"], [row])
        + "\n"
    )
    print(body)
    if args.write:
        write_section("suite_1000", "A 1,000-case suite through clinrules test (suite_1000.py)", body)


if __name__ == "__main__":
    main()
