"""FHIR R4 resources (a Bundle, a CDS Hooks prefetch, draft orders) → one :class:`engine.scenario.Scenario`.

Only what the rules read is validated, strictly (``engine.fhir.models``); whatever cannot be used is left out
and named in :attr:`FhirImport.notes`; what is not valid FHIR where a rule reads it is in
:attr:`FhirImport.problems` (the service answers 422). Choices made where the brief is silent:

- Each resource is read on its own, so one bad resource never costs the others its notes.
- The same resource (type and id) given twice is used once (the first, noted when the copies differ); a
  draft order wins over a prefetch copy naming the same drug. Two different medication resources sharing an
  id are both used (noted), so that which came first never decides an alert.
- A quantity whose UCUM code and printed unit convert to different values is left out: neither is guessed.
- A resource whose ``subject`` names a different patient from the Patient given is left out and noted; a
  second Patient with a different id too (the first one is the patient).
- Partial dates (``2026`` or ``2026-05``) are taken as their first day, with a note.
- A measurement without a unit is left out: a unit is never assumed.
- A Condition without ``clinicalStatus`` gets the status ``unknown``, which derivation counts as active.
- A MedicationRequest with ``doNotPerform`` true is an order *not* to give the drug and is skipped; a draft
  order with no medication yet (order-select while the drug is being chosen) matches no medication rule.
- Observations of any status but ``entered-in-error`` and ``cancelled`` (``preliminary`` too) are used.
- An Observation whose coded value the value sets read as HIV (a WHO SMART HIV "HIV status" answered
  "HIV-positive") is an HIV diagnosis dated by its time (``engine.fhir.statuses``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from engine.errors import FieldProblem, ScenarioError
from engine.fhir import items
from engine.fhir.gather import Gathered, Gatherer
from engine.fhir.observations import read_observation
from engine.fhir.patient import read_patient
from engine.fhir.records import read_condition, read_medication
from engine.fhir.report import Report
from engine.fhir.statuses import read_hiv_status
from engine.fhir.times import first_error
from engine.fhir.wholes import read_wholes
from engine.scenario import Condition, Medication, Observation, Scenario
from engine.valueset_files import default_value_sets
from engine.valuesets import ValueSets

MAX_ITEMS = 5000  # Scenario list limits in engine.scenario


@dataclass(frozen=True)
class FhirImport:
    """The Scenario read from FHIR resources, and one note per thing that could not be used.

    ``problems`` lists what is not valid FHIR R4 where a rule reads it (wrong types, unknown resource types,
    malformed Bundles): callers refuse such input rather than evaluate a patient with data silently missing.
    Each problem is also in ``notes``. ``next_links`` names each search Bundle that came with a ``next``
    page (only its first page was read); ``unresolved_references`` the ``medicationReference`` targets that
    were not in the request. ``medications`` holds the JSON of each Medication in the request (by
    ``Medication/id`` and by Bundle ``fullUrl``) and ``requests`` every MedicationRequest with an id, by id,
    as (JSON, whether a draft order), copies included: the cards read them to name draft orders to delete.
    """

    scenario: Scenario
    notes: list[str] = field(default_factory=list)
    patient_id: str | None = None
    problems: list[FieldProblem] = field(default_factory=list)
    next_links: list[str] = field(default_factory=list)
    unresolved_references: list[str] = field(default_factory=list)
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, list[tuple[dict[str, Any], bool]]] = field(default_factory=dict)

    def checked(self) -> FhirImport:
        """This import, or :class:`ScenarioError` listing every problem when the input is not valid FHIR."""
        if self.problems:
            raise ScenarioError(self.problems)
        return self


def scenario_from_bundle(
    bundle: dict[str, Any], evaluation_time: datetime | None = None, value_sets: ValueSets | None = None
) -> FhirImport:
    """Read a FHIR Bundle (or a single resource) into a Scenario; never raises on bad patient data."""
    return scenario_from_resources([bundle], evaluation_time=evaluation_time, value_sets=value_sets)


def scenario_from_resources(
    resources: Iterable[Any] | Mapping[str, Any],
    draft_orders: Iterable[Any] | dict[str, Any] = (),
    evaluation_time: datetime | None = None,
    value_sets: ValueSets | None = None,
) -> FhirImport:
    """Read FHIR resources (CDS Hooks prefetch) and draft orders into a Scenario.

    ``resources`` may be the prefetch itself (resources by template key): then a note about a prefetched
    Bundle or OperationOutcome names its key (``prefetch.conditions``).

    Bundles anywhere in ``resources`` or ``draft_orders`` are flattened; ``draft_orders`` may be the
    ``draftOrders`` Bundle itself (its entries' ``fullUrl``s are kept). Every MedicationRequest in
    ``draft_orders`` is a draft order (being written now); other resources there are not orders and are
    ignored. Never raises on bad patient data: what cannot be used is left out and named in ``notes``.

    Codes, texts and units are read with ``value_sets``: those of the rules the scenario is evaluated with
    (None: the shipped ones).
    """
    vs = value_sets or default_value_sets()
    report = Report()
    gathered = Gatherer(report).gather(resources, draft_orders)
    read_wholes(gathered.found)
    the_patient = read_patient(gathered.found, report)
    observations: list[Observation] = []
    conditions: list[Condition] = []
    medications: list[Medication] = []
    for found in gathered.found:
        kind = found.type
        if kind == "Observation":
            read = read_observation(found, vs, report)
            if read is not None and the_patient.is_subject(found, read[0].subject, report):
                observations.extend(read[1])
            status = read_hiv_status(found, vs, report)
            if status is not None and the_patient.is_subject(found, status[0].subject, report):
                conditions.append(status[1])
        elif kind == "Condition":
            condition = read_condition(found, vs, report)
            if condition is not None and the_patient.is_subject(found, condition[0].subject, report):
                conditions.append(condition[1])
        elif kind != "Patient":
            medication = read_medication(found, gathered.medications, vs, report)
            if medication is not None and the_patient.is_subject(found, medication[0].subject, report):
                medications.append(medication[1])
    if len(observations) > MAX_ITEMS:
        report.note(f"{len(observations) - MAX_ITEMS} oldest observations left out (at most {MAX_ITEMS})")
        observations = sorted(observations, key=lambda o: o.time)[-MAX_ITEMS:]
    if len(conditions) > MAX_ITEMS:
        report.note(f"{len(conditions) - MAX_ITEMS} conditions left out (at most {MAX_ITEMS})")
        conditions = conditions[:MAX_ITEMS]
    if len(medications) > MAX_ITEMS:
        report.note(f"{len(medications) - MAX_ITEMS} medications left out (at most {MAX_ITEMS})")
        medications = medications[:MAX_ITEMS]
    patient = the_patient.patient
    scenario = items.scenario(patient, observations, conditions, medications, evaluation_time)
    if scenario is not None:
        return _finished(scenario, report, gathered)
    try:
        shell = Scenario(patient=patient, evaluation_time=evaluation_time)
    except ValidationError as exc:
        report.note(f"evaluation time not usable ({first_error(exc)}); left out")
        shell = Scenario(patient=patient)
    # Every item was validated as it was read, and the lists are within the Scenario's limits: they are
    # attached without validating them again (pydantic would re-run each item's model validators).
    scenario = shell.model_copy(
        update={"observations": observations, "conditions": conditions, "medications": medications}
    )
    return _finished(scenario, report, gathered)


def _finished(scenario: Scenario, report: Report, gathered: Gathered) -> FhirImport:
    return FhirImport(
        scenario=scenario,
        notes=report.finish(),
        patient_id=scenario.patient.id,
        problems=report.problems,
        next_links=report.next_links,
        unresolved_references=report.unresolved,
        medications={key: found.raw for key, found in gathered.medications.items()},
        requests=gathered.requests,
    )
