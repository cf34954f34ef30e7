"""Conditions and medications (MedicationRequest, MedicationStatement) → scenario Conditions and Medications.

Every coding is passed on (``codings``), with the text and displays as the name: the scenario model decides
what they mean. A resource no rule can use is dropped before its dates and subject are read; one coded only
in code systems the knowledge base does not read is counted, per system, in the notes.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from engine.fhir import items
from engine.fhir.gather import Found
from engine.fhir.meanings import condition_meaning, medication_meaning
from engine.fhir.medication_dates import medication_period
from engine.fhir.medication_refs import resolve_medication
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
from engine.fhir.times import dating, first_error
from engine.fhir.wholes import (
    ConditionWhole,
    MedicationRequestWhole,
    MedicationStatementWhole,
    whole_of,
)
from engine.scenario import (
    CodeSystem,
    Condition,
    ConditionStatus,
    Medication,
    MedicationStatus,
    reading,
)
from engine.valuesets import ValueSets

MedicationBody = (
    MedicationRequestBody | MedicationStatementBody | MedicationRequestWhole | MedicationStatementWhole
)
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


def status_code(concept: CodeableConcept | None) -> str | None:
    """The first code of a status CodeableConcept."""
    if concept is not None:
        for coding in concept.coding:
            if coding.code:
                return coding.code
    return None


def _recognised(
    kind: str,
    known: list[str] | None,
    work_out: Callable[[], list[str]],
    unread: frozenset[str],
    label: str,
    report: Report,
) -> list[str] | None:
    """What an item is recognised as (remembered, else worked out by the scenario model), or None when no rule
    can use it: fields the model refuses are noted, and codes only in systems no value set reads reported."""
    concepts = known
    if concepts is None:
        try:
            concepts = work_out()
        except ValidationError as exc:
            report.note(f"{label}: {kind.lower()} not usable ({first_error(exc)}); left out")
            return None
    if not concepts:
        if unread:
            report.unread_systems(kind, set(unread))
        return None
    return concepts


def read_condition(
    found: Found, vs: ValueSets, report: Report
) -> tuple[ConditionBody | ConditionWhole, Condition] | None:
    """The scenario Condition of a Condition resource (with its body, for the subject check), or None when
    no rule can use it (not recognised, refuted, entered in error)."""
    valid = whole_of(found, ConditionWhole)
    head = valid if valid is not None else report.validate(ConditionHead, found.raw, found.label)
    if head is None or head.code is None or status_code(head.verificationStatus) in IGNORED_VERIFICATION:
        return None
    meaning = condition_meaning(vs, head.code)
    if meaning is None:
        return None
    code, system, text, coded = (
        meaning.code,
        meaning.system or CodeSystem.icd10cm,
        meaning.name,
        meaning.coded,
    )
    fields = {"code": code, "system": system, "codings": meaning.codings, "text": text}
    concepts = _recognised(
        "Condition",
        meaning.concepts,
        lambda: Condition.model_validate(fields, context=reading(vs)).concepts,
        meaning.unread,
        found.label,
        report,
    )
    if concepts is None:
        return None
    body = valid if valid is not None else report.validate(ConditionBody, found.raw, found.label)
    if body is None:
        return None
    period = body.onsetPeriod
    status = CLINICAL_STATUS.get(status_code(body.clinicalStatus) or "", ConditionStatus.unknown)
    onset = dating(body.onsetDateTime or (period.start if period else None), found.label, "onset", report)
    recorded = dating(body.recordedDate, found.label, "recordedDate", report)
    built = (
        items.condition(code, system, coded, text, status, onset, recorded, concepts)
        if coded is not None
        else None
    )
    if built is not None:
        return body, built
    try:
        values = {**fields, "status": status, "onset": onset, "recorded": recorded}
        condition = Condition.model_validate(values, context=reading(vs))
    except ValidationError as exc:
        report.note(f"{found.label}: condition not usable ({first_error(exc)}); left out")
        return None
    return body, condition


def read_medication(
    found: Found, medications: dict[str, Found], vs: ValueSets, report: Report
) -> tuple[MedicationBody, Medication] | None:
    """The scenario Medication of a MedicationRequest or MedicationStatement, or None when no rule can use it
    (no medication chosen yet, not recognised, entered in error, an order not to give it)."""
    is_request = found.type == "MedicationRequest"
    valid: MedicationRequestWhole | MedicationStatementWhole | None = (
        whole_of(found, MedicationRequestWhole) if is_request else whole_of(found, MedicationStatementWhole)
    )
    head = valid if valid is not None else report.validate(MedicationHead, found.raw, found.label)
    if head is None or head.status == "entered-in-error" or (is_request and head.doNotPerform):
        return None
    concept, reference = head.medicationCodeableConcept, head.medicationReference
    names_one = concept is not None or reference is not None
    noted = len(report.notes)
    if concept is None and reference is not None:
        concept = resolve_medication(found, reference, medications, report)
    meaning = medication_meaning(vs, concept, reference.display if reference else None)
    if meaning is None:
        # A draft order naming no medication at all is an order still being written (order-select): nothing
        # to check. Any other medication whose drug cannot be read is said, unless resolving its reference
        # already said why (not in the request, or malformed).
        if (names_one or not found.draft) and len(report.notes) == noted:
            report.note(f"{found.label}: no medication name or code; left out")
        return None
    status = MEDICATION_STATUS.get(head.status or "", MedicationStatus.unknown)
    ingredient, rxnorm, coded = meaning.name or "", meaning.code, meaning.coded
    draft = found.draft or status is MedicationStatus.draft
    fields = {
        "ingredient": ingredient,
        "code": rxnorm,
        "codings": meaning.codings,
        "status": status,
        "draft": draft,
    }
    classes = _recognised(
        "Medication",
        meaning.concepts,
        lambda: Medication.model_validate(fields, context=reading(vs)).classes,
        meaning.unread,
        found.label,
        report,
    )
    if classes is None:
        return None
    body: MedicationBody | None
    if is_request:
        request = (
            valid
            if isinstance(valid, MedicationRequestWhole)
            else report.validate(MedicationRequestBody, found.raw, found.label)
        )
        if request is None:
            return None
        body = request
        supply = request.dispenseRequest.expectedSupplyDuration if request.dispenseRequest else None
        days = supply_days(supply)
        if supply is not None and days is None:
            report.note(f"{found.label}: expectedSupplyDuration not in days, weeks or months; not used")
    else:
        statement = (
            valid
            if isinstance(valid, MedicationStatementWhole)
            else report.validate(MedicationStatementBody, found.raw, found.label)
        )
        if statement is None:
            return None
        body = statement
        days = None
    began, ended = medication_period(body, found.raw, found.label, report)
    built = (
        items.medication(ingredient, rxnorm, coded, status, draft, days, began, ended, classes)
        if coded is not None
        else None
    )
    if built is not None:
        return body, built
    try:
        values = {**fields, "days_supply": days, "start": began, "end": ended}
        medication = Medication.model_validate(values, context=reading(vs))
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
