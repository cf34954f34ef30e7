"""Code recognition cost: loading the value sets, one look-up per coding, derivation and FHIR intake.

    python benchmarks/terminology.py [--rounds 7] [--n 2000] [--seed 7] [--label after] [--no-write]

* ``load``        CPU time of ``load_value_sets(rules/valuesets.yaml)``: YAML, the published codes, the index;
* ``lookup``      ``condition_concepts`` / ``medication_classes`` for a mix of codings (SNOMED CT, ICD-10-CM
                  with its prefixes, unknown codes), CPU ns per coding;
* ``derivation``  the realistic patient mix as JSON -> ``Scenario`` (where concepts are recognised) ->
                  ``derive``, CPU µs per patient;
* ``intake``      a FHIR Bundle of 60 Conditions, 30 medication orders and 30 Observations read by
                  ``engine.fhir.scenario_from_resources``, CPU ms per bundle.

CPU time (``time.process_time``) of several rounds: median and range. The script uses only interfaces that
existed before the terminology work, so that the same file can be run on an older checkout for comparison.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from _common import ROOT, machine, table, write_section

from engine.derive import derive
from engine.fhir import scenario_from_resources
from engine.scenario import Scenario
from engine.valueset_files import load_value_sets
from tests.reliability.clinical_mix import realistic_scenario

VALUESETS = ROOT / "rules" / "valuesets.yaml"
CONDITION_CODES = [
    ("icd10cm", "B20"),
    ("icd10cm", "A15.0"),
    ("icd10cm", "O24.419"),
    ("icd10cm", "I10"),
    ("icd10cm", "E11.9"),
    ("snomed", "86406008"),
    ("snomed", "77386006"),
    ("snomed", "38341003"),
    ("snomed", "44054006"),
    ("icd10cm", "Z86.718"),
    ("icd10cm", "J45.909"),
    ("snomed", "195967001"),
]
MEDICATION_CODES = ["195085", "1433868", "8640", "6038", "197361", "310965", "200390", "860975"]


def cpu(fn: Callable[[], Any], rounds: int) -> list[float]:
    """CPU seconds of ``fn`` per round."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return samples


def bundle(rnd: random.Random) -> list[dict[str, Any]]:
    """A patient-view prefetch: problems, drugs and labs, most of them of no interest to the rules."""
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1988-04-02"}
    resources: list[dict[str, Any]] = [patient]
    for i in range(60):
        system, code = rnd.choice(CONDITION_CODES)
        uri = "http://hl7.org/fhir/sid/icd-10-cm" if system == "icd10cm" else "http://snomed.info/sct"
        resources.append(
            {
                "resourceType": "Condition",
                "id": f"c{i}",
                "subject": {"reference": "Patient/p1"},
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "code": {"coding": [{"system": uri, "code": code}]},
                "onsetDateTime": "2026-01-10",
            }
        )
    for i in range(30):
        code = rnd.choice(MEDICATION_CODES)
        resources.append(
            {
                "resourceType": "MedicationRequest",
                "id": f"m{i}",
                "status": "active",
                "intent": "order",
                "subject": {"reference": "Patient/p1"},
                "authoredOn": "2026-02-01",
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code}]
                },
            }
        )
    for i in range(30):
        code, unit, value = rnd.choice(
            [
                ("24467-3", "/uL", 180),
                ("20447-9", "{copies}/mL", 4000),
                ("2345-7", "mg/dL", 98),
                ("718-7", "g/dL", 12),
            ]
        )
        resources.append(
            {
                "resourceType": "Observation",
                "id": f"o{i}",
                "status": "final",
                "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "effectiveDateTime": "2026-03-01",
                "valueQuantity": {
                    "value": value,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
            }
        )
    return resources


def describe(samples: list[float], scale: float, per: int) -> tuple[str, str]:
    """Median and range of ``samples`` (seconds per round), in ``scale`` units per item."""
    values = sorted(s / per * scale for s in samples)
    return f"{statistics.median(values):,.2f}", f"{values[0]:,.2f}–{values[-1]:,.2f}"


def main() -> None:
    """Run every measurement and print (and record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n", type=int, default=2000, help="patients in the derivation mix")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label", default="after", help="names this run in RESULTS.md (before / after)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    rnd = random.Random(args.seed)

    load_samples = cpu(lambda: load_value_sets(VALUESETS), args.rounds)
    vs = load_value_sets(VALUESETS)

    codings = [rnd.choice(CONDITION_CODES) for _ in range(20_000)]
    meds = [rnd.choice(MEDICATION_CODES) for _ in range(20_000)]

    def lookups() -> None:
        for system, code in codings:
            vs.condition_concepts(system, code, None)
        for code in meds:
            vs.medication_classes(None, code)

    lookup_samples = cpu(lookups, args.rounds)

    patients = [realistic_scenario(random.Random(args.seed + i)) for i in range(args.n)]
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)

    def derivation() -> None:
        for raw in patients:
            derive(Scenario.model_validate(raw), now)

    derivation_samples = cpu(derivation, args.rounds)

    bundles = [bundle(random.Random(args.seed + i)) for i in range(20)]

    def intake() -> None:
        for resources in bundles:
            scenario_from_resources(resources, evaluation_time=now)

    intake_samples = cpu(intake, args.rounds)

    rows = [
        ["load", "load_value_sets(): YAML + published codes + index", "ms", *describe(load_samples, 1e3, 1)],
        [
            "lookup",
            "one coding looked up (conditions and drugs)",
            "ns",
            *describe(lookup_samples, 1e9, 40_000),
        ],
        [
            "derivation",
            "JSON -> Scenario (concepts) -> derive, per patient",
            "µs",
            *describe(derivation_samples, 1e6, args.n),
        ],
        [
            "intake",
            "FHIR bundle of 121 resources -> Scenario",
            "ms",
            *describe(intake_samples, 1e3, len(bundles)),
        ],
    ]
    text = table(["measure", "what is timed (CPU time)", "unit", "median", "range"], rows)
    print(text)
    if not args.no_write:
        command = f"python benchmarks/terminology.py --rounds {args.rounds} --n {args.n} --seed {args.seed}"
        body = (
            f"Machine: {machine()}\n\nCommand: `{command} --label {args.label}`\n\n"
            f"{args.rounds} rounds; {args.n} realistic patients (seed {args.seed}); 20 bundles.\n\n{text}\n"
        )
        write_section(f"terminology_{args.label}", f"Code recognition, {args.label} (terminology.py)", body)


if __name__ == "__main__":
    main()
