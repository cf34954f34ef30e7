"""The same clinrules on different CPython builds: start-up, the FHIR intake and the rules, by CPU time.

    python benchmarks/interpreter.py --python .venv/bin/python --python /tmp/pyenv-venv/bin/python \
        [--runs 9] [--calls 300] [--write]

Each ``--python`` must be a Python with clinrules' locked stack installed (a venv), for example one made
from pyenv's interpreter:

    ~/.pyenv/versions/3.11.7/bin/python -m venv /tmp/pyenv-venv
    /tmp/pyenv-venv/bin/pip install --require-hashes -r requirements.lock
    /tmp/pyenv-venv/bin/pip install --no-deps -e .

Rounds alternate the interpreters, so drift on a shared machine touches all alike. In each round, for each
interpreter: CPU time of ``python -c pass`` and of ``python -m service.cli evaluate`` on one scenario, each a
fresh process; then, in one process, CPU per call (``time.process_time``) of the FHIR intake of the
40-resource patient-view patient and of ``Evaluator.evaluate`` on it. Figures are the median of the rounds
and their range; the last column is the later interpreters' figure over the first's, one ratio per round.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
from pathlib import Path

from _common import machine, spread, table, write_section
from cli_startup import SCENARIO

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys, time
from datetime import UTC, datetime
from _patient_view import KEYS, patient_view_request
from engine.evaluator import Evaluator
from engine.fhir import scenario_from_resources
from engine.knowledge import load_knowledge_base

calls = int(sys.argv[1])
now = datetime.now(UTC)
body, _ = patient_view_request("bench-patient-1", KEYS)
prefetch = body["prefetch"]
resources = [prefetch["patient"]] + [
    entry["resource"] for key in list(KEYS.values())[1:] for entry in prefetch[key]["entry"]
]
evaluator = Evaluator(load_knowledge_base())
scenario = scenario_from_resources(resources, [], evaluation_time=now).scenario
for _ in range(20):
    scenario_from_resources(resources, [], evaluation_time=now)
    evaluator.evaluate(scenario, now)
start = time.process_time()
for _ in range(calls):
    scenario_from_resources(resources, [], evaluation_time=now)
intake = (time.process_time() - start) / calls
start = time.process_time()
for _ in range(calls):
    evaluator.evaluate(scenario, now)
evaluate = (time.process_time() - start) / calls
print(json.dumps({"intake": intake * 1e6, "evaluate": evaluate * 1e6, "version": sys.version.split()[0]}))
"""
MEASURES = (
    ("python -c pass", "ms"),
    ("clinrules evaluate, one scenario", "ms"),
    ("FHIR intake, 40 resources", "µs"),
    ("Evaluator.evaluate, 40-resource patient", "µs"),
)


def _cpu_ms(command: list[str], env: dict[str, str]) -> float:
    """CPU milliseconds (user + system) of one run of ``command``, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def _round(python: str, scenario: Path, calls: int, env: dict[str, str]) -> tuple[list[float], str]:
    """One round's four figures for ``python``, and its version."""
    floor = _cpu_ms([python, "-c", "pass"], env)
    command = _cpu_ms([python, "-m", "service.cli", "evaluate", str(scenario)], env)
    out = subprocess.run(
        [python, "-c", CHILD, str(calls)], check=True, capture_output=True, text=True, cwd=ROOT, env=env
    )
    inner = json.loads(out.stdout)
    return [floor, command, inner["intake"], inner["evaluate"]], inner["version"]


def main() -> None:
    """Measure each interpreter in alternating rounds, print the table, and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--python", action="append", required=True, help="an interpreter (repeat)")
    parser.add_argument("--runs", type=int, default=9, help="rounds (at least 3)")
    parser.add_argument("--calls", type=int, default=300, help="in-process calls per figure")
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    if args.runs < 3 or len(args.python) < 2:
        parser.error("give at least two --python and --runs 3 or more")
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "scenario.json"
        scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}"
        env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")  # bytecode per interpreter tag
        figures: dict[str, list[list[float]]] = {p: [] for p in args.python}
        versions: dict[str, str] = {}
        for python in args.python:  # warm-up: bytecode written, files in the page cache
            versions[python] = _round(python, scenario, 20, env)[1]
        for _ in range(args.runs):
            for python in args.python:
                figures[python].append(_round(python, scenario, args.calls, env)[0])
    first = args.python[0]
    headers = ["measure", *(f"`{p}` (Python {versions[p]})" for p in args.python)]
    headers += [f"÷ first, {i + 2}" for i in range(len(args.python) - 1)]
    rows = []
    for index, (name, unit) in enumerate(MEASURES):
        cells = [name]
        for python in args.python:
            cells.append(spread([r[index] for r in figures[python]], "{:,.0f}", f" {unit}"))
        for python in args.python[1:]:
            ratios = [b[index] / a[index] for a, b in zip(figures[first], figures[python], strict=True)]
            cells.append(spread(ratios, "{:.2f}"))
        rows.append(cells)
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/interpreter.py {' '.join(f'--python {p}' for p in args.python)} "
        f"--runs {args.runs} --calls {args.calls}`; median of {args.runs} alternating rounds (range); CPU "
        "time. The command and `-c pass` are fresh processes; the intake and the rules are per call, in "
        f"one process ({args.calls} calls).\n\n" + table(headers, rows) + "\n"
    )
    print(body)
    if args.write:
        write_section("interpreter", "The same code on two CPython builds (interpreter.py)", body)


if __name__ == "__main__":
    main()
