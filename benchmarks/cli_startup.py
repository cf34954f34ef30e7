"""Start-up of `clinrules evaluate` on one project-JSON scenario, beside `python -c pass`.

    python benchmarks/cli_startup.py [--runs 15] [--write]

Each command runs ``--runs`` times as a fresh process (alternating, so drift on a shared machine touches all
alike): wall time, and CPU time (user + system, from the child's resource usage). The table shows the median
and the range (min-max) of the runs. The commands:

* ``python -c pass``            the interpreter alone: the floor no command can go below;
* ``import service.cli``        importing the command line (typer, rich, the engine's models);
* ``clinrules evaluate``        ``python -m service.cli evaluate scenario.json`` (the same as the installed
                                ``clinrules`` script, without its entry-point look-up): read, validate, load
                                and compile the rules, evaluate, print the table;
* ``clinrules evaluate FHIR``   the same patient as a FHIR Bundle (imports the FHIR intake too).

Target (issue 12): ``clinrules evaluate`` on one scenario in at most 150 ms of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, table, write_section

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = {
    "patient": {"id": "cli-1", "birth_date": "1984-03-02", "sex": "female"},
    "evaluation_time": "2026-06-01T09:00:00Z",
    "conditions": [{"code": "B20", "onset": "2025-11-01"}],
    "observations": [{"kind": "cd4", "time": "2026-05-20", "value": 42, "unit": "cells/uL"}],
    "medications": [{"ingredient": "thalidomide", "status": "draft", "draft": True}],
}
BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "cli-1",
                "gender": "female",
                "birthDate": "1984-03-02",
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "subject": {"reference": "Patient/cli-1"},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "B20"}]},
                "onsetDateTime": "2025-11-01",
            }
        },
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "status": "draft",
                "intent": "order",
                "subject": {"reference": "Patient/cli-1"},
                "medicationCodeableConcept": {"text": "thalidomide 50 mg capsule"},
            }
        },
    ],
}


def _once(command: list[str]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run of ``command`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=_env())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def main() -> None:
    """Run the commands, print the table, and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        native, fhir = Path(folder) / "scenario.json", Path(folder) / "bundle.json"
        native.write_text(json.dumps(SCENARIO), encoding="utf-8")
        fhir.write_text(json.dumps(BUNDLE), encoding="utf-8")
        py = sys.executable
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "import service.cli": [py, "-c", "import service.cli"],
            "clinrules evaluate scenario.json": [py, "-m", "service.cli", "evaluate", str(native)],
            "clinrules evaluate bundle.json (FHIR)": [py, "-m", "service.cli", "evaluate", str(fhir)],
        }
        for command in commands.values():  # warm the file cache and the bytecode
            _once(command)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(_once(command))
    rows = []
    for name, runs in samples.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        rows.append(
            [
                name,
                f"{statistics.median(walls):.0f}",
                f"{min(walls):.0f}-{max(walls):.0f}",
                f"{statistics.median(cpus):.0f}",
                f"{min(cpus):.0f}-{max(cpus):.0f}",
            ]
        )
    body = (
        f"Machine: {machine()}\n\n"
        f"{args.runs} runs of each command as a fresh process, alternating; milliseconds (median, and the "
        "range of the runs). Target: `clinrules evaluate` on one scenario ≤ 150 ms wall.\n\n"
        + table(["command", "wall ms", "wall range", "CPU ms", "CPU range"], rows)
        + "\n"
    )
    print(body)
    if args.write:
        write_section("cli_startup", "Command-line start-up (cli_startup.py)", body)


if __name__ == "__main__":
    main()
