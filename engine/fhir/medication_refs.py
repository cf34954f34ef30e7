"""A medication's ``medicationReference``: the Medication it points to, contained (``#id``) or elsewhere in
the request (``Medication/id``, an absolute URL ending so, or a Bundle ``fullUrl``), and whether two
medication resources name their drug alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from engine.fhir.models import CodeableConcept, MedicationCode, Reference
from engine.fhir.report import Report

if TYPE_CHECKING:
    from engine.fhir.gather import Found

M = TypeVar("M")


def same_drug(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """True when two medication resources name their drug alike (the same elements, contained too)."""
    keys = ("medicationCodeableConcept", "medicationReference", "contained")
    return all(one.get(key) == other.get(key) for key in keys)


def resolve_medication(
    found: Found, reference: Reference, medications: dict[str, Found], report: Report
) -> CodeableConcept | None:
    """The code of the Medication a ``medicationReference`` points to: contained (``#id``), elsewhere in the
    request (``Medication/id``, an absolute URL ending so, or a Bundle fullUrl). None, noted, when it is
    not in the request; None, as a problem, when its code is malformed."""
    target = reference.reference
    if not target:
        return None
    if target.startswith("#"):
        contained = found.raw.get("contained")
        for index, item in enumerate(contained if isinstance(contained, list) else []):
            if (
                isinstance(item, dict)
                and item.get("resourceType") == "Medication"
                and item.get("id") == target[1:]
            ):
                model = report.validate(MedicationCode, item, f"{found.label}.contained.{index}")
                return model.concept() if model is not None else None
    else:
        hit = find_medication(medications, target)
        if hit is not None:
            if not hit.code_read:
                model = report.validate(MedicationCode, hit.raw, hit.label)
                hit.code, hit.code_read = (model.concept() if model is not None else None), True
            return hit.code
    if reference.display is None:
        report.unresolved.append(target)
        report.note(
            f"{found.label}: medication {target[:200]} is not in the request, so its drug could not be "
            "identified; left out, so an alert may be missing"
        )
    return None


def find_medication(medications: dict[str, M], target: str) -> M | None:
    """The Medication a (non-contained) reference names: by ``Medication/id``, a Bundle ``fullUrl``, or an
    absolute URL ending in ``Medication/id``."""
    return medications.get(target) or medications.get(_relative(target))


def _relative(reference: str) -> str:
    """``Medication/id`` of an absolute reference (``https://host/fhir/Medication/id``), else the input."""
    parts = reference.rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference
