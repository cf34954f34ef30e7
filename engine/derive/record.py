"""The patient record as derivation reads it: the scenario indexed once at the evaluation time, the
settings, and the support texts being noted (engine/support.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from engine.courses import current_course
from engine.dated import LATER_NOTE, counts_by, stamp
from engine.facts import PatientFacts
from engine.results import as_reported, assessment, later_than, observations_by_kind
from engine.scenario import (
    IGNORED_CONDITION,
    Condition,
    ConditionStatus,
    Medication,
    MedicationStatus,
    Observation,
    ObservationKind,
    Scenario,
)
from engine.support import Support


@dataclass(frozen=True)
class DerivationSettings:
    """Windows used to derive facts. Defaults follow KNOWLEDGE.md; silent points are conservative."""

    baseline_window_days: int = 180
    """A baseline CD4 or viral load is the last one on or before ART start within this many days."""
    pregnancy_status_window_days: int = 280
    """'Last 9 months' for a pregnancy-status observation, counted as 40 weeks so none is missed."""
    pregnancy_condition_window_days: int = 300
    """An active pregnancy Condition counts when recorded (or begun) within this many days."""
    course_gap_days: int = 1
    """Tolerance, in days, beyond a prescription's end or supply for the next one to continue the course."""
    default_supply_days: int = 90
    """Supply assumed for a prescription that gives neither an end date nor a supply."""
    reproductive_age: tuple[int, int] = (12, 55)
    """Ages (inclusive) at which a female patient is taken to have reproductive potential."""
    time_zone: tzinfo = UTC
    """The clinic's zone: calendar days are counted in it when the evaluation time carries no UTC offset of
    its own (CDS Hooks' now; the setting ``CLINRULES_TIME_ZONE``)."""


@dataclass
class Derivation:
    """The facts, and for each fact that holds the patient data that supports it (for explanations)."""

    facts: PatientFacts
    support: Mapping[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Patient data not used, and why (data dated after the evaluation time)."""


def age_in_years(birth: date | None, now: date) -> int | None:
    """Completed years of age on the day ``now``."""
    if birth is None:
        return None
    years = now.year - birth.year
    if (now.month, now.day) < (birth.month, birth.day):
        years -= 1
    return years


def describe_condition(c: Condition) -> str:
    """A condition as support text: its code and name, status and start."""
    name = " ".join(filter(None, (c.code, c.text)))
    when = f", since {c.start.date().isoformat()}" if c.start else ""
    return f"{name} ({c.status}{when})"  # a StrEnum formats as its value


def describe_medication(m: Medication) -> str:
    """A medication as support text: its name, state and start."""
    state = "draft order" if m.is_draft else str(m.status)
    when = f", from {m.start.date().isoformat()}" if m.start else ""
    return f"{m.ingredient} ({state}{when})"


def _observed(o: Observation) -> str:
    """An observation as a note names it: its kind, value and time."""
    value = f"{as_reported(o)} {o.unit}" if o.unit is not None else str(o.value).lower()
    return f"{o.kind.value} {value} of {stamp(o.time)}"


def _by_concept(scenario: Scenario) -> dict[str, list[Condition]]:
    """The conditions that count (not refuted or entered in error) under each concept, in record order."""
    found: dict[str, list[Condition]] = {}
    for c in scenario.conditions:
        if c.status not in IGNORED_CONDITION:
            for concept in c.concepts:
                found.setdefault(concept, []).append(c)
    return found


class PatientRecord:
    """The scenario at ``now``: conditions by concept, observations by kind, the medications that count
    (not entered in error), and the support texts noted while deriving.

    Descriptions are written only when a finding reads them: whatever a noted function reads must not
    change afterwards.
    """

    def __init__(
        self, scenario: Scenario, now: datetime, settings: DerivationSettings, zone: tzinfo | None = None
    ) -> None:
        self.scenario = scenario
        self.now = now
        self.zone = settings.time_zone if zone is None else zone
        """The zone calendar days are counted in."""
        self.settings = settings
        self.support = Support()
        self.note, self.each = self.support.note, self.support.each
        self.meds = [m for m in scenario.medications if m.status is not MedicationStatus.entered_in_error]
        self._concepts = _by_concept(scenario)
        self._observed = observations_by_kind(scenario, now)
        self.notes: list[str] = [f"{_observed(o)}: {LATER_NOTE}" for o in later_than(scenario, now)]

    def counts(self, c: Condition, when: datetime) -> bool:
        """Whether condition ``c``, dated ``when``, counts at ``now`` (:func:`engine.dated.counts_by`); one
        dated later does not, and is noted."""
        if counts_by(when, self.now):
            return True
        note = f"{describe_condition(c)}: {LATER_NOTE}"
        if note not in self.notes:
            self.notes.append(note)
        return False

    def conditions(self, concept: str, statuses: frozenset[ConditionStatus] | None = None) -> list[Condition]:
        """The conditions under ``concept`` (with one of ``statuses``, when given), in record order."""
        found = self._concepts.get(concept, ())
        return [c for c in found if statuses is None or c.status in statuses]

    def assessed(self, kind: ObservationKind) -> bool | None:
        """The clinician's latest assessment of ``kind``, or None when there is none."""
        return assessment(self._observed.get(kind, ()))

    def observations(self, kind: ObservationKind) -> list[Observation]:
        """The observations of ``kind`` up to ``now``, oldest first."""
        return self._observed.get(kind, [])

    def of_class(self, cls: str) -> list[Medication]:
        """The medications of a class (``art``, ``corticosteroid``, ...)."""
        return [m for m in self.meds if cls in m.classes]

    def course(self, cls: str) -> tuple[list[Medication], datetime | None, bool]:
        """The medications of a class, the start of their course, and whether it is current at ``now``."""
        found = self.of_class(cls)
        s = self.settings
        c = current_course(found, self.now, s.course_gap_days, s.default_supply_days)
        return found, c.start, c.current
