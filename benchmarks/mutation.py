"""Time ``clinrules rules mutate features/clinical`` as a user runs it, with 1 and 2 worker processes.

Run: ``python benchmarks/mutation.py [RUNS]`` (default 5 runs each). Prints, per worker count, the wall time
and the CPU time (this command and its workers) of the whole command — start-up, the baseline run, every
mutant — as median and range, and writes its section of RESULTS.md.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

from _common import ROOT, machine, spread, table, write_section


def once(workers: int) -> tuple[float, float, dict[str, int]]:
    """Wall seconds, CPU seconds and the summary of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "rules", "mutate", "features/clinical", "--json",
         "--workers", str(workers)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary: dict[str, int] = json.loads(proc.stdout)["summary"]
    return wall, cpu, summary


def main() -> None:
    """Run the command several times per worker count; print and record the figures."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = []
    summary: dict[str, int] = {}
    for workers in (1, 2):
        walls, cpus = [], []
        for _ in range(runs):
            wall, cpu, summary = once(workers)
            walls.append(wall)
            cpus.append(cpu)
        rows.append([str(workers), spread(walls, "{:.2f}"), spread(cpus, "{:.2f}")])
    mutants = (
        f"{summary['mutants']} mutants: {summary['killed']} killed, {summary['survived']} survived, "
        f"{summary['invalid']} invalid, {summary['equivalent']} equivalent"
    )
    body = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`clinrules rules mutate features/clinical --json`, {runs} runs per row; {mutants}. Seconds, "
            "median (range), for the whole command including start-up and the baseline run.",
            "",
            table(["workers", "wall s", "CPU s (all processes)"], rows),
        ]
    )
    print(body)
    write_section("mutation", "Mutation testing of the shipped rules (mutation.py)", body)


if __name__ == "__main__":
    main()
