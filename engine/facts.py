"""The flat, typed facts the rules compare: one :class:`PatientFacts` per evaluation.

Every field's description is the label used in explanations; its ``json_schema_extra['unit']`` the unit.
Only these facts reach durable-rules, and only as booleans, whole numbers, rounded decimals and enum strings.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _f(description: str, unit: str | None = None) -> Any:
    return Field(default=None, description=description, json_schema_extra={"unit": unit} if unit else None)


def _b(description: str) -> Any:
    return Field(default=False, description=description)


class PatientFacts(BaseModel):
    """Facts derived from a scenario at an evaluation time. Unknown numbers are None and match no rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age_years: int | None = _f("Age", "years")
    sex: str = Field(default="unknown", description="Administrative sex")
    reproductive_potential: bool = _b("Reproductive potential")
    reproductive_status_undocumented: bool = _b(
        "Reproductive status not documented past the usual reproductive age (the REMS sets no upper age)"
    )
    pregnant: bool = _b("Pregnant")
    hiv: bool = _b("HIV infection recorded, or a detectable HIV-1 RNA result")
    on_art: bool = _b("On a current course of antiretroviral therapy")
    art_ever: bool = _b("Has ever taken antiretroviral therapy")
    art_ordered_now: bool = _b("Antiretroviral therapy being ordered now")
    art_starting_now: bool = _b(
        "Starting antiretroviral therapy now (ordered while no course is current: first start or restart)"
    )
    art_days: int | None = _f("Days on the current course of antiretroviral therapy", "days")
    baseline_cd4: float | None = _f("Baseline CD4 count (last before ART start, within 180 days)", "cells/µL")
    latest_cd4: float | None = _f("Most recent CD4 count", "cells/µL")
    cd4_above_baseline: bool = _b("CD4 count risen above baseline since ART start")
    vl_log10_drop: float | None = _f("Fall in HIV-1 viral load since ART start", "log10 copies/mL")
    iris_coded: bool = _b("IRIS recorded as an active diagnosis")
    iris_condition_since_art: bool = _b("IRIS-associated condition new or recurring since ART start")
    steroid_refractory_assessed: bool = _b("IRIS assessed as steroid-refractory or steroid-dependent")
    corticosteroid_course_days: int | None = _f("Days of continuous systemic corticosteroid", "days")
    corticosteroid_days_during_iris: int | None = _f(
        "Days of continuous systemic corticosteroid since IRIS began (from the later of the two)", "days"
    )
    corticosteroid_active_or_ordered: bool = _b("Systemic corticosteroid taken or being ordered")
    thalidomide_class_medication: bool = _b("Thalidomide, lenalidomide or pomalidomide ordered or taken")
    thalidomide_class_stopped_days: int | None = _f(
        "Days since the last dose of a stopped thalidomide, lenalidomide or pomalidomide", "days"
    )
    vte_history: bool = _b("History of venous thromboembolism")
    peripheral_neuropathy: bool = _b("Peripheral neuropathy")
    poems: bool = _b("POEMS syndrome")
    transplant_ineligible_assessed: bool = _b("Assessed as not a candidate for stem-cell transplant")
    transplant_candidate_assessed: bool = _b("Assessed as a candidate for stem-cell transplant")
    renal_failure_coded: bool = _b("Renal failure recorded (CKD stage 4-5, dialysis or acute kidney failure)")
    latest_egfr: float | None = _f("Most recent eGFR", "mL/min/1.73m²")
    crps_or_intractable_pain: bool = _b("Complex regional pain syndrome or chronic intractable pain")
    pain_refractory_assessed: bool = _b("Pain assessed as refractory to standard therapy")
    il2_medication: bool = _b("Interleukin-2 (aldesleukin) ordered or taken")
    crypto_meningitis_days: int | None = _f("Days since cryptococcal meningitis was diagnosed", "days")
    active_tb: bool = _b("Active tuberculosis")
    tb_treatment_days: int | None = _f(
        "Days since TB treatment began (first rifamycin, pyrazinamide or ethambutol of the current course)",
        "days",
    )
    tb_meningitis: bool = _b("Tuberculous meningitis")
    kaposi_sarcoma: bool = _b("Kaposi sarcoma")
    hepatitis_b: bool = _b("Hepatitis B")


FACT_NAMES: frozenset[str] = frozenset(PatientFacts.model_fields)
_LABELS = {name: f.description or name for name, f in PatientFacts.model_fields.items()}


def _unit(extra: object) -> str | None:
    unit = extra.get("unit") if isinstance(extra, dict) else None
    return str(unit) if unit is not None else None


_UNITS = {name: _unit(f.json_schema_extra) for name, f in PatientFacts.model_fields.items()}


def fact_kind(name: str) -> str:
    """``bool``, ``number`` or ``text``: what comparisons a fact admits."""
    annotation = str(PatientFacts.model_fields[name].annotation)
    if "bool" in annotation:
        return "bool"
    if "int" in annotation or "float" in annotation:
        return "number"
    return "text"


def fact_label(name: str) -> str:
    """The human label of a fact."""
    return _LABELS[name]


def fact_unit(name: str) -> str | None:
    """The unit a numeric fact is expressed in, if any."""
    return _UNITS[name]
