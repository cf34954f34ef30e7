"""An HIV status recorded as an Observation → a scenario Condition recognised as ``hiv``.

WHO SMART HIV records state a diagnosis as an Observation ("HIV status", HIV.B.DE115) whose
``valueCodeableConcept`` is the answer ("HIV-positive", HIV.B.DE116) rather than as a Condition. An
Observation whose value carries a code the value sets read as the condition concept ``hiv`` is therefore an
HIV diagnosis, dated by the observation's time. Only ``hiv`` is taken from the value: an answer that the value
sets also read as something else (HIV.E.DE37, pregnancy in a woman with HIV) still establishes HIV alone, and
an "HIV-negative" answer (no code of it is in the ``hiv`` value set) establishes nothing. The value's name is
never matched as text: only its codes count.
"""

from __future__ import annotations

from engine.fhir import items
from engine.fhir.gather import Found
from engine.fhir.meanings import codings_of
from engine.fhir.models import CodeableConcept, ObservationBody
from engine.fhir.observations import IGNORED_STATUS
from engine.fhir.report import Report
from engine.fhir.times import dating, observed_at
from engine.fhir.wholes import ObservationWhole, whole_of
from engine.scenario import CodeSystem, Condition, ConditionStatus
from engine.valuesets import ValueSets

HIV = "hiv"


def _hiv_codings(vs: ValueSets, value: CodeableConcept) -> list[dict[str, str]]:
    """The value's codings the value sets read as ``hiv``: those read as ``hiv`` alone when there are any
    (so the Condition means HIV whoever reads its codes again), else those read as ``hiv`` among others."""
    read = [(c, vs.condition_concepts(c["system"], c["code"], None)) for c in codings_of(value)]
    only = [coding for coding, concepts in read if concepts == {HIV}]
    return only or [coding for coding, concepts in read if HIV in concepts]


def read_hiv_status(
    found: Found, vs: ValueSets, report: Report
) -> tuple[ObservationBody | ObservationWhole, Condition] | None:
    """The HIV diagnosis an Observation's coded value states (with its body, for the subject check), or
    None when its value is not a code read as ``hiv``, or it is entered in error or cancelled."""
    raw_value = found.raw.get("valueCodeableConcept")
    if not isinstance(raw_value, dict) or not raw_value.get("coding"):
        return None
    valid = whole_of(found, ObservationWhole)
    status = valid.status if valid is not None else found.raw.get("status")
    if status in IGNORED_STATUS:
        return None
    value = (
        valid.valueCodeableConcept
        if valid is not None
        else report.validate(CodeableConcept, raw_value, f"{found.label}.valueCodeableConcept")
    )
    codings = _hiv_codings(vs, value) if value is not None else []
    if not codings:
        return None
    body = valid if valid is not None else report.validate(ObservationBody, found.raw, found.label)
    if body is None:
        return None
    when = dating(observed_at(body), found.label, "time", report)
    if when is None:
        # Kept undated rather than left out: an undated diagnosis still establishes HIV.
        report.note(f"{found.label}: HIV status with no effective or issued time; HIV kept undated")
    coded = items.codings(codings)
    if coded is None:
        return None
    # Named after the Observation, so the card's supporting data says where the diagnosis came from.
    text = f"HIV-positive status (Observation {found.rid or found.label})"[:500]
    built = items.condition(None, CodeSystem.icd10cm, coded, text, ConditionStatus.active, when, None, [HIV])
    if built is None:
        return None
    return body, built
