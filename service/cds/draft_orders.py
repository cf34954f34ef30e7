"""Which draft orders a card's delete action may name: the MedicationRequests being ordered now whose drug is
in a medication class, read from the order, the Medication it references (contained, among the draft orders,
or anywhere in the request) and that Medication's active ingredients.

Never an id that another, different MedicationRequest in the request also has, draft or not: the EHR could
not tell which order a delete by that id means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.fhir.medication_refs import find_medication, same_drug
from engine.valuesets import ValueSets


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
