"""Conformance: every request and resource of a conformance folder, posted to the app in process.

    python scripts/conformance.py ../shared/conformance

Whole CDS Hooks requests go to their hook's service as they are; a bare ``context`` (the hook pages'
examples) goes to the service named by its file, wrapped in a request; each FHIR resource or Bundle goes
both to ``POST /evaluate`` and, as the prefetch of a patient-view call, to the patient-view service; feedback
examples go to the feedback endpoint. Nothing leaves this machine (no ``fhirServer`` is contacted: requests
that would need one are answered 412). Fails (exit 1) on any 5xx, and on any 200 from a CDS service that is
not a valid CDS Hooks 2.0 response. Prints one line per call.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402

HOOKS = ("patient-view", "order-select", "order-sign")
# Where a resource of each type goes in the patient-view prefetch (the service's own template keys).
PREFETCH_KEY = {
    "Patient": "patient",
    "Observation": "observations",
    "Condition": "conditions",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
}


def card_problems(answer: Any) -> list[str]:
    """What makes ``answer`` not a CDS Hooks 2.0 response (empty when it is one)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("cards"), list):
        return ["no cards array"]
    problems: list[str] = []
    for i, card in enumerate(answer["cards"]):
        where = f"cards[{i}]"
        if not isinstance(card, dict):
            problems.append(f"{where} is not an object")
            continue
        summary = card.get("summary")
        if not isinstance(summary, str) or not summary or len(summary) >= 140:
            problems.append(f"{where}.summary must be a string under 140 characters")
        if card.get("indicator") not in ("info", "warning", "critical"):
            problems.append(f"{where}.indicator must be info, warning or critical")
        source = card.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("label"), str) or not source["label"]:
            problems.append(f"{where}.source.label is required")
        suggestions = card.get("suggestions") or []
        for j, suggestion in enumerate(suggestions):
            if not isinstance(suggestion, dict) or not isinstance(suggestion.get("label"), str):
                problems.append(f"{where}.suggestions[{j}].label is required")
                continue
            for k, action in enumerate(suggestion.get("actions") or []):
                if not isinstance(action, dict) or action.get("type") not in ("create", "update", "delete"):
                    problems.append(f"{where}.suggestions[{j}].actions[{k}].type is not create/update/delete")
        if suggestions and card.get("selectionBehavior") not in ("at-most-one", "any"):
            problems.append(f"{where}.selectionBehavior is required with suggestions")
        for j, link in enumerate(card.get("links") or []):
            if not isinstance(link, dict) or not link.get("label") or not link.get("url"):
                problems.append(f"{where}.links[{j}] needs label and url")
            elif link.get("type") not in ("absolute", "smart"):
                problems.append(f"{where}.links[{j}].type must be absolute or smart")
        for j, reason in enumerate(card.get("overrideReasons") or []):
            if not isinstance(reason, dict) or not reason.get("code") or not reason.get("system"):
                problems.append(f"{where}.overrideReasons[{j}] needs code and system")
    return problems


def _resources(node: Any) -> Iterator[dict[str, Any]]:
    """The FHIR resources of a conformance file that are not inside a CDS request: top-level ones."""
    if isinstance(node, dict) and isinstance(node.get("resourceType"), str):
        yield node


def _all_resources(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("resourceType"), str):
            yield node
        for value in node.values():
            yield from _all_resources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_resources(item)


def calls(file: Path, data: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(description, path, body) for every call a conformance file gives rise to."""
    name = file.stem
    if isinstance(data, dict) and isinstance(data.get("hook"), str) and "context" in data:
        hook = data["hook"] if data["hook"] in HOOKS else "patient-view"
        yield "request as given", f"/cds-services/{hook}", data
    elif isinstance(data, dict) and set(data) == {"context"}:
        hook = next((h for h in HOOKS if h in name), "patient-view")
        body = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": data["context"]}
        yield "context wrapped in a request", f"/cds-services/{hook}", body
    elif isinstance(data, dict) and isinstance(data.get("feedback"), list):
        yield "feedback", "/cds-services/patient-view/feedback", data
    for resource in _resources(data):
        yield "resource to /evaluate", "/evaluate", resource
        yield "resource as patient-view prefetch", "/cds-services/patient-view", _as_prefetch(resource)


def _as_prefetch(resource: dict[str, Any]) -> dict[str, Any]:
    prefetch: dict[str, Any] = dict.fromkeys(PREFETCH_KEY.values())
    patient_id = next(
        (
            r["id"]
            for r in _all_resources(resource)
            if r["resourceType"] == "Patient" and isinstance(r.get("id"), str)
        ),
        "conformance-patient",
    )
    key = PREFETCH_KEY.get(resource["resourceType"], "observations")
    prefetch[key] = resource
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/conformance", "patientId": patient_id},
        "prefetch": prefetch,
    }


def run(folder: Path) -> int:
    """Post everything in ``folder``; the number of failures."""
    failures = 0
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'audit.db'}",
            fhir_fetch_enabled=False,  # never leave this machine
            log_level="WARNING",
            _env_file=None,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for file in sorted(folder.rglob("*.json")):
                data = json.loads(file.read_text(encoding="utf-8"))
                for what, path, body in calls(file, data):
                    total += 1
                    answer = client.post(path, json=body)
                    problems: list[str] = []
                    if answer.status_code >= 500:
                        problems.append(f"HTTP {answer.status_code}")
                    elif (
                        answer.status_code == 200 and path.startswith("/cds-services/") and what != "feedback"
                    ):
                        problems = card_problems(answer.json())
                    status = "FAIL" if problems else "ok"
                    failures += bool(problems)
                    detail = f" ({'; '.join(problems)[:300]})" if problems else ""
                    if answer.status_code in (412, 422) and not problems:
                        problem = answer.json()
                        detail = f" ({json.dumps(problem.get('errors') or problem.get('detail'))[:300]})"
                    print(f"{status:4} {answer.status_code} {file.relative_to(folder)} [{what}]{detail}")
    print(f"{total} calls, {failures} failures")
    return failures


def run_on_folder(run: Callable[[Path], int], doc: str | None) -> None:
    """Parse the command line (a folder, default ``../shared/conformance``), ``run`` over it and exit 1
    when it counted failures."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "conformance"))
    folder = Path(parser.parse_args().folder)
    if not folder.is_dir():
        sys.exit(f"no conformance folder at {folder}")
    sys.exit(1 if run(folder) else 0)


def main() -> None:
    """Run over the folder given (default ``../shared/conformance``)."""
    run_on_folder(run, __doc__)


if __name__ == "__main__":
    main()
