"""Latency of one CDS Hooks patient-view call over loopback against a real uvicorn server.

Starts ``clinrules`` under uvicorn (one worker, temporary SQLite audit database) on a free port, sends
a realistic patient-view request (full prefetch: Patient, 8 observations, 6 conditions, 6 medication
requests, 2 statements) N times from one client, and prints median, 99th percentile and more. This is done
``--runs`` times (at least 3), each against a fresh server; the table shows the median of the runs and their
range, and ``--write`` stores it in RESULTS.md.

    python benchmarks/patient_view_latency.py [--calls 1000] [--warmup 50] [--runs 3] [--write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _common import machine, spread, table, write_section
from _serve import free_port

PATIENT = "bench-patient-1"
LOINC = "http://loinc.org"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def _ref() -> dict[str, str]:
    return {"reference": f"Patient/{PATIENT}"}


def _obs(i: int, code: str, value: float, unit: str, day: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{i}",
        "status": "final",
        "subject": _ref(),
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": _day(day),
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


def _cond(i: int, code: str, text: str, day: int) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"cond-{i}",
        "subject": _ref(),
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "code": {"coding": [{"system": ICD, "code": code}], "text": text},
        "onsetDateTime": _day(day),
    }


def _med(i: int, rtype: str, name: str, day: int, code: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": name}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": name.split()[0]}]
    resource: dict[str, Any] = {
        "resourceType": rtype,
        "id": f"med-{i}",
        "status": "active",
        "subject": _ref(),
        "medicationCodeableConcept": concept,
    }
    if rtype == "MedicationRequest":
        resource |= {"intent": "order", "authoredOn": _day(day)}
    else:
        resource["effectivePeriod"] = {"start": _day(day)}
    return resource


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def realistic_request() -> dict[str, Any]:
    """A patient-view request for a patient 25 days into ART with cryptococcal meningitis and a low CD4."""
    observations = [
        _obs(1, "24467-3", 38, "/uL", -40),
        _obs(2, "24467-3", 61, "/uL", -3),
        _obs(3, "20447-9", 180000, "{copies}/mL", -40),
        _obs(4, "20447-9", 900, "{copies}/mL", -3),
        _obs(5, "33914-3", 88, "mL/min/{1.73_m2}", -3),
        _obs(6, "24467-3", 45, "/uL", -200),
        _obs(7, "20447-9", 250000, "{copies}/mL", -200),
        _obs(8, "33914-3", 92, "mL/min/{1.73_m2}", -200),
    ]
    conditions = [
        _cond(1, "B20", "HIV disease", -400),
        _cond(2, "B45.1", "Cryptococcal meningitis", -60),
        _cond(3, "B02.9", "Herpes zoster", -5),
        _cond(4, "E11.9", "Type 2 diabetes", -900),
        _cond(5, "I10", "Hypertension", -1200),
        _cond(6, "R59.1", "Generalised lymphadenopathy", -4),
    ]
    requests = [
        _med(1, "MedicationRequest", "dolutegravir 50 MG Oral Tablet", -25, "1433868"),
        _med(2, "MedicationRequest", "emtricitabine / tenofovir alafenamide", -25),
        _med(3, "MedicationRequest", "fluconazole 400 mg", -50),
        _med(4, "MedicationRequest", "metformin 500 mg", -800),
        _med(5, "MedicationRequest", "amlodipine 5 mg", -1000),
        _med(6, "MedicationRequest", "co-trimoxazole 960 mg", -50),
    ]
    statements = [
        _med(7, "MedicationStatement", "paracetamol 1 g", -10),
        _med(8, "MedicationStatement", "vitamin D", -300),
    ]
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": PATIENT},
        "prefetch": {
            "patient": {
                "resourceType": "Patient",
                "id": PATIENT,
                "gender": "male",
                "birthDate": "1981-05-05",
            },
            "observations": _bundle(observations),
            "conditions": _bundle(conditions),
            "medicationRequests": _bundle(requests),
            "medicationStatements": _bundle(statements),
        },
    }


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become ready")


def one_run(calls: int, warmup: int) -> tuple[list[float], int, int]:
    """Latencies (ms, sorted) of ``calls`` patient-view calls against a fresh server, the request size in
    bytes and the cards of the last answer."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CLINRULES_DATABASE_URL": f"sqlite:///{Path(tmp) / 'audit.db'}",
            "CLINRULES_LOG_LEVEL": "WARNING",
        }
        cmd = [sys.executable, "-c", f"from service.server import run; run('127.0.0.1', {port}, 1)"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(url, proc)
            body = realistic_request()
            size = len(httpx.Request("POST", url, json=body).content)
            timings: list[float] = []
            cards = 0
            with httpx.Client(base_url=url, timeout=10) as client:
                for i in range(warmup + calls):
                    body["hookInstance"] = str(uuid.uuid4())
                    start = time.perf_counter()
                    response = client.post("/cds-services/patient-view", json=body)
                    elapsed = time.perf_counter() - start
                    if response.status_code != 200:
                        raise RuntimeError(f"call {i} answered {response.status_code}: {response.text[:200]}")
                    if i >= warmup:
                        timings.append(elapsed * 1000)
                        cards = len(response.json()["cards"])
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return sorted(timings), size, cards


def main() -> None:
    """Run the benchmark, print the table, and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    runs = [one_run(args.calls, args.warmup) for _ in range(max(3, args.runs))]
    size, cards = runs[0][1], runs[0][2]

    def stat(pick: Any) -> str:
        return spread([pick(t) for t, _, _ in runs], "{:.2f}")

    rows = [
        ["median", stat(statistics.median)],
        ["p90", stat(lambda t: t[int(0.9 * len(t)) - 1])],
        ["p99", stat(lambda t: t[min(len(t) - 1, round(0.99 * len(t)) - 1)])],
        ["min", stat(lambda t: t[0])],
        ["max", stat(lambda t: t[-1])],
    ]
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/patient_view_latency.py --calls {args.calls} --runs {len(runs)}`\n\n"
        f"One uvicorn worker, one client on one keep-alive connection, audit in SQLite (WAL); request "
        f"{size / 1024:.1f} KiB with 23 FHIR resources, {cards} cards per answer; {args.calls} calls after "
        f"{args.warmup} warm-up, per run. Wall ms per call: the median of {len(runs)} runs (each against a "
        "fresh server) and their range.\n\n" + table(["statistic", "ms, median of runs (range)"], rows) + "\n"
    )
    print(body)
    if args.write:
        write_section(
            "patient_view_latency", "One patient-view call on loopback (patient_view_latency.py)", body
        )


if __name__ == "__main__":
    main()
