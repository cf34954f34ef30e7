"""The patient scenario in the project's own JSON, validated and normalised at the edge.

Units are converted to one canonical unit per concept here (KNOWLEDGE.md §4); nothing downstream sees a unit
string or a LOINC code. A unit that cannot be converted is a validation error naming the field, marked so that
:func:`engine.validation.scenario_with_notes` can leave that observation out with a note instead.

Codes, texts and units are read with the value sets of the validation context (`engine.scenario_context`).
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from engine.scenario_context import reading, value_sets_of
from engine.scenario_enums import (
    ACTIVE_CONDITION,
    ASSESSMENTS,
    IGNORED_CONDITION,
    MEASUREMENTS,
    RECURRING_CONDITION,
    CodeSystem,
    ConditionStatus,
    MedicationStatus,
    ObservationKind,
    Sex,
)
from engine.scenario_errors import END_BEFORE_START, UNCONVERTIBLE, field_error
from engine.scenario_times import EARLIEST, LATEST, BirthDate, EvaluationTime, Instant, in_range
from engine.valueset_files import default_value_sets
from engine.valuesets import ValueSets

__all__ = [
    "ACTIVE_CONDITION",
    "ASSESSMENTS",
    "EARLIEST",
    "END_BEFORE_START",
    "IGNORED_CONDITION",
    "LATEST",
    "MEASUREMENTS",
    "RECURRING_CONDITION",
    "UNCONVERTIBLE",
    "CodeSystem",
    "Coding",
    "Condition",
    "ConditionStatus",
    "Instant",
    "Medication",
    "MedicationStatus",
    "Observation",
    "ObservationKind",
    "Patient",
    "PregnancyValue",
    "Scenario",
    "Sex",
    "in_range",
    "reading",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Patient(_Model):
    """Who the patient is: only what the rules need."""

    id: str | None = Field(
        default=None, max_length=128, description="Patient identifier (hashed before storage)."
    )
    birth_date: BirthDate | None = Field(default=None, description="Date of birth (YYYY-MM-DD).")
    sex: Sex = Field(default=Sex.unknown, description="Administrative sex.")


PregnancyValue = Literal["pregnant", "not-pregnant"]


class Observation(_Model):
    """One observation. Measurements carry a number and a unit; assessments a boolean; pregnancy a status."""

    kind: ObservationKind = Field(description="What was observed.")
    time: Instant = Field(description="When it was observed (effective time), ISO 8601.")
    value: float | StrictBool | PregnancyValue = Field(
        description="Number for measurements, true/false for assessments, pregnant/not-pregnant.",
    )
    unit: str | None = Field(
        default=None,
        description="UCUM unit of a measurement; converted on input. An observation in a unit that cannot "
        "be converted is left out and reported in the notes, never guessed.",
    )
    comparator: Literal["<", "<=", ">", ">="] | None = Field(
        default=None, description="For values beyond a limit, such as a viral load '<' 20."
    )

    @field_validator("value", mode="before")
    @classmethod
    def _no_numeric_strings(cls, value: Any, info: ValidationInfo) -> Any:
        # "45" would otherwise pass as a float; only a real number is a measurement.
        if isinstance(value, str) and value not in ("pregnant", "not-pregnant"):
            raise ValueError("must be a number, true/false, or 'pregnant'/'not-pregnant'")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _normalise(self, info: ValidationInfo) -> Observation:
        kind = self.kind
        if kind in MEASUREMENTS:
            if isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise field_error("value", f"a {kind.value} observation needs a number")
            if self.value < 0:
                raise field_error("value", "must not be negative")
            spec = value_sets_of(info).observations[kind.value]
            unit = self.unit if self.unit is not None else spec.unit
            factor = spec.factor(unit)
            if factor is None and unit != spec.unit:
                allowed = ", ".join(sorted(spec.units))
                message = f"cannot convert '{unit}' for {kind.value}; use one of: {allowed}"
                note = f"unit '{unit}' cannot be converted for {kind.value}"
                raise field_error("unit", message, **{UNCONVERTIBLE: note})
            if factor is not None and factor != 1:
                object.__setattr__(self, "value", round(float(self.value) * factor, 6))
            object.__setattr__(self, "unit", spec.unit)
            return self
        if self.comparator is not None:
            raise field_error("comparator", "only measurements take a comparator")
        if kind is ObservationKind.pregnancy_status:
            if self.value not in ("pregnant", "not-pregnant"):
                raise field_error("value", "pregnancy status is 'pregnant' or 'not-pregnant'")
        elif not isinstance(self.value, bool):
            raise field_error("value", f"the assessment {kind.value} needs true or false")
        if self.unit is not None:
            raise field_error("unit", f"{kind.value} has no unit")
        return self

    @property
    def number(self) -> float:
        """The measurement in its canonical unit (only for measurements)."""
        assert isinstance(self.value, int | float) and not isinstance(self.value, bool)
        return float(self.value)


class Coding(_Model):
    """One code as a record carries it: its system (a URI, or a short name such as ``icd10cm``) and code."""

    system: str = Field(min_length=1, max_length=256, description="Code system URI or short name.")
    code: str = Field(min_length=1, max_length=64, description="The code in that system.")


class Condition(_Model):
    """A diagnosis or problem: a code and/or a name, its status and when it began."""

    code: str | None = Field(default=None, max_length=32, description="Diagnosis code, e.g. ICD-10-CM B45.1.")
    system: CodeSystem = Field(default=CodeSystem.icd10cm, description="Code system of `code`.")
    codings: list[Coding] = Field(
        default_factory=list, max_length=32, description="Further codes of the same condition, any system."
    )
    text: str | None = Field(default=None, max_length=500, description="Name of the condition as recorded.")
    status: ConditionStatus = Field(default=ConditionStatus.active, description="Clinical status.")
    onset: Instant | None = Field(default=None, description="When it began (else the recorded date is used).")
    recorded: Instant | None = Field(default=None, description="When it was recorded.")

    @model_validator(mode="after")
    def _needs_code_or_text(self, info: ValidationInfo) -> Condition:
        if not self.code and not self.text and not self.codings:
            raise field_error("code", "a condition needs a code or a text")
        self.__dict__["concepts"] = self._recognise(value_sets_of(info))
        return self

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def concepts(self) -> list[str]:
        """The clinical concepts (value sets) this condition belongs to, recognised from code and text when
        it was validated (with the value sets of the validation context)."""
        return self._recognise(default_value_sets())

    def _recognise(self, vs: ValueSets) -> list[str]:
        found = set(vs.condition_concepts(self.system.value, self.code, self.text))
        for coding in self.codings:
            found |= vs.condition_concepts(coding.system, coding.code, None)
        return sorted(found)

    @property
    def start(self) -> datetime | None:
        """When this episode began: onset, else recorded date."""
        return self.onset or self.recorded


class Medication(_Model):
    """A medication the patient takes, took, or is being ordered now (``draft``)."""

    ingredient: str = Field(min_length=1, max_length=500, description="Ingredient or product name.")
    code: str | None = Field(default=None, max_length=32, description="RxNorm ingredient code, if known.")
    codings: list[Coding] = Field(
        default_factory=list, max_length=32, description="Further codes (RxNorm, ATC, CIEL, ...), any system."
    )
    status: MedicationStatus = Field(
        default=MedicationStatus.active, description="Order or statement status."
    )
    start: Instant | None = Field(default=None, description="When it started (or was authored).")
    end: Instant | None = Field(default=None, description="When it ended or will end.")
    days_supply: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Days the prescription or dispense supplies (FHIR expectedSupplyDuration); "
        "renewals that follow within it are one course.",
    )
    draft: bool = Field(default=False, description="True for an order being written now (a draft order).")

    @model_validator(mode="after")
    def _period_in_order(self, info: ValidationInfo) -> Medication:
        if self.start and self.end and self.end < self.start:
            shown = f"'{self.end.isoformat()}' is before the start '{self.start.isoformat()}'"
            raise field_error("end", "ends before it starts", **{END_BEFORE_START: shown})
        self.__dict__["classes"] = self._recognise(value_sets_of(info))
        return self

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def classes(self) -> list[str]:
        """The medication classes (value sets) this medication belongs to, recognised when it was validated
        (with the value sets of the validation context)."""
        return self._recognise(default_value_sets())

    def _recognise(self, vs: ValueSets) -> list[str]:
        found = set(vs.medication_classes(self.ingredient, self.code))
        for coding in self.codings:
            found |= vs.medication_classes(None, coding.code, coding.system)
        return sorted(found)

    @property
    def is_draft(self) -> bool:
        """Being ordered now: a draft order."""
        return self.draft or self.status is MedicationStatus.draft

    def is_active_at(self, when: datetime) -> bool:
        """Taken at ``when``: active or on hold, started, and not yet ended."""
        if self.is_draft or self.status not in (MedicationStatus.active, MedicationStatus.on_hold):
            return False
        if self.start is not None and self.start > when:
            return False
        return self.end is None or self.end > when


class Scenario(_Model):
    """A patient scenario: everything the rules may look at, and optionally when to evaluate it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "patient": {"birth_date": "1984-03-02", "sex": "female"},
                    "evaluation_time": "2026-06-01T09:00:00Z",
                    "conditions": [{"code": "B20", "onset": "2025-11-01"}],
                    "observations": [
                        {"kind": "cd4", "time": "2026-05-20", "value": 42, "unit": "cells/uL"},
                    ],
                    "medications": [{"ingredient": "dolutegravir", "status": "draft", "draft": True}],
                }
            ]
        },
    )

    patient: Patient = Field(default_factory=Patient)
    observations: list[Observation] = Field(default_factory=list, max_length=5000)
    conditions: list[Condition] = Field(default_factory=list, max_length=5000)
    medications: list[Medication] = Field(default_factory=list, max_length=5000)
    evaluation_time: EvaluationTime | None = Field(
        default=None,
        description="When to evaluate; defaults to now (or the caller's --at). Its UTC offset is the "
        "clinic's: calendar days are counted in it.",
    )
