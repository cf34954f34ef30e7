"""CPU time of the FHIR intake on the patient-view prefetch, beside ``fhir.resources`` on the same resources.

    python benchmarks/fhir_intake.py [--runs 7] [--calls 400] [--write]

Two prefetches: the 40-resource one of ``http_load.py`` (a Patient and four search Bundles: 22
observations, 8 conditions, 6 medication requests, 3 statements) and the 23-resource one of
``patient_view_latency.py``. For each, in the same run, alternating:

* ``intake``          ``engine.fhir.scenario_from_resources``: Bundles, narrow validation, recognition, notes,
                      the finished ``Scenario`` -- everything the service does with the prefetch;
* ``narrow models``   only the narrow models (``engine.fhir.models``) on each resource the rules read: the
                      part of the intake that ``fhir.resources`` used to do;
* ``fhir.resources``  ``fhir.resources`` R4B ``model_validate`` of the same resources (what the intake did
                      before; now only the differential test's oracle);
* ``intake, recognition memoised``  the intake with the value sets' recognition of codes and names
                      (``engine/valuesets.py``) answered from a memo: the intake's own cost, without
                      recognition (which derivation would otherwise pay).

CPU time (``time.process_time_ns``) per call; each run gives the median of its calls, and the table shows the
median of the runs and their range (min-max). ``--write`` stores the table in RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _common import machine, table, write_section
from fhir.resources.R4B import get_fhir_model_class
from http_load import patient_view_request
from patient_view_latency import realistic_request

from engine.fhir import scenario_from_resources
from engine.fhir.gather import Gatherer
from engine.fhir.models import (
    ConditionBody,
    ConditionHead,
    MedicationHead,
    MedicationRequestBody,
    MedicationStatementBody,
    ObservationBody,
    ObservationHead,
    PatientModel,
    convert,
)
from engine.fhir.report import Report
from engine.valuesets import ValueSets

_PREFETCH_KEYS = {
    "patient": "Patient",
    "observations": "Observation",
    "conditions": "Condition",
    "medicationRequests": "MedicationRequest",
    "medicationStatements": "MedicationStatement",
}
NARROW: dict[str, tuple[type[Any], ...]] = {
    "Patient": (PatientModel,),
    "Observation": (ObservationHead, ObservationBody),
    "Condition": (ConditionHead, ConditionBody),
    "MedicationRequest": (MedicationHead, MedicationRequestBody),
    "MedicationStatement": (MedicationHead, MedicationStatementBody),
}


def _modes(prefetch: list[dict[str, Any]]) -> dict[str, Callable[[], object]]:
    resources = [f.raw for f in Gatherer(Report()).gather(prefetch, []).found]
    models = [(r, NARROW[r["resourceType"]]) for r in resources]
    full = [(r, get_fhir_model_class(r["resourceType"])) for r in resources]

    def intake() -> object:
        return scenario_from_resources(prefetch)

    def narrow() -> object:
        return [convert(r, m) for r, kinds in models for m in kinds]

    def oracle() -> object:
        return [model.model_validate(r) for r, model in full]

    return {
        "intake": intake,
        "narrow models": narrow,
        "fhir.resources": oracle,
        "intake, recognition memoised": intake,
    }


@contextmanager
def _memoised_recognition(on: bool) -> Iterator[None]:
    """While active, ValueSets answers recognition questions from a memo (for the breakdown row only)."""
    if not on:
        yield
        return
    originals = {name: getattr(ValueSets, name) for name in ("condition_concepts", "medication_classes")}
    for name, original in originals.items():
        memo: dict[tuple[Any, ...], frozenset[str]] = {}

        def memoised(self: ValueSets, *args: Any, _f: Any = original, _m: Any = memo) -> frozenset[str]:
            if args not in _m:
                _m[args] = _f(self, *args)
            return _m[args]  # type: ignore[no-any-return]

        setattr(ValueSets, name, memoised)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(ValueSets, name, original)


def _run(fn: Callable[[], object], calls: int, memoise: bool = False) -> float:
    """Median CPU time of one call, in microseconds, over ``calls`` calls."""
    samples = []
    with _memoised_recognition(memoise):
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
                    results[name].append(_run(fn, args.calls, memoise=name.endswith("memoised")))
        finally:
            gc.enable()
        rows.extend(
            [
                f"{source} ({read} resources)",
                name,
                f"{statistics.median(values):.0f}",
                f"{min(values):.0f}-{max(values):.0f}",
                f"{statistics.median(values) / read:.1f}",
            ]
            for name, values in results.items()
        )
    body = (
        f"Machine: {machine()}\n\n"
        f"{args.runs} runs of {args.calls} calls each, modes alternating; CPU µs per call (median of the "
        "runs' medians, and the range of the runs).\n\n"
        + table(["prefetch", "what", "median µs", "range of runs µs", "µs per resource"], rows)
        + "\n"
    )
    print(body)
    if args.write:
        write_section("fhir_intake", "FHIR intake CPU time (fhir_intake.py)", body)


if __name__ == "__main__":
    main()
