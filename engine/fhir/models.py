"""Narrow strict models (msgspec Structs) of exactly the FHIR R4 elements the rules read; the rest is ignored.

Each model names the elements of one resource type (or one part of it) that the adapter reads. Validation is
strict (JSON types as FHIR writes them: a number is a JSON number, a date a string), so a malformed element a
rule reads is refused with its path, while a malformed element no rule reads (``category`` as one object,
an unknown extension) is never looked at. Field names are FHIR's, so error locations are FHIR paths.

Resources are validated in two steps, so that nothing is validated twice and nothing no rule reads is
validated at all: a *head* (what decides whether any rule can use the resource: its codes and status) and,
only for a resource a rule can use, a *body* (dates, subject, values).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

from engine.fhir.fhir_time import FhirTime, decode_hook

__all__ = [
    "BundleShell",
    "CodeableConcept",
    "Coding",
    "ConditionBody",
    "ConditionHead",
    "DispenseRequest",
    "Dosage",
    "FhirTime",
    "MedicationCode",
    "MedicationHead",
    "MedicationRequestBody",
    "MedicationStatementBody",
    "ObservationBody",
    "ObservationHead",
    "PatientModel",
    "Quantity",
    "Reference",
    "RequestDosages",
    "StatementDosages",
    "convert",
    "decode_hook",
]


T = TypeVar("T")


def convert(data: Any, kind: type[T]) -> T:
    """``data`` (parsed JSON) as ``kind``, strictly: JSON types as FHIR writes them, unknown elements
    ignored. Raises :class:`msgspec.ValidationError` naming the path (``$.valueQuantity.value``)."""
    return msgspec.convert(data, kind, strict=True, dec_hook=decode_hook)


Time = FhirTime


class _Narrow(msgspec.Struct, frozen=True):
    """A narrow model: only the elements named are read; all others are ignored."""


class Coding(_Narrow, frozen=True):
    """Coding: a code in a system, and its display."""

    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(_Narrow, frozen=True):
    """CodeableConcept: codings and a text."""

    coding: list[Coding] = []
    text: str | None = None


class Reference(_Narrow, frozen=True):
    """Reference: the literal reference and its display."""

    reference: str | None = None
    display: str | None = None


class Quantity(_Narrow, frozen=True):
    """Quantity: a number, a comparator, a printed unit and a coded (UCUM) unit."""

    value: float | None = None
    comparator: Literal["<", "<=", ">=", ">"] | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Period(_Narrow, frozen=True):
    """Period: start and end."""

    start: Time | None = None
    end: Time | None = None


# ---- Patient ---------------------------------------------------------------------------------------


class PatientModel(_Narrow, frozen=True):
    """Patient: id, administrative gender, date of birth."""

    id: str | None = None
    gender: str | None = None
    birthDate: Time | None = None


# ---- Observation -----------------------------------------------------------------------------------


class _ComponentCode(_Narrow, frozen=True):
    code: CodeableConcept | None = None


class ObservationHead(_Narrow, frozen=True):
    """Observation head: status and the codes of the observation and of its components."""

    status: str | None = None
    code: CodeableConcept | None = None
    component: list[_ComponentCode] = []


class ObservationBody(_Narrow, frozen=True):
    """Observation body: the subject and when it was observed (values are read per part, by kind)."""

    subject: Reference | None = None
    effectiveDateTime: Time | None = None
    effectiveInstant: Time | None = None
    effectivePeriod: Period | None = None
    issued: Time | None = None


# ---- Condition -------------------------------------------------------------------------------------


class ConditionHead(_Narrow, frozen=True):
    """Condition head: the code (codings and text) and the verification status."""

    code: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None


class ConditionBody(_Narrow, frozen=True):
    """Condition body: subject, clinical status, onset and recorded date."""

    subject: Reference | None = None
    clinicalStatus: CodeableConcept | None = None
    onsetDateTime: Time | None = None
    onsetPeriod: Period | None = None
    recordedDate: Time | None = None


# ---- medications -----------------------------------------------------------------------------------


class MedicationHead(_Narrow, frozen=True):
    """MedicationRequest / MedicationStatement head: status, doNotPerform and the medication."""

    status: str | None = None
    doNotPerform: bool | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None


class _Ingredient(_Narrow, frozen=True):
    itemCodeableConcept: CodeableConcept | None = None
    isActive: bool | None = None  # absent: active (an excipient, isActive false, is not the drug)


class MedicationCode(_Narrow, frozen=True):
    """Medication (contained, in the request, or fetched): its code and its ingredients' codes."""

    code: CodeableConcept | None = None
    ingredient: list[_Ingredient] = []

    def concept(self) -> CodeableConcept | None:
        """What the Medication is, as one CodeableConcept: its ``code``, and each ingredient's codings and
        text (a product with a thalidomide ingredient is thalidomide); None when it names nothing. An
        ingredient marked ``isActive: false`` (an excipient) is not read as the drug.

        An ingredient's text becomes a coding with only a display, which is read as a name, never as a
        code."""
        items = [
            i.itemCodeableConcept
            for i in self.ingredient
            if i.itemCodeableConcept is not None and i.isActive is not False
        ]
        if not items:
            return self.code
        codings = list(self.code.coding) if self.code is not None else []
        for item in items:
            codings.extend(item.coding)
            if item.text:
                codings.append(Coding(display=item.text))
        text = self.code.text if self.code is not None else None
        if not codings and text is None:
            return None
        return CodeableConcept(coding=codings, text=text)


class DispenseRequest(_Narrow, frozen=True):
    validityPeriod: Period | None = None
    expectedSupplyDuration: Quantity | None = None


class _Repeat(_Narrow, frozen=True):
    boundsPeriod: Period | None = None


class _Timing(_Narrow, frozen=True):
    repeat: _Repeat | None = None


class Dosage(_Narrow, frozen=True):
    """Dosage: only the period its timing is bounded by (``timing.repeat.boundsPeriod``).

    Read apart from the body, and only for a medication nothing else dates
    (:mod:`engine.fhir.medication_dates`), so a malformed dosage never costs the medication."""

    timing: _Timing | None = None

    @property
    def bounds(self) -> Period | None:
        """``timing.repeat.boundsPeriod``, when given."""
        repeat = self.timing.repeat if self.timing is not None else None
        return repeat.boundsPeriod if repeat is not None else None


class RequestDosages(_Narrow, frozen=True):
    """MedicationRequest: its dosage instructions (for their bounds)."""

    dosageInstruction: list[Dosage] = []


class StatementDosages(_Narrow, frozen=True):
    """MedicationStatement: its dosages (for their bounds)."""

    dosage: list[Dosage] = []


class MedicationRequestBody(_Narrow, frozen=True):
    """MedicationRequest body: subject, when authored, dispense validity."""

    subject: Reference | None = None
    authoredOn: Time | None = None
    dispenseRequest: DispenseRequest | None = None


class MedicationStatementBody(_Narrow, frozen=True):
    """MedicationStatement body: subject and when it was (or is) taken."""

    subject: Reference | None = None
    effectiveDateTime: Time | None = None
    effectivePeriod: Period | None = None


# ---- Bundle ----------------------------------------------------------------------------------------


class _Entry(_Narrow, frozen=True):
    fullUrl: str | None = None
    resource: dict[str, Any] | None = None


class BundleShell(_Narrow, frozen=True):
    """Bundle: its entries (full URL and resource); the entries' resources are read one by one."""

    entry: list[_Entry] = []
