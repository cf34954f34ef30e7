"""Findings as CDS Hooks cards: uuid, summary, markdown detail, indicator, source with topic, suggestions
with resolved actions, override reasons and links. Empty members are left out; critical cards come first.

A rule suggestion whose action targets ``draft-orders`` of a ``medication_class`` becomes one delete action
per draft MedicationRequest in that class (by ``resourceId``; never an id that another, different
MedicationRequest in the request also has, draft or not, since the EHR could not tell which is meant);
when no such draft order exists (for example in patient-view) the suggestion is dropped. Create or update
actions need a FHIR resource that the rules do not carry, so they are left out and the suggestion stays as
advice only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.fhir.gather import find_medication, same_drug
from engine.findings import Finding
from engine.knowledge import Suggestion as RuleSuggestion
from engine.markdown import escape_markdown
from engine.valuesets import ValueSets
from service.audit import IssuedCard
from service.cds.models import OVERRIDE_SYSTEM, TOPIC_SYSTEM

MAX_SUMMARY = 139
EVIDENCE_LABEL = {"high": "High", "moderate": "Moderate", "low": "Low", "very-low": "Very low"}


@dataclass(frozen=True)
class InRequest:
    """What the intake found in the whole request (``engine.fhir.FhirImport``): each Medication's JSON by
    ``Medication/id`` and Bundle ``fullUrl``, and every MedicationRequest with an id, by id, as (JSON, whether
    a draft order)."""

    medications: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, list[tuple[dict[str, Any], bool]]] = field(default_factory=dict)


def _texts(concept: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """Names and (system, code) codings of a CodeableConcept or Reference."""
    names: list[str] = []
    codes: list[tuple[str, str]] = []
    if not isinstance(concept, dict):
        return names, codes
    for key in ("text", "display"):
        if isinstance(concept.get(key), str):
            names.append(concept[key])
    for coding in concept.get("coding") or []:
        if not isinstance(coding, dict):
            continue
        if isinstance(coding.get("display"), str):
            names.append(coding["display"])
        if isinstance(coding.get("code"), str) and isinstance(coding.get("system"), str):
            codes.append((coding["system"], coding["code"]))
    return names, codes


def _medication_texts(medication: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """Names and codings of a Medication: its ``code`` and each active ingredient's ``itemCodeableConcept``
    (one marked ``isActive: false`` is an excipient, not the drug)."""
    names, codes = _texts(medication.get("code"))
    ingredients = medication.get("ingredient")
    for ingredient in ingredients if isinstance(ingredients, list) else []:
        if isinstance(ingredient, dict) and ingredient.get("isActive") is not False:
            more_names, more_codes = _texts(ingredient.get("itemCodeableConcept"))
            names += more_names
            codes += more_codes
    return names, codes


def medication_classes_of(
    order: dict[str, Any], value_sets: ValueSets, medications: dict[str, dict[str, Any]] | None = None
) -> set[str]:
    """The medication classes of a MedicationRequest, by ingredient names and codes in any system read: its
    ``medicationCodeableConcept``, its reference's display, and the Medication it references (contained, or
    in ``medications`` by ``Medication/id``, an absolute URL ending so, or a Bundle ``fullUrl``)."""
    names, codes = _texts(order.get("medicationCodeableConcept"))
    reference = order.get("medicationReference")
    ref_names, _ = _texts(reference)
    names += ref_names
    target = reference.get("reference") if isinstance(reference, dict) else None
    for contained in order.get("contained") or []:
        if isinstance(contained, dict) and contained.get("resourceType") == "Medication":
            more_names, more_codes = _medication_texts(contained)
            names += more_names
            codes += more_codes
    medication = find_medication(medications, target) if isinstance(target, str) and medications else None
    if medication is not None:
        more_names, more_codes = _medication_texts(medication)
        names += more_names
        codes += more_codes
    found: set[str] = set()
    for name in names:
        found |= value_sets.medication_classes(name, None)
    for system, code in codes:
        found |= value_sets.medication_classes(None, code, system)
    return found


def draft_order_ids(
    draft_orders: Iterable[dict[str, Any]],
    medication_class: str,
    value_sets: ValueSets,
    request: InRequest | None = None,
) -> list[str]:
    """``MedicationRequest/<id>`` of each draft order whose ingredient is in ``medication_class``.

    An id that two different draft orders share is left out, and so is one that another MedicationRequest
    of the ``request`` (the record's, or a nested draft) has with different content: a delete by that id
    could remove the other order. A record copy naming the same drug is the order before this edit (as the
    intake reads it), so deleting by that id removes the order meant. Medications are looked up in the
    whole ``request`` (draft orders, prefetch, fetched), else among ``draft_orders``."""
    orders = list(draft_orders)
    medications = {
        f"Medication/{r['id']}": r
        for r in orders
        if r.get("resourceType") == "Medication" and isinstance(r.get("id"), str)
    }
    if request is not None:
        medications = {**medications, **request.medications}
    by_id: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        if order.get("resourceType") == "MedicationRequest" and isinstance(order.get("id"), str):
            by_id.setdefault(order["id"], []).append(order)
    ids = []
    for rid, same in by_id.items():
        if any(other != same[0] for other in same[1:]) or (
            request is not None and _shared(same[0], request.requests.get(rid, []))
        ):
            continue  # ambiguous: the EHR could not tell which order the delete means
        if medication_class in medication_classes_of(same[0], value_sets, medications):
            ids.append(f"MedicationRequest/{rid}")
    return ids


def _shared(order: dict[str, Any], copies: list[tuple[dict[str, Any], bool]]) -> bool:
    """True when another MedicationRequest with the order's id differs from it: any draft, or a record
    order naming another drug."""
    return any(raw != order and (draft or not same_drug(raw, order)) for raw, draft in copies)


def _suggestion(
    rule_suggestion: RuleSuggestion,
    draft_orders: Sequence[dict[str, Any]],
    value_sets: ValueSets,
    request: InRequest | None,
) -> dict[str, Any] | None:
    actions: list[dict[str, Any]] = []
    targeted = False
    for action in rule_suggestion.actions:
        if action.target == "draft-orders":
            targeted = True
            if action.type != "delete" or not action.medication_class:
                continue
            actions += [
                {"type": "delete", "description": action.description, "resourceId": rid}
                for rid in draft_order_ids(draft_orders, action.medication_class, value_sets, request)
            ]
    if targeted and not actions:
        return None
    suggestion: dict[str, Any] = {"label": rule_suggestion.label, "uuid": str(uuid.uuid4())}
    if rule_suggestion.is_recommended:
        suggestion["isRecommended"] = True
    if actions:
        suggestion["actions"] = actions
    return suggestion


def _detail(finding: Finding) -> str:
    lines = [
        finding.detail.strip(),
        "",
        f"**Evidence:** {EVIDENCE_LABEL.get(finding.evidence, finding.evidence)}",
    ]
    if finding.evidence_note.strip():
        lines[-1] += f" — {finding.evidence_note.strip()}"
    if finding.citations:
        lines += ["", "**Sources**", ""]
        lines += [f"- {c.citation}" for c in finding.citations]
    lines += ["", f"*Rule {finding.rule_id} {finding.rule_version}*"]
    return "\n".join(lines)


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def card_for(
    finding: Finding,
    base_url: str,
    draft_orders: Sequence[dict[str, Any]],
    value_sets: ValueSets,
    request: InRequest | None = None,
) -> dict[str, Any]:
    """The card for one finding, as CDS Hooks JSON (the shape of :class:`service.cds.models.Card`)."""
    made = (_suggestion(r, draft_orders, value_sets, request) for r in finding.suggestions)
    suggestions = [s for s in made if s]
    links = [
        {"label": link.label, "url": link.url, "type": "absolute"}
        for link in finding.links
        if link.label and link.url
    ]
    linked = {link["url"] for link in links}
    links += [
        {"label": c.citation[:200], "url": c.url, "type": "absolute"}
        for c in finding.citations
        if c.url and c.url not in linked
    ]
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(finding.summary),
        "detail": _detail(finding),
        "indicator": finding.indicator.value,
        "source": {
            "label": f"clinrules · {finding.title}"[:200],
            "url": f"{base_url}/ui#rule-{finding.rule_id}",  # a page for people, as CDS Hooks asks
            "topic": {"system": TOPIC_SYSTEM, "code": finding.topic, "display": finding.title},
        },
    }
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    card["overrideReasons"] = [
        {"system": OVERRIDE_SYSTEM, "code": r.code, "display": r.display} for r in finding.override_reasons
    ]
    card["links"] = links
    return _prune(card)  # type: ignore[no-any-return]


def cards_for(
    findings: Sequence[Finding],
    base_url: str,
    draft_orders: Sequence[dict[str, Any]],
    value_sets: ValueSets,
    request: InRequest | None = None,
) -> list[tuple[Finding, dict[str, Any]]]:
    """Each finding with its card, critical first (the engine's order is kept within a level). ``request``
    is what the intake found in the whole request (see :func:`draft_order_ids`)."""
    rank = {"critical": 0, "warning": 1, "info": 2}
    pairs = [(f, card_for(f, base_url, draft_orders, value_sets, request)) for f in findings]
    return sorted(pairs, key=lambda pair: rank[pair[1]["indicator"]])


DATA_QUALITY_TOPIC = "data-quality"
_MAX_NOTES_SHOWN = 20


def data_quality_card(notes: Sequence[str], base_url: str) -> dict[str, Any] | None:
    """An info card listing patient data that was left out (e.g. a unit that cannot be converted).

    Alerts may be missing because of it, so the clinician is told rather than left to assume none apply.
    """
    if not notes:
        return None
    shown = [f"- {escape_markdown(note)}" for note in notes[:_MAX_NOTES_SHOWN]]
    if len(notes) > _MAX_NOTES_SHOWN:
        shown.append(f"- … and {len(notes) - _MAX_NOTES_SHOWN} more")
    detail = "\n".join(
        [
            "clinrules could not use some of the data it received for this patient, so an alert that depends",
            "on it may be missing. Check these records (and their units) in the chart:",
            "",
            *shown,
        ]
    )
    # No uuid: the card is not a rule's alert, so there is nothing to give feedback on.
    return {
        "summary": _summary(f"Some patient data could not be used by clinrules ({len(notes)} item(s))"),
        "detail": detail,
        "indicator": "info",
        "source": {
            "label": "clinrules · data check",
            "url": f"{base_url}/ui",
            "topic": {
                "system": TOPIC_SYSTEM,
                "code": DATA_QUALITY_TOPIC,
                "display": "Patient data not usable",
            },
        },
    }


def issued(card: dict[str, Any], finding: Finding) -> IssuedCard:
    """What the audit keeps of a card."""
    return IssuedCard(
        uuid=card["uuid"],  # every rule card has one
        rule_id=finding.rule_id,
        rule_version=finding.rule_version,
        topic=finding.topic,
        indicator=card["indicator"],
        suggestion_uuids=[s["uuid"] for s in card.get("suggestions", [])],
        override_codes=[r["code"] for r in card.get("overrideReasons", [])],
    )


def _prune(value: Any) -> Any:
    """``value`` without null or empty members (None, "", [], {}), as a card leaves them out.

    One pass per container, recursing only into containers (a card is mostly strings)."""
    if type(value) is dict:
        out = {}
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                item = _prune(item)
            if item is not None and item != "" and item != [] and item != {}:
                out[key] = item
        return out
    if type(value) is list:
        return [_prune(v) if type(v) is dict or type(v) is list else v for v in value]
    return value
