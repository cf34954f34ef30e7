"""Start-up of `clinrules evaluate` on one project-JSON scenario, beside what it cannot go below.

    python benchmarks/cli_startup.py [--runs 15] [--write]

Each command runs ``--runs`` times as a fresh process (alternating, so drift on a shared machine touches all
alike): wall time, and CPU time (user + system, from the child's resource usage). The table shows the median
and the range (min-max) of the runs. Nothing is cached between runs but the bytecode of the modules, written
to a temporary folder (``PYTHONPYCACHEPREFIX``) by one warm-up run, as pip byte-compiles an installed
package, and the knowledge base that run stores in a temporary cache folder (``CLINRULES_CACHE_DIR``), as a
user's first run does. The commands:

* ``python -c pass``               the interpreter alone: the floor no command can go below;
* ``libraries evaluate needs``     importing click, rich (console and table), pydantic with one model built
                                   and durable-rules, and nothing of clinrules, with the garbage
                                   collector off and no final pass at exit (as the command line runs):
                                   the floor of this stack;
* ``import service.cli``           importing the command line (what ``clinrules --help`` loads);
* ``clinrules evaluate``           the installed ``clinrules`` script (``python -m service.cli`` where there
                                   is none) on a scenario in the project's JSON: read and validate it, load
                                   the value sets and the rules (from the cache), compile, evaluate, print
                                   the table;
* ``... (no knowledge-base cache)`` the same with the cache off: the value sets and the rules are read from
                                   their YAML and JSON files and validated (and PyYAML imported);
* ``... (not byte-compiled)``      the same from a source checkout whose modules have no bytecode and may not
                                   write any (``PYTHONDONTWRITEBYTECODE=1``): each run compiles them again;
* ``clinrules evaluate (FHIR)``    the same patient as a FHIR Bundle (imports the FHIR intake too).

Target (issue 12): ``clinrules evaluate`` on one scenario in at most 150 ms of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, table, write_section

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "service")
"""clinrules' own packages: the not byte-compiled row has no bytecode for these."""
TARGET_MS = 150
EVALUATE = "clinrules evaluate scenario.json"
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
LIBRARIES = (
    "import gc\n"
    "gc.disable()\n"
    "import click, rich.console, rich.table, durable.engine, pydantic\n"
    "class Probe(pydantic.BaseModel):\n"
    "    value: int\n"
    "gc.freeze()\n"
)


def _once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run of ``command`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def _env(pycache: Path, *, write_bytecode: bool = True, kb_cache: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["CLINRULES_CACHE_DIR"] = kb_cache  # empty: the knowledge-base cache off
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _clinrules() -> list[str]:
    """How a user starts the command line here: the installed script, else ``python -m service.cli``."""
    script = Path(sys.executable).parent / "clinrules"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "service.cli"]


def _described(clinrules: list[str]) -> str:
    if clinrules[-1] == "service.cli":
        return "`python -m service.cli` (no installed script found)"
    return f"the installed script `{clinrules[-1]}`"


def main() -> None:
    """Run the commands, print the table, and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3 (the table gives a median and a range)")
    py, clinrules = sys.executable, _clinrules()
    with tempfile.TemporaryDirectory() as folder:
        native, fhir = Path(folder) / "scenario.json", Path(folder) / "bundle.json"
        native.write_text(json.dumps(SCENARIO), encoding="utf-8")
        fhir.write_text(json.dumps(BUNDLE), encoding="utf-8")
        compiled, source = Path(folder) / "pycache", Path(folder) / "pycache-source"
        kb = str(Path(folder) / "kb-cache")
        commands = {
            "python -c pass": ([py, "-c", "pass"], _env(compiled)),
            "libraries evaluate needs (no clinrules)": ([py, "-c", LIBRARIES], _env(compiled)),
            "import service.cli": ([py, "-c", "import service.cli"], _env(compiled)),
            EVALUATE: ([*clinrules, "evaluate", str(native)], _env(compiled, kb_cache=kb)),
            "clinrules evaluate scenario.json (no knowledge-base cache)": (
                [*clinrules, "evaluate", str(native)],
                _env(compiled),
            ),
            "clinrules evaluate scenario.json (not byte-compiled)": (
                [*clinrules, "evaluate", str(native)],
                _env(source, write_bytecode=False, kb_cache=kb),
            ),
            "clinrules evaluate bundle.json (FHIR)": (
                [*clinrules, "evaluate", str(fhir)],
                _env(compiled, kb_cache=kb),
            ),
        }
        # Warm the file cache, write the bytecode and store the knowledge base; the source checkout keeps
        # the libraries' bytecode only.
        for command, _ in commands.values():
            _once(command, _env(compiled, kb_cache=kb))
            _once(command, _env(source, kb_cache=kb))
        for package in PACKAGES:
            shutil.rmtree(source / ROOT.relative_to(ROOT.anchor) / package, ignore_errors=True)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (command, env) in commands.items():
                samples[name].append(_once(command, env))
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
    evaluate = statistics.median(w for w, _ in samples[EVALUATE])
    floor = statistics.median(w for w, _ in samples["libraries evaluate needs (no clinrules)"])
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/cli_startup.py --runs {args.runs}`. {args.runs} runs of each command "
        "as a fresh process, alternating; milliseconds (median, and the range of the runs). No cache but "
        "Python's bytecode (written once, as an install does; the not byte-compiled row has none for "
        "clinrules' own modules) and the knowledge base a first `clinrules` run stores "
        "(`engine/kb_cache.py`; the no-cache row goes without it). "
        f"`clinrules` is {_described(clinrules)}.\n\n"
        + table(["command", "wall ms", "wall range", "CPU ms", "CPU range"], rows)
        + "\n\n"
        f"Target: `clinrules evaluate` on one scenario ≤ {TARGET_MS} ms wall: "
        f"{'met' if evaluate <= TARGET_MS else 'not met'} ({evaluate:.0f} ms). The libraries it runs on, "
        f"imported without any of clinrules, take {floor:.0f} ms by themselves.\n"
    )
    print(body)
    if args.write:
        write_section("cli_startup", "Command-line start-up (cli_startup.py)", body)


if __name__ == "__main__":
    main()
