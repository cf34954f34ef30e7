"""The Patient, and whether a resource's ``subject`` is that patient."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from engine.fhir import items
from engine.fhir.gather import Found
from engine.fhir.models import PatientModel, Reference
from engine.fhir.report import Report
from engine.fhir.times import dating, first_error
from engine.scenario import Patient, Sex

_SEX = {s.value: s for s in Sex}
# Where US Core puts the sex when Patient.gender is absent (US Core 8 writes it only there): the
# individual-sex extension (SNOMED CT Female 248152002, Male 248153007), then the older birth sex.
_INDIVIDUAL_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-individual-sex"
_BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
_SNOMED_SEX = {"248152002": Sex.female, "248153007": Sex.male}
_BIRTH_SEX_CODES = {"F": Sex.female, "M": Sex.male}
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
            # Not the other patient's reference: the note reaches this patient's card (an id is identifying).
            report.note(f"{found.label}: belongs to another patient; left out")
        return same


def read_patient(found: list[Found], report: Report) -> ThePatient:
    """The first Patient given (others are noted and left out); an empty patient when there is none."""
    patients = [f for f in found if f.type == "Patient"]
    for _ in patients[1:]:
        # Not the second Patient's label: its id is another patient's identifier.
        report.note(f"a second Patient resource; left out (the patient is {patients[0].label})")
    if not patients:
        return ThePatient(Patient(), frozenset())
    entry = patients[0]
    model = report.validate(PatientModel, entry.raw, entry.label)
    if model is None:
        return ThePatient(Patient(), frozenset())
    known = {f"Patient/{model.id}"} if model.id else set()
    if entry.full_url:
        known.add(entry.full_url)
    birth = dating(model.birthDate, entry.label, "birthDate", report)
    birth_date = birth.date() if birth else None
    sex = _SEX.get(model.gender or "", Sex.unknown)
    if sex is Sex.unknown:
        sex = _extension_sex(entry.raw)
    built = items.patient(model.id, birth_date, sex)
    if built is not None:
        return ThePatient(built, frozenset(known))
    try:
        patient = Patient(id=model.id, birth_date=birth_date, sex=sex)
    except ValidationError as exc:
        report.note(f"{entry.label}: not usable as the patient ({first_error(exc)}); left out")
        patient = Patient()
    return ThePatient(patient, frozenset(known))


def _extension_sex(raw: object) -> Sex:
    """The sex a US Core Patient gives in its extensions, or unknown (an unreadable extension is ignored)."""
    extensions = raw.get("extension") if isinstance(raw, dict) else None
    found: dict[str, Sex] = {}
    for ext in extensions if isinstance(extensions, list) else []:
        if not isinstance(ext, dict):
            continue
        if ext.get("url") == _INDIVIDUAL_SEX and isinstance(ext.get("valueCoding"), dict):
            coding = ext["valueCoding"]
            if coding.get("system") == "http://snomed.info/sct" and coding.get("code") in _SNOMED_SEX:
                found.setdefault(_INDIVIDUAL_SEX, _SNOMED_SEX[coding["code"]])
        elif ext.get("url") == _BIRTH_SEX and ext.get("valueCode") in _BIRTH_SEX_CODES:
            found.setdefault(_BIRTH_SEX, _BIRTH_SEX_CODES[ext["valueCode"]])
    return found.get(_INDIVIDUAL_SEX) or found.get(_BIRTH_SEX) or Sex.unknown
