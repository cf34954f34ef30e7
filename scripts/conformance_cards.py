"""Conformance, clinically: each patient-level conformance record gives the cards the catalogue says.

    python scripts/conformance_cards.py ../shared/conformance

``scripts/conformance.py`` checks that every file is answered per the specification; this checks what comes
back. Each patient-level set (one Synthea bundle; the US Core, OpenHIE HIV and WHO SMART HIV examples, each
folder read as one record) is

- posted as the prefetch of a ``patient-view`` call over CDS Hooks: the cards expected are those the
  catalogue (KNOWLEDGE.md §3) gives that record as it is, worked out by hand below, including the
  data-quality card where the record holds something no rule can read;
- and, as a probe that the record was read, posted to ``POST /evaluate`` with one draft order added and an
  evaluation time fixed near the record's own dates (the records are years old, and the rules look back
  from the evaluation time), so the answer does not drift with the day the script runs.

Prints a table (record, call, expected, given); exits 1 when any answer differs. Nothing leaves this
machine. The expectations are the clinical reasoning of a reviewer, one line each, with the why.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from conformance import run_on_folder  # noqa: E402  (this folder, on sys.path when run as a script)
from conformance_records import ATC, RECORDS, Record  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402

PREFETCH_KEY = {
    "Observation": "observations",
    "Condition": "conditions",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
}


def _resources(node: Any) -> Iterator[dict[str, Any]]:
    """Every resource the intake reads, wherever it sits (Bundle entries flattened)."""
    if isinstance(node, dict):
        if node.get("resourceType") == "Bundle":
            for entry in node.get("entry") or []:
                yield from _resources(entry.get("resource"))
        elif isinstance(node.get("resourceType"), str):
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _resources(item)


def load(folder: Path, record: Record) -> list[dict[str, Any]]:
    """The resources of a record: its files (a folder means its files but the Bundle example)."""
    resources: list[dict[str, Any]] = []
    for name in record.files:
        path = folder / name
        files = sorted(p for p in path.glob("*.json") if "Bundle" not in p.name) if path.is_dir() else [path]
        for file in files:
            resources.extend(_resources(json.loads(file.read_text(encoding="utf-8"))))
    return resources


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def patient_view(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A patient-view call whose prefetch holds the record."""
    patient = next((r for r in resources if r["resourceType"] == "Patient"), None)
    prefetch: dict[str, Any] = {"patient": patient}
    for rtype, key in PREFETCH_KEY.items():
        prefetch[key] = _searchset([r for r in resources if r["resourceType"] == rtype])
    # Medications referenced by the orders travel with the medication requests.
    prefetch["medicationRequests"]["entry"] += [
        {"resource": r} for r in resources if r["resourceType"] == "Medication"
    ]
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/conformance", "patientId": (patient or {}).get("id", "unknown")},
        "prefetch": prefetch,
    }


def with_order(resources: list[dict[str, Any]], order: tuple[str, str]) -> dict[str, Any]:
    """The record as one Bundle, with a draft order for ``order`` (an ATC code only, no name)."""
    patient = next((r for r in resources if r["resourceType"] == "Patient"), {"id": "unknown"})
    draft = {
        "resourceType": "MedicationRequest",
        "id": f"probe-{order[1]}",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient.get('id')}"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": order[0]}]},
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in [*resources, draft]],
    }


def run(folder: Path) -> int:
    """Post every record; print the table; the number of answers that differ from the catalogue's."""
    failures = 0
    rows: list[tuple[str, str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'audit.db'}",
            fhir_fetch_enabled=False,
            log_level="WARNING",
            _env_file=None,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for record in RECORDS:
                resources = load(folder, record)
                answer = client.post("/cds-services/patient-view", json=patient_view(resources))
                given = _topics(answer.status_code, answer.json(), "cards")
                rows.append(_row(record.name, "patient-view", record.patient_view, given, record.why))
                if record.probe is not None:
                    probe = record.probe
                    answer = client.post(f"/evaluate?at={probe.at}", json=with_order(resources, probe.order))
                    given = _topics(answer.status_code, answer.json(), "findings")
                    call = f"+ {probe.order[1]} ({probe.order[0]}) at {probe.at[:10]}"
                    rows.append(_row(record.name, call, probe.expected, given, probe.why))
    width = max(len(r[0]) for r in rows)
    for name, call, expected, given, why in rows:
        # Cards of one indicator come in no promised order: compare the topics as sets.
        same = sorted(expected.split(", ")) == sorted(given.split(", "))
        status = "ok  " if same else "FAIL"
        failures += not same
        print(f"{status} {name:<{width}}  {call:<40}  expected [{expected}]  given [{given}]  ({why})")
    print(f"{len(rows)} answers, {failures} differ from the catalogue")
    return failures


def _topics(status: int, body: Any, key: str) -> str:
    if status != 200:
        return f"HTTP {status}"
    items = body.get(key) or []
    return ", ".join(i["source"]["topic"]["code"] if "source" in i else i["topic"] for i in items)


def _row(
    name: str, call: str, expected: tuple[str, ...], given: str, why: str
) -> tuple[str, str, str, str, str]:
    return name, call, ", ".join(expected), given, why


def main() -> None:
    """Run over the folder given (default ``../shared/conformance``)."""
    run_on_folder(run, __doc__)


if __name__ == "__main__":
    main()
