"""A small mutable builder for the patient Scenario JSON that the Given steps fill in.

Every time is stored as a number of days before the evaluation time (whole, but for a few minutes after
it) and resolved only in :meth:`PatientBuilder.build`, so ``Given today is 2026-06-01`` may come before or
after the other Given steps and "3 days ago" always means three days before the evaluation time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

DEFAULT_EVALUATION_TIME = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
"""When scenarios are evaluated unless a feature says ``Given today is ...``."""

UNIT_ALIASES: dict[str, str] = {
    "cells/µL": "cells/uL",
    "cells/μL": "cells/uL",
    "/µL": "/uL",
    "/μL": "/uL",
    "cells/mm3": "/mm3",
    "copies/ml": "copies/mL",
    "mL/min/1.73m²": "mL/min/1.73m2",
    "mL/min/1.73 m2": "mL/min/1.73m2",
}
"""How units written for people in a feature map to the UCUM units of the Scenario JSON."""


CODE_SYSTEMS: dict[str, str] = {
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "WHO ICD-10": "http://hl7.org/fhir/sid/icd-10",
    "ICD-11": "http://id.who.int/icd/release/11/mms",
    "ICD-11 as the WHO HIV guideline maps write it": "http://hl7.org/fhir/sid/icd-11",
    "SNOMED CT": "http://snomed.info/sct",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ATC": "http://www.whocc.no/atc",
    "CIEL": "https://cielterminology.org",
    "CIEL as OpenHIE writes it": "https://openconceptlab.org",
    "CIEL as Open Concept Lab writes it": "http://openconceptlab.org/orgs/CIEL/sources/CIEL",
    "WHO SMART HIV": "http://smart.who.int/hiv/CodeSystem/HIVConcepts",
    "a local code system": "http://hospital.example.org/codes",
}
"""Code systems as a clinician names them, and the URI a record carries for each."""


def ucum(unit: str) -> str:
    """The UCUM spelling of a unit as a clinician writes it (``cells/µL`` → ``cells/uL``)."""
    return UNIT_ALIASES.get(unit.strip(), unit.strip())


def birth_date_for_age(age: int, today: date) -> date:
    """A birth date that makes the patient exactly ``age`` completed years old on ``today``.

    The birthday is placed half a year back so that a small change of ``today`` keeps the same age.
    """
    try:
        anniversary = today.replace(year=today.year - age)
    except ValueError:  # 29 February in a non-leap year
        anniversary = today.replace(year=today.year - age, day=28)
    return anniversary - timedelta(days=182)


@dataclass
class _Condition:
    code: str | None
    text: str | None
    status: str
    onset_days_ago: int | None
    codings: list[dict[str, str]] = field(default_factory=list)
    recorded_days_ago: int | None = None
    date_only: bool = False


@dataclass
class _Medication:
    ingredient: str
    status: str
    start_days_ago: int | None
    end_days_ago: int | None = None
    draft: bool = False
    days_supply: int | None = None
    codings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Observation:
    kind: str
    days_ago: float
    value: float | bool | str
    unit: str | None = None
    comparator: str | None = None
    date_only: bool = False


@dataclass
class PatientBuilder:
    """Collects what the Given steps say about the patient and produces the Scenario JSON dict."""

    evaluation_time: datetime = DEFAULT_EVALUATION_TIME
    sex: str | None = None
    age: int | None = None
    conditions: list[_Condition] = field(default_factory=list)
    medications: list[_Medication] = field(default_factory=list)
    observations: list[_Observation] = field(default_factory=list)
    clock: time | None = None
    """The time of day of every dated entry, in the evaluation time's offset (None: the evaluation's hour)."""

    # -- time ---------------------------------------------------------------------------------------------

    def set_today(self, day: date | datetime) -> None:
        """Evaluate on ``day`` (at noon UTC when only a date is given); a time keeps its UTC offset, the
        clinic's: "days ago" count back in it."""
        if isinstance(day, datetime):
            self.evaluation_time = day if day.tzinfo else day.replace(tzinfo=UTC)
        else:
            self.evaluation_time = datetime.combine(day, time(12, 0), tzinfo=UTC)

    def _at(self, days_ago: float | None, date_only: bool = False, clock: bool = True) -> str | None:
        if days_ago is None:
            return None
        # The local day, in the offset "today" was given in.
        day = self.evaluation_time.date() - timedelta(days=int(days_ago))
        if date_only:  # a date without a time, as many records give one
            return day.isoformat()
        if clock and self.clock is not None and days_ago == int(days_ago):
            moment = datetime.combine(day, self.clock, tzinfo=self.evaluation_time.tzinfo)
        else:  # also a time a few minutes after the evaluation time (a fraction of a day before it)
            moment = self.evaluation_time - timedelta(days=days_ago)
        return moment.isoformat().replace("+00:00", "Z")

    # -- demographics -------------------------------------------------------------------------------------

    def set_demographics(self, sex: str | None = None, age: int | None = None) -> None:
        """Record administrative sex (female, male, other, unknown) and age in completed years."""
        if sex is not None:
            self.sex = sex
        if age is not None:
            self.age = age

    # -- conditions ---------------------------------------------------------------------------------------

    def add_condition(
        self,
        code: str | None = None,
        text: str | None = None,
        status: str = "active",
        onset_days_ago: int | None = None,
        recorded_days_ago: int | None = None,
        date_only: bool = False,
    ) -> None:
        """Add a diagnosis by ICD-10-CM code and/or name, with its clinical status, onset and recorded date
        (``date_only``: dated without a time)."""
        self.conditions.append(
            _Condition(code, text, status, onset_days_ago, [], recorded_days_ago, date_only)
        )

    def add_coded_condition(
        self, system: str, code: str, status: str = "active", onset_days_ago: int | None = None
    ) -> None:
        """Add a diagnosis carried by a code alone (no name), in a system named as in :data:`CODE_SYSTEMS`."""
        coding = {"system": CODE_SYSTEMS[system], "code": code}
        self.conditions.append(_Condition(None, None, status, onset_days_ago, [coding]))

    # -- medications --------------------------------------------------------------------------------------

    def add_medication(
        self,
        ingredient: str,
        status: str = "active",
        start_days_ago: int | None = None,
        end_days_ago: int | None = None,
        draft: bool = False,
        days_supply: int | None = None,
    ) -> None:
        """Add a medication taken, stopped or being ordered now (``draft``), optionally with its supply."""
        self.medications.append(
            _Medication(ingredient, status, start_days_ago, end_days_ago, draft, days_supply)
        )

    def add_coded_medication(
        self, system: str, code: str, status: str = "active", start_days_ago: int | None = None
    ) -> None:
        """Add a medication known by a code alone; its name is what an importer writes for a bare code."""
        coding = {"system": CODE_SYSTEMS[system], "code": code}
        draft = status == "draft"
        self.medications.append(
            _Medication(f"{system} {code}", status, start_days_ago, None, draft, codings=[coding])
        )

    def order(self, ingredient: str) -> None:
        """A draft order for ``ingredient`` written now."""
        self.add_medication(ingredient, status="draft", start_days_ago=0, draft=True)

    # -- observations -------------------------------------------------------------------------------------

    def add_observation(
        self,
        kind: str,
        value: float | bool | str,
        days_ago: float = 0,
        unit: str | None = None,
        comparator: str | None = None,
        date_only: bool = False,
    ) -> None:
        """Add a measurement, a pregnancy status or a clinician assessment (``date_only``: dated without a
        time; a negative ``days_ago`` is after the evaluation time)."""
        self.observations.append(_Observation(kind, days_ago, value, unit, comparator, date_only))

    # -- output -------------------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """The Scenario JSON (``engine.scenario.Scenario``), evaluated at :attr:`evaluation_time`."""
        patient: dict[str, Any] = {"sex": self.sex or "unknown"}
        if self.age is not None:
            patient["birth_date"] = birth_date_for_age(self.age, self.evaluation_time.date()).isoformat()
        conditions: list[dict[str, Any]] = []
        for c in self.conditions:
            item: dict[str, Any] = {"status": c.status}
            if c.code is not None:
                item["code"] = c.code
            if c.text is not None:
                item["text"] = c.text
            if c.onset_days_ago is not None:
                item["onset"] = self._at(c.onset_days_ago, c.date_only)
            if c.recorded_days_ago is not None:
                item["recorded"] = self._at(c.recorded_days_ago, c.date_only)
            if c.codings:
                item["codings"] = c.codings
            conditions.append(item)
        medications: list[dict[str, Any]] = []
        for m in self.medications:
            med: dict[str, Any] = {"ingredient": m.ingredient, "status": m.status}
            if m.draft:
                med["draft"] = True
            if m.start_days_ago is not None:
                med["start"] = self._at(m.start_days_ago)
            if m.end_days_ago is not None:
                med["end"] = self._at(m.end_days_ago)
            if m.days_supply is not None:
                med["days_supply"] = m.days_supply
            if m.codings:
                med["codings"] = m.codings
            medications.append(med)
        observations: list[dict[str, Any]] = []
        for o in self.observations:
            obs: dict[str, Any] = {
                "kind": o.kind,
                "time": self._at(o.days_ago, o.date_only),
                "value": o.value,
            }
            if o.unit is not None:
                obs["unit"] = o.unit
            if o.comparator is not None:
                obs["comparator"] = o.comparator
            observations.append(obs)
        return {
            "patient": patient,
            "evaluation_time": self._at(0, clock=False),
            "conditions": conditions,
            "medications": medications,
            "observations": observations,
        }
