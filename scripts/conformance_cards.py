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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from conformance import run_on_folder  # noqa: E402  (this folder, on sys.path when run as a script)
from fastapi.testclient import TestClient  # noqa: E402

from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402

PREFETCH_KEY = {
    "Observation": "observations",
    "Condition": "conditions",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
}
ATC = "http://www.whocc.no/atc"
THALIDOMIDE = ("L04AX02", "thalidomide")
ALDESLEUKIN = ("L03AC01", "aldesleukin")


@dataclass(frozen=True)
class Probe:
    """A draft order added to the record, evaluated at a fixed time, and the findings expected."""

    order: tuple[str, str]
    at: str
    expected: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Record:
    """One patient-level set of conformance files and what the catalogue gives it."""

    name: str
    files: tuple[str, ...]
    patient_view: tuple[str, ...]
    why: str
    probe: Probe | None = None


SYNTHEA = "synthea-r4/"
RECORDS = (
    Record(
        "Synthea Ardith Welch (girl, 12)",
        (SYNTHEA + "Ardith_Welch_2513dd98-e1c9-4476-b879-5a2142caccde.json",),
        (),
        "prednisone stopped, nothing else the rules read",
        Probe(
            THALIDOMIDE,
            "2026-12-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "female aged 12: reproductive potential; the stopped prednisone is no VTE risk",
        ),
    ),
    Record(
        "Synthea Dirk Kuhlman (man, CKD 1, diabetic neuropathy)",
        (SYNTHEA + "Dirk_Kuhlman_1e503533-b8c2-42cb-a6d5-bbd7d70d07ad.json",),
        ("data-quality",),
        "two eGFRs in 'mL/min' (not a per-1.73 m² unit) left out and reported; no rule fires",
        Probe(
            THALIDOMIDE,
            "2021-04-01T12:00:00Z",
            ("thalidomide-teratogenicity", "thalidomide-neuropathy"),
            "SNOMED CT 368581000119106 neuropathy due to type 2 diabetes is peripheral neuropathy",
        ),
    ),
    Record(
        "Synthea Karena Pfeffer (woman, two resolved pregnancies)",
        (SYNTHEA + "Karena_Pfeffer_1f99a0cb-594b-476a-b9cb-502594c1ee6b.json",),
        (),
        "pregnancies resolved (SNOMED CT 72892002): not pregnant",
        Probe(
            THALIDOMIDE,
            "2020-06-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "female aged 25, not pregnant (resolved), so no pregnancy card",
        ),
    ),
    Record(
        "Synthea Kathe Zieme (woman, old miscarriage and tubal pregnancy)",
        (SYNTHEA + "Kathe_Zieme_646ca118-b7c4-45d3-b1a4-f01e8973873b.json",),
        (),
        "the pregnancy codes are from 2005 and 2007: stale, not pregnant",
        Probe(
            THALIDOMIDE,
            "2020-06-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "female aged 52, pregnancy evidence older than 300 days does not count",
        ),
    ),
    Record(
        "Synthea Madalyn Frami (woman, diabetic neuropathy, resolved pregnancies)",
        (SYNTHEA + "Madalyn_Frami_b0e18f77-1be9-4d29-9982-8cd0d04a07ab.json",),
        (),
        "nothing the rules alert on without an order",
        Probe(
            THALIDOMIDE,
            "2020-08-01T12:00:00Z",
            ("thalidomide-teratogenicity", "thalidomide-neuropathy"),
            "female aged 32 with SNOMED CT diabetic neuropathy",
        ),
    ),
    Record(
        "Synthea Olen Kulas (man, deceased, chronic pain)",
        (SYNTHEA + "Olen_Kulas_bf2aac98-44db-4ac3-87d6-bfc62a111ca6.json",),
        ("data-quality",),
        "an eGFR in 'mL/min' left out and reported",
        Probe(
            THALIDOMIDE,
            "2020-06-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "male: warning; 'chronic pain' is not chronic intractable pain assessed as refractory",
        ),
    ),
    Record(
        "Synthea Parker Casper (man, diabetic neuropathy)",
        (SYNTHEA + "Parker_Casper_6d0c6969-6843-47e1-9921-d9bf11b1df31.json",),
        ("data-quality",),
        "an eGFR in 'mL/min' left out and reported",
        Probe(
            THALIDOMIDE,
            "2020-10-01T12:00:00Z",
            ("thalidomide-teratogenicity", "thalidomide-neuropathy"),
            "SNOMED CT diabetic neuropathy",
        ),
    ),
    Record(
        "US Core examples (woman, pregnancy status 2022-08-24)",
        ("us-core/",),
        (),
        "the pregnancy status is years old; ulcer, creatinine, nizatidine and paracetamol concern no rule",
        Probe(
            THALIDOMIDE,
            "2022-09-01T12:00:00Z",
            ("thalidomide-pregnancy", "thalidomide-teratogenicity"),
            "LOINC 82810-3 answered SNOMED CT 77386006 a week before: pregnant",
        ),
    ),
    Record(
        "OpenHIE HIV IG examples (woman with HIV)",
        ("openhie-hiv-ig/",),
        ("data-quality",),
        "viral loads coded only in the IG's own code system: reported by system",
        Probe(ALDESLEUKIN, "2021-06-01T12:00:00Z", ("il2-not-recommended",), "HIV from SNOMED CT 86406008"),
    ),
    Record(
        "OpenHIE HIV IG Bundle example",
        ("openhie-hiv-ig/Bundle-HIVBundleExample.json",),
        ("data-quality",),
        "the same record as one Bundle",
        Probe(ALDESLEUKIN, "2021-06-01T12:00:00Z", ("il2-not-recommended",), "HIV from SNOMED CT 86406008"),
    ),
    Record(
        "WHO SMART HIV examples (man with HIV on ART)",
        ("who-smart-hiv/",),
        (),
        "HIV and ART (ABC + 3TC + ATV/r since 2022) in WHO SMART HIV concepts; no CD4, no TB: no rule fires",
        Probe(
            ALDESLEUKIN,
            "2023-02-01T12:00:00Z",
            ("il2-not-recommended",),
            "HIV from the WHO SMART HIV concept HIV.B.DE116",
        ),
    ),
)


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
