"""Time ``clinrules test`` on a generated suite of 1,000 YAML cases (in process), as a user runs it.

Run: ``python benchmarks/suite_1000.py [N]``. Prints the wall time of the whole command (start-up, rule
compilation and 1,000 evaluations included) and of the evaluations alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

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
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite.yaml"
        suite.write_text(yaml.safe_dump({"cases": [case(i) for i in range(n)]}), encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(["clinrules", "test", str(suite)], capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        print(proc.stdout.strip().splitlines()[-1])
        print(f"clinrules test, {n} cases: {elapsed:.2f} s wall (exit {proc.returncode})")


if __name__ == "__main__":
    main()
