"""The Patient, and whether a resource's ``subject`` is that patient."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from engine.fhir import items
from engine.fhir.gather import Found
from engine.fhir.models import PatientModel, Reference
from engine.fhir.report import Report
from engine.fhir.times import first_error, instant
from engine.scenario import Patient, Sex

_SEX = {s.value: s for s in Sex}
_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass(frozen=True)
class ThePatient:
    """The patient the request is about, and the references that name it."""

    patient: Patient
    references: frozenset[str]

    def is_subject(self, found: Found, subject: Reference | None, report: Report) -> bool:
        """False (with a note) only when ``subject`` clearly names a different patient."""
        reference = subject.reference if subject is not None else None
        if not self.references or reference is None or reference in self.references:
            return True
        match = _PATIENT_REFERENCE.search(reference)
        if match:
            same = self.patient.id is None or match.group(1) == self.patient.id
        else:
            # A urn:uuid reference can only be resolved against the Patient entry's fullUrl.
            same = not (
                reference.startswith("urn:uuid:") and any(k.startswith("urn:uuid:") for k in self.references)
            )
        if not same:
            report.note(f"{found.label}: subject {reference} is not the patient given; left out")
        return same


def read_patient(found: list[Found], report: Report) -> ThePatient:
    """The first Patient given (others are noted and left out); an empty patient when there is none."""
    patients = [f for f in found if f.type == "Patient"]
    for other in patients[1:]:
        report.note(f"{other.label}: a second patient; left out (the patient is {patients[0].label})")
    if not patients:
        return ThePatient(Patient(), frozenset())
    entry = patients[0]
    model = report.validate(PatientModel, entry.raw, entry.label)
    if model is None:
        return ThePatient(Patient(), frozenset())
    known = {f"Patient/{model.id}"} if model.id else set()
    if entry.full_url:
        known.add(entry.full_url)
    birth = instant(model.birthDate, entry.label, "birthDate", report)
    birth_date = birth.date() if birth else None
    sex = _SEX.get(model.gender or "", Sex.unknown)
    built = items.patient(model.id, birth_date, sex)
    if built is not None:
        return ThePatient(built, frozenset(known))
    try:
        patient = Patient(id=model.id, birth_date=birth_date, sex=sex)
    except ValidationError as exc:
        report.note(f"{entry.label}: not usable as the patient ({first_error(exc)}); left out")
        patient = Patient()
    return ThePatient(patient, frozenset(known))
