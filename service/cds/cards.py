"""Findings as CDS Hooks cards: uuid, summary, markdown detail, indicator, source with topic, suggestions
with resolved actions, override reasons and links. Empty members are left out; critical cards come first.

A rule suggestion whose action targets ``draft-orders`` of a ``medication_class`` becomes one delete action
per draft MedicationRequest in that class (by ``resourceId``, as ``draft_orders`` finds them); when no such
draft order exists (for example in patient-view) the suggestion is dropped. Create or update
actions need a FHIR resource that the rules do not carry, so they are left out and the suggestion stays as
advice only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from engine.findings import Finding
from engine.knowledge import Suggestion as RuleSuggestion
from engine.markdown import escape_markdown
from engine.valuesets import ValueSets
from service.audit import IssuedCard
from service.cds.draft_orders import InRequest, draft_order_ids
from service.cds.models import OVERRIDE_SYSTEM, TOPIC_SYSTEM

MAX_SUMMARY = 139
EVIDENCE_LABEL = {"high": "High", "moderate": "Moderate", "low": "Low", "very-low": "Very low"}


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
