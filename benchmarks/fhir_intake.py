"""CPU time of the FHIR intake on the patient-view prefetch, beside ``fhir.resources`` on the same resources.

    python benchmarks/fhir_intake.py [--runs 7] [--calls 400] [--write]

Two prefetches: the 40-resource one of ``http_load.py`` (a Patient and four search Bundles: 22
observations, 8 conditions, 6 medication requests, 3 statements) and the 23-resource one of
``patient_view_latency.py``. For each, in the same run, alternating:

* ``intake``          ``engine.fhir.scenario_from_resources``: Bundles, narrow validation, recognition, notes,
                      the finished ``Scenario`` -- everything the service does with the prefetch. The
                      recognition memos (one answer per distinct code, text and unit, bounded) are warm, as
                      in a service that has seen these codes before; dates, values and items are read anew;
* ``intake, first sight``  the same with every memo emptied before each call (``ValueSets.forget``): the
                      cost when every code, name and unit is new;
* ``narrow models``   only the narrow models, as the intake reads them (``engine.fhir.wholes``: each resource
                      whole, one msgspec call per resource type): the part ``fhir.resources`` used to do;
* ``fhir.resources``  ``fhir.resources`` R4B ``model_validate`` of the same resources (what the intake did
                      before; now only the differential test's oracle).

CPU time (``time.process_time_ns``) per call; each run gives the median of its calls, and the table shows the
median of the runs and their range (min-max), and each mode's share of ``fhir.resources`` in the same run.
Target (issue 9): the intake of the 40-resource prefetch in at most 200 µs. ``--write`` stores the table in
RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import machine, table, write_section
from _patient_view import patient_view_request
from fhir.resources.R4B import get_fhir_model_class
from patient_view_latency import realistic_request

from engine.fhir import scenario_from_resources
from engine.fhir.gather import Gatherer
from engine.fhir.report import Report
from engine.fhir.wholes import read_wholes
from engine.valueset_files import default_value_sets

_PREFETCH_KEYS = {
    "patient": "Patient",
    "observations": "Observation",
    "conditions": "Condition",
    "medicationRequests": "MedicationRequest",
    "medicationStatements": "MedicationStatement",
}


def _modes(prefetch: list[dict[str, Any]]) -> dict[str, Callable[[], object]]:
    found = Gatherer(Report()).gather(prefetch, []).found
    full = [(f.raw, get_fhir_model_class(f.type)) for f in found]
    value_sets = default_value_sets()

    def intake() -> object:
        return scenario_from_resources(prefetch)

    def first_sight() -> object:
        value_sets.forget()
        return scenario_from_resources(prefetch)

    def narrow() -> object:
        for f in found:
            f.whole_read = False
        read_wholes(found)
        return found

    def oracle() -> object:
        return [model.model_validate(r) for r, model in full]

    return {
        "intake": intake,
        "intake, first sight": first_sight,
        "narrow models": narrow,
        "fhir.resources": oracle,
    }


def _run(fn: Callable[[], object], calls: int) -> float:
    """Median CPU time of one call, in microseconds, over ``calls`` calls."""
    samples = []
    for _ in range(calls):
        start = time.process_time_ns()
        fn()
        samples.append(time.process_time_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    keys = {kind: key for key, kind in _PREFETCH_KEYS.items()}
    prefetches = {
        "http_load.py": list(patient_view_request("bench-patient-1", keys)[0]["prefetch"].values()),
        "patient_view_latency.py": list(realistic_request()["prefetch"].values()),
    }
    rows: list[list[str]] = []
    verdict = ""
    for source, prefetch in prefetches.items():
        read = len(Gatherer(Report()).gather(prefetch, []).found)
        modes = _modes(prefetch)
        for fn in modes.values():  # warm up: imports, caches, value sets
            for _ in range(50):
                fn()
        results: dict[str, list[float]] = {name: [] for name in modes}
        gc.disable()
        try:
            for _ in range(args.runs):
                for name, fn in modes.items():  # alternate, so drift on a shared machine touches all alike
                    results[name].append(_run(fn, args.calls))
        finally:
            gc.enable()
        oracle = results["fhir.resources"]
        rows.extend(
            [
                f"{source} ({read} resources)",
                name,
                f"{statistics.median(values):.0f}",
                f"{min(values):.0f}-{max(values):.0f}",
                f"{statistics.median(values) / read:.1f}",
                f"{statistics.median([v / o for v, o in zip(values, oracle, strict=True)]) * 100:.1f} %",
            ]
            for name, values in results.items()
        )
        if source == "http_load.py":
            intake = results["intake"]
            verdict = (
                f"Target (issue 9): the intake of the {read}-resource prefetch in at most 200 µs of CPU: "
                f"median {statistics.median(intake):.1f} µs (runs {min(intake):.1f}-{max(intake):.1f}): "
                f"**{'met' if statistics.median(intake) <= 200 else 'NOT met'}**."
            )
    body = (
        f"Machine: {machine()}\n\n"
        f"{args.runs} runs of {args.calls} calls each, modes alternating; CPU µs per call (median of the "
        "runs' medians, and the range of the runs; the share of fhir.resources is the median of the runs' "
        "ratios).\n\n"
        + table(
            ["prefetch", "what", "median µs", "range of runs µs", "µs per resource", "of fhir.resources"],
            rows,
        )
        + "\n\n"
        + verdict
        + "\n"
    )
    print(body)
    if args.write:
        write_section("fhir_intake", "FHIR intake CPU time (fhir_intake.py)", body)


if __name__ == "__main__":
    main()
