"""The coded values of the patient scenario: sex, observation kinds, condition and medication statuses,
and the groups of them that derivation and the rules treat alike."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    """Administrative sex as FHIR codes it."""

    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class ObservationKind(StrEnum):
    """What was observed. Measurements, pregnancy status, and clinician assessments (KNOWLEDGE.md §4)."""

    cd4 = "cd4"
    viral_load = "viral-load"
    egfr = "egfr"
    pregnancy_status = "pregnancy-status"
    iris_steroid_refractory = "iris-steroid-refractory"
    iris_steroid_dependent = "iris-steroid-dependent"
    transplant_ineligible = "transplant-ineligible"
    pain_refractory = "pain-refractory"
    reproductive_potential = "reproductive-potential"


MEASUREMENTS = frozenset({ObservationKind.cd4, ObservationKind.viral_load, ObservationKind.egfr})
ASSESSMENTS = frozenset(
    {
        ObservationKind.iris_steroid_refractory,
        ObservationKind.iris_steroid_dependent,
        ObservationKind.transplant_ineligible,
        ObservationKind.pain_refractory,
        ObservationKind.reproductive_potential,
    }
)


class ConditionStatus(StrEnum):
    """Clinical status, plus the verification states that make a condition be ignored."""

    active = "active"
    recurrence = "recurrence"
    relapse = "relapse"
    inactive = "inactive"
    remission = "remission"
    resolved = "resolved"
    unknown = "unknown"
    refuted = "refuted"
    entered_in_error = "entered-in-error"


# Unknown clinical status counts as active: a missed warning costs more than an extra one.
ACTIVE_CONDITION = frozenset(
    {ConditionStatus.active, ConditionStatus.recurrence, ConditionStatus.relapse, ConditionStatus.unknown}
)
RECURRING_CONDITION = frozenset({ConditionStatus.recurrence, ConditionStatus.relapse})
IGNORED_CONDITION = frozenset({ConditionStatus.refuted, ConditionStatus.entered_in_error})


class CodeSystem(StrEnum):
    """Code systems the ``code`` field of a condition is given in (``codings`` take any other system)."""

    icd10cm = "icd10cm"
    snomed = "snomed"


class MedicationStatus(StrEnum):
    """Status of a medication order or statement."""

    active = "active"
    on_hold = "on-hold"
    draft = "draft"
    completed = "completed"
    stopped = "stopped"
    cancelled = "cancelled"
    intended = "intended"
    not_taken = "not-taken"
    unknown = "unknown"
    entered_in_error = "entered-in-error"
