"""Conditions and medications (MedicationRequest, MedicationStatement) → scenario Conditions and Medications.

Every coding is passed on (``codings``), with the text and displays as the name: the scenario model decides
what they mean. A resource no rule can use is dropped before its dates and subject are read; one coded only
in code systems the knowledge base does not read is counted, per system, in the notes.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from engine.fhir import items
from engine.fhir import terminology as terms
from engine.fhir.gather import Found, resolve_medication
from engine.fhir.models import (
    CodeableConcept,
    ConditionBody,
    ConditionHead,
    MedicationHead,
    MedicationRequestBody,
    MedicationStatementBody,
    Quantity,
)
from engine.fhir.report import Report
from engine.fhir.times import first_error, instant
from engine.scenario import (
    CodeSystem,
    Condition,
    ConditionStatus,
    Medication,
    MedicationStatus,
)
from engine.valuesets import ValueSets

IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
CLINICAL_STATUS = {
    s.value: s
    for s in (
        ConditionStatus.active,
        ConditionStatus.recurrence,
        ConditionStatus.relapse,
        ConditionStatus.inactive,
        ConditionStatus.remission,
        ConditionStatus.resolved,
    )
}
MEDICATION_STATUS = {s.value: s for s in MedicationStatus}
MAX_TEXT = 500  # Condition.text and Medication.ingredient limits in engine.scenario
MAX_CODINGS = 32


def status_code(concept: CodeableConcept | None) -> str | None:
    """The first code of a status CodeableConcept."""
    return next((c.code for c in concept.coding if c.code), None) if concept is not None else None


def codings_of(concept: CodeableConcept | None) -> list[dict[str, str]]:
    """Every coding with a system and a code, as the scenario keeps them (``Coding``)."""
    if concept is None:
        return []
    out = [
        {"system": c.system, "code": c.code}
        for c in concept.coding
        if c.system and c.code and len(c.system) <= 256 and len(c.code) <= 64
    ]
    return out[:MAX_CODINGS]


def names_of(*texts: str | None, recognise: Callable[[str], frozenset[str]]) -> str | None:
    """The first name, plus any other name recognised as something the first is not, joined with ``; ``.

    So "TLD tablet" becomes "TLD tablet; dolutegravir 50 MG / lamivudine ..." (the display names the
    ingredients; a brand in ``text`` must not hide them), while a display that only repeats what the text
    says is not appended. Every coding is passed on besides, so nothing is lost for codes.
    """
    seen: set[str] = set()
    names: list[str] = []
    for text in texts:
        cleaned = text.strip() if text else ""
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            names.append(cleaned)
    if len(names) < 2:
        return names[0] if names else None
    kept = [names[0]]
    known = set(recognise(names[0]))
    for other in names[1:]:
        found = recognise(other)
        if not found <= known:
            kept.append(other)
            known |= found
    return "; ".join(kept)[:MAX_TEXT]


def _unread(kind: str, concept: CodeableConcept | None, vs: ValueSets, report: Report) -> None:
    systems = {c.system or "(no system)" for c in concept.coding if c.code} if concept is not None else set()
    if systems and not any(terms.known_system(vs, s) for s in systems):
        report.unread_systems(kind, systems)


def read_condition(found: Found, vs: ValueSets, report: Report) -> tuple[ConditionBody, Condition] | None:
    """The scenario Condition of a Condition resource (with its body, for the subject check), or None when
    no rule can use it (not recognised, refuted, entered in error)."""
    head = report.validate(ConditionHead, found.raw, found.label)
    if head is None or head.code is None or status_code(head.verificationStatus) in IGNORED_VERIFICATION:
        return None
    codings = codings_of(head.code)
    primary = next((c for c in codings if vs.system_name(c["system"]) == "icd10cm"), None) or next(
        (c for c in codings if vs.system_name(c["system"]) == "snomed"), None
    )
    text = names_of(
        head.code.text,
        *(c.display for c in head.code.coding),
        recognise=lambda t: vs.condition_concepts(None, None, t),
    )
    code = primary["code"] if primary and len(primary["code"]) <= 32 else None
    system = CodeSystem(vs.system_name(primary["system"]) or "icd10cm") if primary else CodeSystem.icd10cm
    fields = {"code": code, "system": system, "codings": codings, "text": text}
    if not codings and not text:
        return None
    coded = items.codings(codings)
    fast = items.condition_fields_clean(code, text, coded)
    if coded is not None and fast:
        concepts = items.condition_concepts(vs, system, code, text, coded)
    else:
        try:
            concepts = Condition(**fields).concepts
        except ValidationError as exc:
            report.note(f"{found.label}: condition not usable ({first_error(exc)}); left out")
            return None
    if not concepts:
        _unread("Condition", head.code, vs, report)
        return None
    body = report.validate(ConditionBody, found.raw, found.label)
    if body is None:
        return None
    period = body.onsetPeriod
    status = CLINICAL_STATUS.get(status_code(body.clinicalStatus) or "", ConditionStatus.unknown)
    onset = instant(body.onsetDateTime or (period.start if period else None), found.label, "onset", report)
    recorded = instant(body.recordedDate, found.label, "recordedDate", report)
    built = (
        items.condition(code, system, coded, text, status, onset, recorded, concepts)
        if coded is not None and fast
        else None
    )
    if built is not None:
        return body, built
    try:
        condition = Condition(**fields, status=status, onset=onset, recorded=recorded)
    except ValidationError as exc:
        report.note(f"{found.label}: condition not usable ({first_error(exc)}); left out")
        return None
    return body, condition


def read_medication(
    found: Found, medications: dict[str, Found], vs: ValueSets, report: Report
) -> tuple[MedicationRequestBody | MedicationStatementBody, Medication] | None:
    """The scenario Medication of a MedicationRequest or MedicationStatement, or None when no rule can use it
    (no medication chosen yet, not recognised, entered in error, an order not to give it)."""
    head = report.validate(MedicationHead, found.raw, found.label)
    is_request = found.type == "MedicationRequest"
    if head is None or head.status == "entered-in-error" or (is_request and head.doNotPerform):
        return None
    concept, reference = head.medicationCodeableConcept, head.medicationReference
    if concept is None and reference is not None:
        concept = resolve_medication(found, reference, medications, report)
    codings = codings_of(concept)
    names = names_of(
        concept.text if concept else None,
        *(c.display for c in (concept.coding if concept else [])),
        reference.display if reference else None,
        recognise=lambda t: vs.medication_classes(t, None),
    )
    if not codings and not names:
        if not found.draft and not (reference and reference.reference):
            # A draft order without a drug is an order still being written (order-select): nothing to check.
            report.note(f"{found.label}: no medication name or code; left out")
        return None
    rxnorm = next(
        (c["code"] for c in codings if vs.system_name(c["system"]) == "rxnorm" and len(c["code"]) <= 32), None
    )
    status = MEDICATION_STATUS.get(head.status or "", MedicationStatus.unknown)
    ingredient = names or terms.code_label(codings[0]["system"], codings[0]["code"])
    draft = found.draft or status is MedicationStatus.draft
    fields = {"ingredient": ingredient, "code": rxnorm, "codings": codings, "status": status, "draft": draft}
    coded = items.codings(codings)
    fast = items.medication_fields_clean(ingredient, rxnorm, coded)
    if coded is not None and fast:
        classes = items.medication_classes(vs, ingredient, rxnorm, coded)
    else:
        try:
            classes = Medication(**fields).classes
        except ValidationError as exc:
            report.note(f"{found.label}: medication not usable ({first_error(exc)}); left out")
            return None
    if not classes:
        _unread("Medication", concept, vs, report)
        return None
    body: MedicationRequestBody | MedicationStatementBody | None
    if is_request:
        body = report.validate(MedicationRequestBody, found.raw, found.label)
        if body is None:
            return None
        validity = body.dispenseRequest.validityPeriod if body.dispenseRequest else None
        # KNOWLEDGE.md §4: an order starts when it was authored; its dispense validity is a fallback only.
        start = body.authoredOn or (validity.start if validity else None)
        end = validity.end if validity else None
        supply = body.dispenseRequest.expectedSupplyDuration if body.dispenseRequest else None
        days = supply_days(supply)
        if supply is not None and days is None:
            report.note(f"{found.label}: expectedSupplyDuration not in days, weeks or months; not used")
    else:
        body = report.validate(MedicationStatementBody, found.raw, found.label)
        if body is None:
            return None
        period = body.effectivePeriod
        start = period.start if period else body.effectiveDateTime
        end = period.end if period else None
        days = None
    began = instant(start, found.label, "start", report)
    ended = instant(end, found.label, "end", report)
    built = (
        items.medication(ingredient, rxnorm, coded, status, draft, days, began, ended, classes)
        if coded is not None and fast
        else None
    )
    if built is not None:
        return body, built
    try:
        medication = Medication(**fields, days_supply=days, start=began, end=ended)
    except ValidationError as exc:
        report.note(f"{found.label}: medication not usable ({first_error(exc)}); left out")
        return None
    return body, medication


# UCUM duration units (and their usual printed forms) in days; a course's cover is counted in whole days.
_DAYS_PER_UNIT = {
    "d": 1.0,
    "day": 1.0,
    "days": 1.0,
    "wk": 7.0,
    "week": 7.0,
    "weeks": 7.0,
    "mo": 30.0,
    "month": 30.0,
    "months": 30.0,
    "h": 1 / 24,
    "hour": 1 / 24,
    "hours": 1 / 24,
}


def supply_days(supply: Quantity | None) -> int | None:
    """Days an ``expectedSupplyDuration`` covers (1-3650), or None when absent or in no known unit."""
    if supply is None or supply.value is None or supply.value <= 0:
        return None
    factor = _DAYS_PER_UNIT.get((supply.code or supply.unit or "").strip().lower())
    if factor is None:
        return None
    return min(3650, max(1, round(supply.value * factor)))
