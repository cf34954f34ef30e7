"""A CDS Hooks call's CPU work: reading the FHIR resources and draft orders, evaluating the rules, building
the cards. Called from :mod:`service.routes.cds_hooks`, on the event loop or in the thread pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import FieldProblem
from engine.fhir import FhirImport, scenario_from_resources
from service.audit.store import IssuedCard
from service.cds.cards import cards_for, data_quality_card, issued
from service.cds.draft_orders import InRequest
from service.cds.medication_fetch import fetch_path
from service.cds.models import OrderSignContext
from service.cds.services import CdsService
from service.problems import invalid_fields
from service.state import ServiceState


@dataclass(frozen=True)
class Outcome:
    """What an evaluation gives the route: the cards to answer with and what to audit and count."""

    cards: list[dict[str, Any]]
    issued: list[IssuedCard]
    topics: list[str]
    counted: list[tuple[str, str]]
    ruleset_version: str
    notes: int
    shadow_topics: list[str]


def read(
    context: Any, resources: dict[str, dict[str, Any]], state: ServiceState, now: datetime
) -> FhirImport:
    """Read the resources and the draft orders with the service's value sets (CPU only); 422 when they are
    not valid FHIR."""
    # isinstance, not hasattr: pydantic answers a missing attribute by raising, which costs 20 times more.
    drafts = context.draftOrders.bundle() if isinstance(context, OrderSignContext) else []
    imported = scenario_from_resources(
        resources, drafts, evaluation_time=now, value_sets=state.kb.value_sets
    ).checked()
    if imported.patient_id is not None and imported.patient_id != context.patientId:
        raise invalid_fields([FieldProblem("prefetch.patient", "the Patient's id is not context.patientId")])
    return imported


def assess(
    service: CdsService,
    context: Any,
    resources: dict[str, dict[str, Any]],
    state: ServiceState,
    base: str,
    now: datetime,
    server: str | None,
) -> Outcome | FhirImport:
    """Read and evaluate in one go (one thread hop); the record read, unevaluated, when an order names its
    drug by a Medication not in the request that ``server`` (the ``fhirServer``) could give."""
    imported = read(context, resources, state, now)
    if server is not None and any(fetch_path(r, server) for r in imported.unresolved_references):
        return imported
    return evaluate(service, context, imported, state, base, now)


def read_and_evaluate(
    service: CdsService,
    context: Any,
    resources: dict[str, dict[str, Any]],
    state: ServiceState,
    base: str,
    now: datetime,
) -> Outcome:
    """Read and evaluate (CPU only), fetching nothing more."""
    return evaluate(service, context, read(context, resources, state, now), state, base, now)


def evaluate(
    service: CdsService, context: Any, imported: FhirImport, state: ServiceState, base: str, now: datetime
) -> Outcome:
    """Evaluate the rules on the record read and build the cards (CPU only)."""
    signing = isinstance(context, OrderSignContext)
    draft_orders: list[dict[str, Any]] = context.draftOrders.resources() if signing else []
    evaluation = state.evaluator.evaluate(imported.scenario, now)
    request = InRequest(imported.medications, imported.requests)
    pairs = cards_for(evaluation.findings, base, draft_orders, state.kb.value_sets, request)
    cards = [card for _, card in pairs]
    notes = [*imported.notes, *evaluation.notes]  # left out on reading, and not used by the derivation
    quality = data_quality_card(notes, base)
    if quality is not None:
        cards.append(quality)
    return Outcome(
        cards=cards,
        issued=[issued(card, finding) for finding, card in pairs],
        topics=[finding.topic for finding, _ in pairs],
        counted=[(finding.topic, card["indicator"]) for finding, card in pairs],
        ruleset_version=evaluation.ruleset_version,
        notes=len(notes),
        shadow_topics=list(evaluation.shadow_topics),
    )
