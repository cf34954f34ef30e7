"""schemathesis against the service's own OpenAPI document: no 5xx, every answer matches the schema.

Valid and invalid requests (generation modes positive and negative) go to every operation; the CDS Hooks
operations are called with the three real service ids, with the documented examples, and with feedback
on the cards the service just issued. Everything runs in process under a loopback guard: the documented
``fhirServer`` (``https://ehr.example.org/fhir``) is never resolved, let alone contacted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("service.app")
schemathesis = pytest.importorskip("schemathesis")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode, checks  # noqa: E402

from service.app import create_app  # noqa: E402
from service.cds.services import SERVICES  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.suites.steps.fixtures import load_fixture  # noqa: E402
from tests.reliability.loopback_guard import loopback_only  # noqa: E402
from tests.reliability.service_app import settings_for  # noqa: E402

EXAMPLES_PER_MODE = 15
FIRING = ["patient-view-iris-risk", "order-select-art-cryptococcal", "order-sign-thalidomide-pregnant"]
CDS_CALL = ("POST", "/cds-services/{service_id}")
FEEDBACK = ("POST", "/cds-services/{service_id}/feedback")
POSITIVE_CHECKS = [checks.not_a_server_error, checks.response_schema_conformance]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, checks.negative_data_rejection]


class Run:
    """What the calls answered, and what went wrong, across all operations."""

    def __init__(self) -> None:
        self.statuses: dict[tuple[str, str, str], list[int]] = {}
        self.failures: list[str] = []
        self.cards: dict[str, list[dict[str, Any]]] = {}

    def fuzz(self, operation: Any, mode: GenerationMode, **fixed: Any) -> None:
        """Call ``operation`` with generated requests of one mode, checking each answer."""
        key = (operation.method.upper(), operation.path, f"{mode.value} {fixed}")
        statuses = self.statuses.setdefault(key, [])
        chosen = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else POSITIVE_CHECKS

        @settings(
            max_examples=EXAMPLES_PER_MODE,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        def run(case: Any) -> None:
            response = case.call()
            statuses.append(response.status_code)
            case.validate_response(response, checks=chosen)

        self._collect(key, run)

    def call(self, operation: Any, body: Any, service_id: str) -> Any:
        """One call with a given body, checked like the generated ones; the answer's JSON."""
        case = operation.Case(
            path_parameters={"service_id": service_id}, body=body, media_type="application/json"
        )
        response = case.call()
        self.statuses.setdefault((operation.method.upper(), operation.path, service_id), []).append(
            response.status_code
        )
        self._collect(
            (operation.method.upper(), operation.path, service_id),
            lambda: case.validate_response(response, checks=POSITIVE_CHECKS),
        )
        return response

    def _collect(self, key: tuple[str, str, str], check: Callable[[], None]) -> None:
        try:
            check()
        except Exception as exc:  # report every operation's failures together
            self.failures.append(f"{' '.join(key)}: {str(exc)[:800]}")


def _documented_examples(raw: dict[str, Any]) -> list[dict[str, Any]]:
    content = raw["paths"]["/cds-services/{service_id}"]["post"]["requestBody"]["content"]
    return [example["value"] for example in content["application/json"]["examples"].values()]


def _feedback_for(card: dict[str, Any], outcome: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "card": card["uuid"],
        "outcome": outcome,
        "outcomeTimestamp": "2026-06-01T09:05:00Z",
    }
    if outcome == "accepted" and card.get("suggestions"):
        item["acceptedSuggestions"] = [{"id": card["suggestions"][0]["uuid"]}]
    if outcome == "overridden" and card.get("overrideReasons"):
        item["overrideReason"] = {"reason": card["overrideReasons"][0]}
    return {"feedback": [item]}


def closed_deployment(directory: Path) -> Settings:
    """The service as it runs by default on a closed network: no FHIR server is trusted, nothing fetched."""
    settings = settings_for(directory)
    assert settings.fhir_trusted_servers == [] and settings.fhir_trusted_servers_by_issuer == {}
    return settings


def test_every_operation_valid_and_invalid_requests_no_5xx_schema_kept(tmp_path: Path) -> None:
    run = Run()
    app = create_app(closed_deployment(tmp_path))
    with loopback_only() as outbound, TestClient(app, raise_server_exceptions=False) as client:
        raw = client.get("/openapi.json").json()
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = {
            (op.method.upper(), op.path): op for op in (r.ok() for r in schema.get_all_operations())
        }
        for key, operation in operations.items():
            documented = raw["paths"][key[1]][key[0].lower()]
            negatable = bool(documented.get("parameters") or documented.get("requestBody"))
            for mode in list(GenerationMode) if negatable else [GenerationMode.POSITIVE]:
                if "{service_id}" in key[1]:
                    for service_id in SERVICES:
                        run.fuzz(operation, mode, path_parameters={"service_id": service_id})
                else:
                    run.fuzz(operation, mode)

        # The documented requests, each to its own service (the fetch example gets 412: nothing is fetched),
        # then requests that fire rules in each service, for cards to give feedback on.
        for example in _documented_examples(raw):
            assert run.call(operations[CDS_CALL], example, example["hook"]).status_code in (200, 412)
        for fixture in FIRING:
            request = load_fixture(fixture)
            answer = run.call(operations[CDS_CALL], request, request["hook"])
            run.cards.setdefault(request["hook"], []).extend(answer.json().get("cards", []))
        issued = [(service, card) for service, cards in run.cards.items() for card in cards]
        assert {service for service, _ in issued} == set(SERVICES), "each service should issue a card"

        # Feedback on the cards just issued: stored; the same card under another service is refused.
        for service_id, card in issued:
            # A card is accepted by accepting one of its suggestions (CDS Hooks): one without is overridden.
            outcome = "accepted" if card.get("suggestions") else "overridden"
            stored = run.call(operations[FEEDBACK], _feedback_for(card, outcome), service_id)
            assert stored.status_code == 200 and stored.json() == {"stored": 1}, stored.text
            other = next(s for s in SERVICES if s != service_id)
            assert run.call(operations[FEEDBACK], _feedback_for(card, outcome), other).status_code == 404

    calls = [code for codes in run.statuses.values() for code in codes]
    cds_calls = [
        code for (method, path, _), codes in run.statuses.items() if path == CDS_CALL[1] for code in codes
    ]
    assert len(operations) >= 8
    assert len(calls) >= 2 * EXAMPLES_PER_MODE * len(operations) // 2, (
        "schemathesis hardly called the service"
    )
    assert any(code < 300 for code in calls), "no generated request ever succeeded"
    assert cds_calls and cds_calls.count(404) == 0, "CDS calls should reach the real services"
    assert any(400 <= code < 500 for code in calls), "no invalid request was refused"
    assert not outbound, f"the service tried to leave this machine: {outbound[:5]}"
    assert not run.failures, "\n\n".join(run.failures)
