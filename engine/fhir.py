"""FHIR R4 input adapter: Patient, Observation, Condition, MedicationRequest, MedicationStatement and Bundle
resources (validated with the ``fhir.resources`` R4B models) become one :class:`engine.scenario.Scenario`.

Codes and units are recognised as KNOWLEDGE.md §4 describes. Whatever cannot be used is left out and named in
:attr:`FhirImport.notes`, one line each; nothing is guessed and nothing raises. Resources of other types, and
codes in no value set, are skipped silently: they are simply not relevant to the rules.

Choices made where the brief is silent:

- Each resource is validated on its own, so one bad resource never costs the others. Observations,
  conditions and medications whose codes and names are in no value set are skipped before validation
  (they are irrelevant to every rule, and validation is most of the adapter's cost).
  A Bundle is validated without its entries (the entries are validated one by one); an invalid Bundle shell
  is noted and its entries are still read. Bundles may nest (in ``resources`` or in another Bundle).
- The same resource (type and id) given twice is used once; a draft order wins over a prefetch copy of it.
- A resource whose ``subject`` names a different patient from the Patient given is left out and noted.
- A second Patient with a different id is left out and noted; the first one is the patient.
- Partial dates (``2026`` or ``2026-05``) are taken as their first day, with a note.
- A measurement without a unit is left out: a unit is never assumed.
- A Condition without ``clinicalStatus`` gets the status ``unknown``, which derivation counts as active.
- A MedicationRequest with ``doNotPerform`` true is an order *not* to give the drug and is skipped.
- A medication or condition is named by its ``text`` (else a coding's ``display``); another display is
  appended (``"; "``) when it is recognised as something the name is not, so that a brand name in ``text``
  does not hide the ingredient the RxNorm display names. Names longer than the Scenario allows are cut.
- Observations of any status but ``entered-in-error`` and ``cancelled`` (``preliminary`` too) are used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle as FhirBundle
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.medication import Medication as FhirMedication
from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirMedicationStatement
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.patient import Patient as FhirPatient
from pydantic import ValidationError

from engine.errors import FieldProblem, ScenarioError
from engine.scenario import (
    CodeSystem,
    Condition,
    ConditionStatus,
    Medication,
    MedicationStatus,
    Observation,
    ObservationKind,
    Patient,
    Scenario,
    Sex,
)
from engine.valuesets import ValueSets, default_value_sets

__all__ = ["FhirImport", "looks_like_fhir", "scenario_from_bundle", "scenario_from_resources"]

# The resource types the adapter reads; every other type is skipped without validation (it costs time).
_MODELS: dict[str, Any] = {
    "Patient": FhirPatient,
    "Observation": FhirObservation,
    "Condition": FhirCondition,
    "MedicationRequest": FhirMedicationRequest,
    "MedicationStatement": FhirMedicationStatement,
}

UCUM = "http://unitsofmeasure.org"
_IGNORED_OBSERVATION = frozenset({"entered-in-error", "cancelled"})
_IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
_CLINICAL_STATUS = {
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
_MEDICATION_STATUS = {s.value: s for s in MedicationStatus}
_SEX = {s.value: s for s in Sex}
_MAX_BUNDLE_DEPTH = 8
_MAX_TEXT = 500  # Condition.text and Medication.ingredient limits in engine.scenario
_MAX_ITEMS = 5000  # Scenario list limits in engine.scenario
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass(frozen=True)
class FhirImport:
    """The Scenario read from FHIR resources, and one note per thing that could not be used.

    ``problems`` lists what is not valid FHIR R4 (wrong types, unknown resource types, malformed Bundles):
    callers refuse such input with a clear error rather than evaluate a patient with data silently missing.
    Each problem is also in ``notes``.
    """

    scenario: Scenario
    notes: list[str] = field(default_factory=list)
    patient_id: str | None = None
    problems: list[FieldProblem] = field(default_factory=list)

    def checked(self) -> FhirImport:
        """This import, or :class:`ScenarioError` listing every problem when the input is not valid FHIR."""
        if self.problems:
            raise ScenarioError(self.problems)
        return self


def looks_like_fhir(data: Any) -> bool:
    """True for a dict with a ``resourceType`` (a Bundle or a single resource), as FHIR JSON always has."""
    return isinstance(data, dict) and isinstance(data.get("resourceType"), str)


def scenario_from_bundle(bundle: dict[str, Any], evaluation_time: datetime | None = None) -> FhirImport:
    """Read a FHIR Bundle (or a single resource) into a Scenario; never raises on bad patient data."""
    return scenario_from_resources([bundle], evaluation_time=evaluation_time)


def scenario_from_resources(
    resources: Iterable[dict[str, Any]],
    draft_orders: Iterable[dict[str, Any]] = (),
    evaluation_time: datetime | None = None,
) -> FhirImport:
    """Read FHIR resources (CDS Hooks prefetch) and draft orders into a Scenario.

    Bundles anywhere in ``resources`` or ``draft_orders`` are flattened. Every MedicationRequest in
    ``draft_orders`` is a draft order (being written now); other resources there are not orders and are
    ignored. Never raises on bad patient data: what cannot be used is left out and named in ``notes``.
    """
    return _Importer(default_value_sets()).run(resources, draft_orders, evaluation_time)


@dataclass
class _Entry:
    """One resource found in the input, with where it came from."""

    raw: dict[str, Any]
    label: str
    full_url: str | None
    draft: bool
    model: Any = None


class _Importer:
    def __init__(self, vs: ValueSets) -> None:
        self.vs = vs
        self.notes: list[str] = []
        self.problems: list[FieldProblem] = []
        self.medications_by_reference: dict[str, dict[str, Any]] = {}
        self.systems = vs.systems
        self._count = 0

    def note(self, message: str) -> None:
        self.notes.append(message)

    def invalid(self, where: str, message: str) -> None:
        """Input that is not valid FHIR: a problem for the caller, and a note."""
        self.problems.append(FieldProblem(where, message))
        self.notes.append(f"{where}: {message}; left out")

    # ---- gathering ------------------------------------------------------------------------------------

    def run(
        self,
        resources: Iterable[dict[str, Any]],
        draft_orders: Iterable[dict[str, Any]],
        evaluation_time: datetime | None,
    ) -> FhirImport:
        # A single resource passed where a list is expected is read as a list of one, not as its keys.
        resources = _as_list(resources)
        draft_orders = _as_list(draft_orders)
        drafts = [
            e
            for e in self._flatten(draft_orders, None, 0, draft=True)
            if e.raw["resourceType"] == "MedicationRequest"
        ]
        prefetch = list(self._flatten(resources, None, 0, draft=False))
        entries = self._deduplicate(drafts + prefetch)
        entries = [e for e in entries if self._relevant(e.raw) and self._validate(e)]

        patient_entry = self._choose_patient(entries)
        patient = self._patient(patient_entry) if patient_entry else Patient()
        patient_refs = self._patient_references(patient_entry)

        observations: list[Observation] = []
        conditions: list[Condition] = []
        medications: list[Medication] = []
        for entry in entries:
            kind = entry.raw["resourceType"]
            if kind == "Patient" or not self._same_patient(entry, patient_refs):
                continue
            if kind == "Observation":
                obs = self._observation(entry)
                if obs is not None:
                    observations.append(obs)
            elif kind == "Condition":
                cond = self._condition(entry)
                if cond is not None:
                    conditions.append(cond)
                    conditions.extend(self._other_codings(entry, cond))
            else:
                med = self._medication(entry)
                if med is not None:
                    medications.append(med)

        if len(observations) > _MAX_ITEMS:
            self.note(f"{len(observations) - _MAX_ITEMS} oldest observations left out (at most {_MAX_ITEMS})")
            observations = sorted(observations, key=lambda o: o.time)[-_MAX_ITEMS:]
        if len(conditions) > _MAX_ITEMS:
            self.note(f"{len(conditions) - _MAX_ITEMS} conditions left out (at most {_MAX_ITEMS})")
            conditions = conditions[:_MAX_ITEMS]
        if len(medications) > _MAX_ITEMS:
            self.note(f"{len(medications) - _MAX_ITEMS} medications left out (at most {_MAX_ITEMS})")
            medications = medications[:_MAX_ITEMS]
        try:
            scenario = Scenario(
                patient=patient,
                observations=observations,
                conditions=conditions,
                medications=medications,
                evaluation_time=evaluation_time,
            )
        except ValidationError as exc:
            # Every item was validated on its own above, so only the evaluation time can be wrong here.
            self.note(f"evaluation time not usable ({_first_error(exc)}); left out")
            scenario = Scenario(
                patient=patient, observations=observations, conditions=conditions, medications=medications
            )
        return FhirImport(scenario=scenario, notes=self.notes, patient_id=patient.id, problems=self.problems)

    def _flatten(
        self, items: Iterable[Any], full_url: str | None, depth: int, *, draft: bool
    ) -> Iterator[_Entry]:
        for item in items:
            self._count += 1
            position = self._count
            if not looks_like_fhir(item):
                self.invalid(f"item {position}", "not a FHIR resource (no resourceType)")
                continue
            kind = item["resourceType"]
            rid = item.get("id")
            label = f"{kind}/{rid}" if isinstance(rid, str) and rid else f"{kind} (item {position})"
            if kind == "Bundle":
                if depth >= _MAX_BUNDLE_DEPTH:
                    self.note(f"{label}: Bundles nested more than {_MAX_BUNDLE_DEPTH} deep; left out")
                    continue
                yield from self._bundle_entries(item, label, depth, draft=draft)
            elif kind in _MODELS:
                yield _Entry(raw=item, label=label, full_url=full_url, draft=draft)
            elif kind == "Medication":
                # Kept aside for MedicationRequest/Statement.medicationReference to point at.
                if isinstance(rid, str) and rid:
                    self.medications_by_reference[f"Medication/{rid}"] = item
                if full_url:
                    self.medications_by_reference[full_url] = item
            elif not _is_resource_type(kind):
                self.invalid(label, f"'{str(kind)[:64]}' is not an R4 resource type")

    def _bundle_entries(
        self, bundle: dict[str, Any], label: str, depth: int, *, draft: bool
    ) -> Iterator[_Entry]:
        entries = bundle.get("entry", [])
        try:
            FhirBundle.model_validate({k: v for k, v in bundle.items() if k != "entry"})
        except (ValueError, TypeError) as exc:
            self.invalid(label, f"not a valid R4B Bundle ({_first_error(exc)})")
        if not isinstance(entries, list):
            self.invalid(f"{label}.entry", "is not a list")
            return
        for index, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if resource is None:
                continue  # an entry without a resource (a search link, a deleted resource) carries no data
            url = entry.get("fullUrl")
            if not looks_like_fhir(resource):
                self.invalid(f"{label}.entry.{index}", "not a FHIR resource (no resourceType)")
                continue
            yield from self._flatten(
                [resource], url if isinstance(url, str) else None, depth + 1, draft=draft
            )

    def _deduplicate(self, entries: list[_Entry]) -> list[_Entry]:
        seen: dict[tuple[str, str], _Entry] = {}
        kept: list[_Entry] = []
        for entry in entries:
            rid = entry.raw.get("id")
            if not isinstance(rid, str) or not rid:
                kept.append(entry)
                continue
            key = (entry.raw["resourceType"], rid)
            first = seen.get(key)
            if first is None:
                seen[key] = entry
                kept.append(entry)
            elif first.raw != entry.raw and first.draft == entry.draft:
                self.note(f"{entry.label}: given twice with different content; the first is used")
        return kept

    def _relevant(self, raw: dict[str, Any]) -> bool:
        """False for a resource whose codes and names are in no value set: it is skipped without validation.

        Validation is most of the adapter's cost, and a patient-view prefetch holds many laboratory results,
        diagnoses and drugs the rules never look at. Anything not plainly irrelevant (a malformed ``code``,
        a medication given by reference) is validated, so that errors in what could matter are reported.
        """
        kind = raw["resourceType"]
        if kind == "Condition":
            return self._concept_relevant(raw.get("code"), self._condition_matches)
        if kind in ("MedicationRequest", "MedicationStatement"):
            if "medicationCodeableConcept" not in raw:
                return True
            return self._concept_relevant(raw["medicationCodeableConcept"], self._medication_matches)
        if kind != "Observation":
            return True
        code = raw.get("code")
        codings = code.get("coding") if isinstance(code, dict) else None
        if not isinstance(codings, list) or not all(isinstance(c, dict) for c in codings):
            return True
        loinc, assessment = self.systems.get("loinc"), self.systems.get("assessment")
        for coding in codings:
            system, value = coding.get("system"), coding.get("code")
            if not isinstance(value, str):
                continue
            if system == loinc and self.vs.observation_kind(value) is not None:
                return True
            if system == assessment and value in self.vs.assessments:
                return True
        return False

    def _concept_relevant(self, concept: Any, matches: _Matcher) -> bool:
        """Whether a raw CodeableConcept names anything in a value set (malformed counts as relevant)."""
        if not isinstance(concept, dict):
            return True
        codings = concept.get("coding", [])
        if not isinstance(codings, list) or not all(isinstance(c, dict) for c in codings):
            return True
        texts = [concept.get("text"), *(c.get("display") for c in codings)]
        if not all(t is None or isinstance(t, str) for t in texts):
            return True
        for coding in codings:
            system, code = self.vs.system_name(coding.get("system")), coding.get("code")
            if not isinstance(code, str) and code is not None:
                return True
            if system and code and matches(system, code, None):
                return True
        return any(t and matches(None, None, t) for t in texts)

    def _condition_matches(self, system: str | None, code: str | None, text: str | None) -> bool:
        return bool(self.vs.condition_concepts(system, code, text))

    def _medication_matches(self, system: str | None, code: str | None, text: str | None) -> bool:
        return bool(self.vs.medication_classes(text, code if system == "rxnorm" else None))

    def _validate(self, entry: _Entry) -> bool:
        misplaced = _non_string_time(entry.raw)
        if misplaced is not None:
            # pydantic would read a number as seconds since 1970: a wrong date, silently.
            self.invalid(f"{entry.label}.{misplaced}", "a date or time must be a string")
            return False
        try:
            entry.model = _MODELS[entry.raw["resourceType"]].model_validate(entry.raw)
        except (ValueError, TypeError) as exc:
            self.invalid(entry.label, f"not valid FHIR R4B ({_first_error(exc)})")
            return False
        return True

    # ---- the patient ----------------------------------------------------------------------------------

    def _choose_patient(self, entries: list[_Entry]) -> _Entry | None:
        patients = [e for e in entries if e.raw["resourceType"] == "Patient"]
        for other in patients[1:]:
            self.note(f"{other.label}: a second patient; left out (the patient is {patients[0].label})")
        return patients[0] if patients else None

    def _patient(self, entry: _Entry) -> Patient:
        resource = entry.model
        birth = resource.birthDate
        birth_date: date | None = None
        if isinstance(birth, date):
            birth_date = birth
        elif isinstance(birth, str):
            partial = self._partial(birth, entry.label, "birthDate")
            birth_date = partial.date() if partial else None
        sex = _SEX.get(resource.gender or "", Sex.unknown)
        try:
            return Patient(id=resource.id, birth_date=birth_date, sex=sex)
        except ValidationError as exc:
            self.note(f"{entry.label}: not usable as the patient ({_first_error(exc)}); left out")
            return Patient()

    def _patient_references(self, entry: _Entry | None) -> tuple[str | None, frozenset[str]]:
        if entry is None:
            return None, frozenset()
        known = {f"Patient/{entry.model.id}"} if entry.model.id else set()
        if entry.full_url:
            known.add(entry.full_url)
        return entry.model.id, frozenset(known)

    def _same_patient(self, entry: _Entry, patient: tuple[str | None, frozenset[str]]) -> bool:
        """False only when the resource's subject clearly names a different patient from the one given."""
        patient_id, known = patient
        subject = getattr(entry.model, "subject", None)
        reference = getattr(subject, "reference", None)
        if not known or not isinstance(reference, str) or reference in known:
            return True
        match = _PATIENT_REFERENCE.search(reference)
        if match:
            same = patient_id is None or match.group(1) == patient_id
        else:
            # A urn:uuid reference can only be resolved against the Patient entry's fullUrl.
            same = not (reference.startswith("urn:uuid:") and any(k.startswith("urn:uuid:") for k in known))
        if not same:
            self.note(f"{entry.label}: subject {reference} is not the patient given; left out")
        return same

    # ---- observations ---------------------------------------------------------------------------------

    def _observation(self, entry: _Entry) -> Observation | None:
        resource = entry.model
        if resource.status in _IGNORED_OBSERVATION:
            return None
        kind = self._observation_kind(resource)
        if kind is None:
            return None
        label = entry.label
        period = resource.effectivePeriod
        when = self._instant(
            resource.effectiveDateTime
            or resource.effectiveInstant
            or (period.start if period is not None else None)
            or resource.issued,
            label,
            "time",
        )
        if when is None:
            self.note(f"{label}: no effective time or issued time for {kind.value}; left out")
            return None
        value: float | bool | str
        unit: str | None = None
        comparator: str | None = None
        if kind in (ObservationKind.cd4, ObservationKind.viral_load, ObservationKind.egfr):
            quantity = resource.valueQuantity
            if quantity is None or quantity.value is None:
                self.note(f"{label}: no valueQuantity value for {kind.value}; left out")
                return None
            raw_value = entry.raw["valueQuantity"]["value"]
            # The R4B model accepts "12" as a decimal; FHIR JSON writes numbers as numbers, and a string here
            # is a sender error that must not turn into a measurement (engine.scenario refuses it too).
            if isinstance(raw_value, bool) or not isinstance(raw_value, int | float):
                self.invalid(f"{label}.valueQuantity.value", f"{str(raw_value)[:32]!r} is not a JSON number")
                return None
            unit = _quantity_unit(quantity)
            if unit is None:
                self.note(f"{label}: no unit for {kind.value}; left out")
                return None
            if unit not in self.vs.observations[kind.value].units:
                self.note(f"{label}: unit '{unit}' cannot be converted for {kind.value}; left out")
                return None
            value = float(quantity.value)
            comparator = quantity.comparator
        elif kind is ObservationKind.pregnancy_status:
            status = self._pregnancy_value(resource)
            if status is None:
                self.note(f"{label}: pregnancy status value not recognised; left out")
                return None
            value = status
        else:
            if resource.valueBoolean is None:
                self.note(f"{label}: the assessment {kind.value} needs valueBoolean; left out")
                return None
            value = bool(resource.valueBoolean)
        try:
            return Observation.model_validate(
                {"kind": kind, "time": when, "value": value, "unit": unit, "comparator": comparator}
            )
        except ValidationError as exc:
            self.note(f"{label}: {kind.value} not usable ({_first_error(exc)}); left out")
            return None

    def _observation_kind(self, resource: Any) -> ObservationKind | None:
        loinc, assessment = self.systems.get("loinc"), self.systems.get("assessment")
        for coding in _codings(resource.code):
            if coding.code is None:
                continue
            if coding.system == loinc:
                found = self.vs.observation_kind(coding.code)
                if found is not None:
                    return ObservationKind(found)
            elif coding.system == assessment and coding.code in self.vs.assessments:
                return ObservationKind(coding.code)
        return None

    def _pregnancy_value(self, resource: Any) -> str | None:
        values = self.vs.observations[ObservationKind.pregnancy_status.value].values
        snomed = self.systems.get("snomed")
        for coding in _codings(resource.valueCodeableConcept):
            if coding.system == snomed and coding.code in values:
                return values[coding.code]
        return None

    # ---- conditions -----------------------------------------------------------------------------------

    def _referenced_code(self, reference: str | None) -> Any:
        """The code of a Medication elsewhere in the request (``Medication/id`` or its fullUrl), if given."""
        raw = self.medications_by_reference.get(reference or "")
        if raw is None:
            return None
        try:
            return FhirMedication.model_validate(raw).code
        except (ValueError, TypeError) as exc:
            self.invalid(f"Medication/{raw.get('id')}", f"not valid FHIR R4B ({_first_error(exc)})")
            return None

    def _other_codings(self, entry: _Entry, first: Condition) -> list[Condition]:
        """Conditions for further codings that name concepts the first coding does not (e.g. Z3A.20 then
        Z34.82: the pregnancy is in the second)."""
        covered = set(first.concepts)
        extra: list[Condition] = []
        for coding in _codings(entry.model.code):
            system = self.vs.system_name(coding.system)
            if system not in (CodeSystem.icd10cm.value, CodeSystem.snomed.value) or not coding.code:
                continue
            if coding.code == first.code and system == first.system.value:
                continue
            found = self.vs.condition_concepts(system, coding.code, None) - covered
            if found:
                extra.append(
                    Condition(
                        code=coding.code,
                        system=CodeSystem(system),
                        status=first.status,
                        onset=first.onset,
                        recorded=first.recorded,
                    )
                )
                covered |= found
        return extra

    def _condition(self, entry: _Entry) -> Condition | None:
        resource = entry.model
        if _status_code(resource.verificationStatus) in _IGNORED_VERIFICATION:
            return None
        codings = _codings(resource.code)
        chosen: tuple[CodeSystem, Any] | None = None
        for system in (CodeSystem.icd10cm, CodeSystem.snomed):
            uri = self.systems.get(system.value)
            match = next((c for c in codings if c.system == uri and c.code), None)
            if match is not None:
                chosen = (system, match)
                break
        names = _distinct(
            resource.code.text if resource.code is not None else None,
            chosen[1].display if chosen else None,
            *(c.display for c in codings),
        )
        text = _name(names, lambda t: self.vs.condition_concepts(None, None, t))
        if chosen is None and text is None:
            return None
        status = _CLINICAL_STATUS.get(_status_code(resource.clinicalStatus) or "", ConditionStatus.unknown)
        onset_period = resource.onsetPeriod
        onset = self._instant(
            resource.onsetDateTime or (onset_period.start if onset_period is not None else None),
            entry.label,
            "onset",
        )
        recorded = self._instant(resource.recordedDate, entry.label, "recordedDate")
        try:
            return Condition(
                code=chosen[1].code if chosen else None,
                system=chosen[0] if chosen else CodeSystem.icd10cm,
                text=text,
                status=status,
                onset=onset,
                recorded=recorded,
            )
        except ValidationError as exc:
            self.note(f"{entry.label}: condition not usable ({_first_error(exc)}); left out")
            return None

    # ---- medications ----------------------------------------------------------------------------------

    def _medication(self, entry: _Entry) -> Medication | None:
        resource = entry.model
        kind = entry.raw["resourceType"]
        if resource.status == "entered-in-error":
            return None
        if kind == "MedicationRequest" and resource.doNotPerform:
            return None
        concept = resource.medicationCodeableConcept
        reference = resource.medicationReference
        if concept is None and reference is not None:
            concept = _contained_medication_code(resource, reference.reference) or self._referenced_code(
                reference.reference
            )
        codings = _codings(concept)
        rxnorm_uri = self.systems.get("rxnorm")
        rxnorm = next((c for c in codings if c.system == rxnorm_uri and c.code), None)
        names = _distinct(
            concept.text if concept is not None else None,
            rxnorm.display if rxnorm is not None else None,
            *(c.display for c in codings),
            reference.display if reference is not None else None,
        )
        code = rxnorm.code if rxnorm is not None else None
        if not names and code is None:
            self.note(f"{entry.label}: no medication name or RxNorm code; left out")
            return None
        ingredient = _name(names, lambda t: self.vs.medication_classes(t, None)) or f"RxNorm {code}"
        if kind == "MedicationStatement":
            period = resource.effectivePeriod
            start_value = period.start if period is not None else resource.effectiveDateTime
            end_value = period.end if period is not None else None
        else:
            validity = (
                resource.dispenseRequest.validityPeriod if resource.dispenseRequest is not None else None
            )
            # KNOWLEDGE.md §4: an order starts when it was authored; its dispense validity is a fallback only.
            start_value = resource.authoredOn or (validity.start if validity is not None else None)
            end_value = validity.end if validity is not None else None
        status = _MEDICATION_STATUS.get(resource.status or "", MedicationStatus.unknown)
        try:
            return Medication(
                ingredient=ingredient,
                code=code,
                status=status,
                start=self._instant(start_value, entry.label, "start"),
                end=self._instant(end_value, entry.label, "end"),
                draft=entry.draft or status is MedicationStatus.draft,
            )
        except ValidationError as exc:
            self.note(f"{entry.label}: medication not usable ({_first_error(exc)}); left out")
            return None

    # ---- time -----------------------------------------------------------------------------------------

    def _instant(self, value: Any, label: str, what: str) -> datetime | None:
        """A FHIR date, dateTime or instant as an aware datetime (a date is its first moment, UTC)."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value
        if isinstance(value, date):
            return datetime.combine(value, time.min, tzinfo=UTC)
        if isinstance(value, str):
            return self._partial(value, label, what)
        return None

    def _partial(self, value: str, label: str, what: str) -> datetime | None:
        match = _PARTIAL_DATE.match(value)
        if match is None:
            self.note(f"{label}: {what} '{value}' not understood; left out")
            return None
        first = datetime(int(match.group(1)), int(match.group(2) or 1), 1, tzinfo=UTC)
        self.note(f"{label}: {what} '{value}' is a partial date; taken as {first.date().isoformat()}")
        return first


_Matcher = Callable[[str | None, str | None, str | None], bool]
_TIME_KEYS = frozenset({"start", "end", "authoredOn", "issued", "birthDate", "recordedDate"})


def _non_string_time(node: Any, path: str = "") -> str | None:
    """The path of the first date or time element that is not a JSON string, if any."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            # ``_birthDate`` and the like hold a primitive's extensions (an object), not the date itself.
            is_time = not key.startswith("_") and (
                key in _TIME_KEYS or key.endswith(("DateTime", "Instant", "Date"))
            )
            if is_time and value is not None and not isinstance(value, str):
                return where
            found = _non_string_time(value, where) if isinstance(value, dict | list) else None
            if found:
                return found
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found = _non_string_time(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _as_list(items: Iterable[Any]) -> list[Any]:
    return [items] if looks_like_fhir(items) else list(items)


def _codings(concept: Any) -> list[Any]:
    return list(concept.coding or []) if concept is not None else []


def _status_code(concept: Any) -> str | None:
    return next((c.code for c in _codings(concept) if c.code), None)


def _quantity_unit(quantity: Any) -> str | None:
    """The UCUM code when the quantity is coded in UCUM (or names no system), else the human unit."""
    if quantity.code and quantity.system in (None, UCUM):
        return str(quantity.code)
    return str(quantity.unit) if quantity.unit else None


def _contained_medication_code(resource: Any, reference: str | None) -> Any:
    """The code of a contained Medication that ``#id`` points to, if there is one."""
    if not reference or not reference.startswith("#"):
        return None
    for contained in resource.contained or []:
        if getattr(contained, "id", None) == reference[1:] and contained.get_resource_type() == "Medication":
            return contained.code
    return None


def _distinct(*texts: str | None) -> list[str]:
    """Non-empty texts in order, without case-insensitive repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        cleaned = text.strip() if text else ""
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            out.append(cleaned)
    return out


def _name(names: list[str], recognise: Callable[[str], frozenset[str]]) -> str | None:
    """The first name, plus any other name that is recognised as something the first is not.

    So "TLD tablet" becomes "TLD tablet; dolutegravir 50 MG / lamivudine ..." (the display names the
    ingredients), while a display that only repeats what the text says is not appended.
    """
    if not names:
        return None
    kept = [names[0]]
    known = set(recognise(names[0]))
    for other in names[1:]:
        found = recognise(other)
        if not found <= known:
            kept.append(other)
            known |= found
    return "; ".join(kept)[:_MAX_TEXT]


@lru_cache(maxsize=256)
def _is_resource_type(name: Any) -> bool:
    """Whether ``name`` is a FHIR R4 (R4B) resource type at all."""
    try:
        get_fhir_model_class(str(name))
    except (KeyError, ValueError):
        return False
    return True


def _first_error(exc: Exception) -> str:
    """The first error of a (pydantic) validation error, as ``location: message``, on one line."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        if errors:
            first = errors[0]
            loc = ".".join(str(p) for p in first["loc"])
            message = " ".join(str(first["msg"]).split())
            return f"{loc}: {message}" if loc else message
    return " ".join(str(exc).split())[:300]
