"""Pure functions from a :class:`Scenario` and an evaluation time to :class:`PatientFacts`.

Time is handled here and only here, so rules compare plain numbers and booleans. Choices where the
brief is silent are conservative and named in :class:`DerivationSettings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from engine.courses import TAKEN_STATUSES, current_course, days_between, last_dose, ordered_or_taken
from engine.facts import PatientFacts
from engine.pregnancy import is_pregnant, pregnancy_evidence
from engine.results import assessment, baseline, detectable_hiv_rna, latest, measured, observations_by_kind
from engine.scenario import (
    ACTIVE_CONDITION,
    IGNORED_CONDITION,
    RECURRING_CONDITION,
    Condition,
    ConditionStatus,
    Medication,
    MedicationStatus,
    Observation,
    ObservationKind,
    Scenario,
    Sex,
)
from engine.support import Support

__all__ = ["Derivation", "DerivationSettings", "age_in_years", "days_between", "derive", "measured"]


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


@dataclass
class Derivation:
    """The facts, and for each fact that holds the patient data that supports it (for explanations)."""

    facts: PatientFacts
    support: Mapping[str, list[str]] = field(default_factory=dict)


def age_in_years(birth: datetime | None, now: datetime) -> int | None:
    """Completed years of age at ``now``."""
    if birth is None:
        return None
    years = now.year - birth.year
    if (now.month, now.day) < (birth.month, birth.day):
        years -= 1
    return years


def _by_concept(scenario: Scenario) -> dict[str, list[Condition]]:
    """The conditions that count (not refuted or entered in error) under each concept, in record order."""
    found: dict[str, list[Condition]] = {}
    for c in scenario.conditions:
        if c.status not in IGNORED_CONDITION:
            for concept in c.concepts:
                found.setdefault(concept, []).append(c)
    return found


def _describe_condition(c: Condition) -> str:
    name = " ".join(filter(None, (c.code, c.text)))
    when = f", since {c.start.date().isoformat()}" if c.start else ""
    return f"{name} ({c.status}{when})"  # a StrEnum formats as its value


def _describe_medication(m: Medication) -> str:
    state = "draft order" if m.is_draft else str(m.status)
    when = f", from {m.start.date().isoformat()}" if m.start else ""
    return f"{m.ingredient} ({state}{when})"


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def _since_art(c: Condition, art_start: datetime, now: datetime) -> bool:
    """New after the day ART started: by onset, or for a recurrence or relapse by the day it was recorded."""
    when = (c.recorded or c.onset) if c.status in RECURRING_CONDITION else c.start
    return when is not None and when.date() > art_start.date() and when <= now


def derive(scenario: Scenario, now: datetime, settings: DerivationSettings | None = None) -> Derivation:
    """Derive every fact the rules use from ``scenario`` as it stands at ``now``."""
    s = settings or DerivationSettings()
    # Descriptions are written only when a finding reads them (engine/support.py): every name a lambda
    # below reads is assigned once in this function.
    support = Support()
    note, each = support.note, support.each

    meds = [m for m in scenario.medications if m.status is not MedicationStatus.entered_in_error]
    concepts = _by_concept(scenario)
    observed = observations_by_kind(scenario, now)

    def _conditions(concept: str, statuses: frozenset[ConditionStatus] | None = None) -> list[Condition]:
        found = concepts.get(concept, ())
        return [c for c in found if statuses is None or c.status in statuses]

    def assessed(kind: ObservationKind) -> bool | None:
        return assessment(observed.get(kind, ()))

    def observations_of(kind: ObservationKind) -> list[Observation]:
        return observed.get(kind, [])

    def of_class(cls: str) -> list[Medication]:
        return [m for m in meds if cls in m.classes]

    def course(cls: str) -> tuple[list[Medication], datetime | None, bool]:
        found = of_class(cls)
        c = current_course(found, now, s.course_gap_days, s.default_supply_days)
        return found, c.start, c.current

    # Demographics and reproductive potential
    birth = (
        datetime.combine(scenario.patient.birth_date, datetime.min.time(), tzinfo=now.tzinfo)
        if scenario.patient.birth_date
        else None
    )
    age = age_in_years(birth, now)
    sex = scenario.patient.sex
    low, high = s.reproductive_age
    # Unknown sex or unknown age counts as possible reproductive potential: a missed warning costs more.
    repro = sex in (Sex.female, Sex.unknown, Sex.other) and (age is None or low <= age <= high)
    no_potential = _conditions("no-reproductive-potential")
    if no_potential:
        repro = False
        each("reproductive_potential", _describe_condition, no_potential)
    assessed_repro = assessed(ObservationKind.reproductive_potential)
    if assessed_repro is not None:
        repro = assessed_repro
        note("reproductive_potential", lambda: [f"assessment: {'yes' if assessed_repro else 'no'}"])

    # Pregnancy: the latest evidence decides
    evidence = pregnancy_evidence(
        scenario, now, s.pregnancy_condition_window_days, s.pregnancy_status_window_days
    )
    pregnant = is_pregnant(evidence)
    if pregnant and not repro:
        repro = True  # a recorded pregnancy outweighs a record that says the patient cannot conceive
        note("reproductive_potential", ["pregnant"])
    if pregnant:
        note("pregnant", lambda: [e.what for e in evidence[::-1] if e.pregnant][:1])

    # HIV and antiretroviral therapy
    vl = observations_of(ObservationKind.viral_load)
    hiv = _conditions("hiv")
    detectable = detectable_hiv_rna(vl)
    each("hiv", _describe_condition, hiv)
    note(
        "hiv",
        lambda: [f"HIV-1 RNA {o.number:g} copies/mL on {o.time.date().isoformat()}" for o in detectable[-1:]],
    )
    art, art_start, on_art = course("art")
    art_drafts = [m for m in art if m.is_draft]
    art_ever = any(m.status in TAKEN_STATUSES for m in art if not m.is_draft)
    art_days = days_between(art_start, now) if art_start and on_art else None
    # Starting ART: an order while no course is current (first start, or restart after an interruption).
    starting_now = bool(art_drafts) and not on_art
    note("on_art", map(_describe_medication, (m for m in art if not m.is_draft and m.is_active_at(now))))
    each("art_ordered_now", _describe_medication, art_drafts)
    each("art_starting_now", _describe_medication, art_drafts if starting_now else [])
    if art_start and on_art:
        note("art_days", lambda: [f"current course started {art_start.date().isoformat()}"])
    art_reference = art_start if on_art else None
    reference = art_reference if art_reference else (now if starting_now else None)

    # CD4 and viral load
    cd4 = observations_of(ObservationKind.cd4)
    latest_cd4 = latest(cd4)
    baseline_cd4 = baseline(cd4, reference, s.baseline_window_days) if reference else None
    if latest_cd4:
        note(
            "latest_cd4", lambda: [f"{latest_cd4.number:g} cells/µL on {latest_cd4.time.date().isoformat()}"]
        )
    if baseline_cd4:
        note(
            "baseline_cd4",
            lambda: [f"{baseline_cd4.number:g} cells/µL on {baseline_cd4.time.date().isoformat()}"],
        )
    cd4_after = [o for o in cd4 if art_reference and o.time > art_reference]
    cd4_rise = bool(baseline_cd4 and cd4_after and cd4_after[-1].number > baseline_cd4.number)
    if cd4_rise and baseline_cd4:
        note("cd4_above_baseline", lambda: [f"{baseline_cd4.number:g} → {cd4_after[-1].number:g} cells/µL"])
    vl_drop: float | None = None
    baseline_vl = baseline(vl, art_reference, s.baseline_window_days) if art_reference else None
    vl_after = [o for o in vl if art_reference and o.time > art_reference]
    if baseline_vl and vl_after:
        # A '<' result counts as its limit: the fall is at least that large.
        vl_drop = math.log10(max(baseline_vl.number, 1.0)) - math.log10(max(vl_after[-1].number, 1.0))
        note(
            "vl_log10_drop",
            lambda: [
                f"{baseline_vl.number:g} → {vl_after[-1].comparator or ''}{vl_after[-1].number:g} copies/mL"
            ],
        )

    # IRIS
    iris_coded = _conditions("iris", ACTIVE_CONDITION)
    each("iris_coded", _describe_condition, iris_coded)
    associated = _conditions("iris-associated", ACTIVE_CONDITION)
    iris_since = [c for c in associated if art_reference and _since_art(c, art_reference, now)]
    each("iris_condition_since_art", _describe_condition, iris_since)
    refractory = assessed(ObservationKind.iris_steroid_refractory)
    dependent = assessed(ObservationKind.iris_steroid_dependent)
    steroid_assessed = bool(refractory) or bool(dependent)
    if steroid_assessed:
        note(
            "steroid_refractory_assessed",
            [n for n, v in (("steroid-refractory", refractory), ("steroid-dependent", dependent)) if v],
        )
    steroids, steroid_start, steroid_current = course("corticosteroid")
    steroid_days = days_between(steroid_start, now) if steroid_start and steroid_current else None
    if steroid_days is not None and steroid_start:
        note("corticosteroid_course_days", lambda: [f"course started {steroid_start.date().isoformat()}"])
    # Steroid days count against IRIS only from the later of the course start and the IRIS onset.
    iris_onsets = [c.start for c in (*iris_coded, *iris_since) if c.start is not None and c.start <= now]
    steroid_iris_days: int | None = None
    if steroid_days is not None and steroid_start and iris_onsets:
        counted_from = max(steroid_start, min(iris_onsets))
        steroid_iris_days = days_between(counted_from, now)
        note("corticosteroid_days_during_iris", lambda: [f"counted from {counted_from.date().isoformat()}"])
    steroid_now = [m for m in steroids if ordered_or_taken(m)]
    each("corticosteroid_active_or_ordered", _describe_medication, steroid_now)

    # Thalidomide class and its safety context
    thal_all = of_class("thalidomide-class")
    thal = [m for m in thal_all if ordered_or_taken(m)]
    each("thalidomide_class_medication", _describe_medication, thal)
    stopped = [
        (days_between(last, now) if last <= now else 0, m)
        for m in thal_all
        if m.status in (MedicationStatus.stopped, MedicationStatus.completed)
        and (last := last_dose(m)) is not None
    ]
    thal_stopped_days = min((d for d, _ in stopped), default=None)
    note(
        "thalidomide_class_stopped_days",
        (_describe_medication(m) for d, m in stopped if d == thal_stopped_days),
    )
    vte = _conditions("vte-history")
    each("vte_history", _describe_condition, vte)
    neuropathy = _conditions("peripheral-neuropathy", ACTIVE_CONDITION)
    each("peripheral_neuropathy", _describe_condition, neuropathy)

    # POEMS and pain
    poems = _conditions("poems", ACTIVE_CONDITION)
    each("poems", _describe_condition, poems)
    ineligible = assessed(ObservationKind.transplant_ineligible)
    renal = _conditions("renal-failure", ACTIVE_CONDITION)
    each("renal_failure_coded", _describe_condition, renal)
    egfr = latest(observations_of(ObservationKind.egfr))
    if egfr:
        note("latest_egfr", lambda: [f"{egfr.number:g} mL/min/1.73m² on {egfr.time.date().isoformat()}"])
    pain = _conditions("crps", ACTIVE_CONDITION) + _conditions("chronic-intractable-pain", ACTIVE_CONDITION)
    each("crps_or_intractable_pain", _describe_condition, pain)
    pain_refractory = assessed(ObservationKind.pain_refractory)

    # IL-2
    il2 = [m for m in of_class("il2") if ordered_or_taken(m)]
    each("il2_medication", _describe_medication, il2)

    # Tuberculosis and cryptococcal meningitis
    crypto_days = [
        days_between(c.start, now)
        for c in _conditions("cryptococcal-meningitis")
        if c.start and c.start <= now
    ]
    crypto = min(crypto_days) if crypto_days else None
    each("crypto_meningitis_days", _describe_condition, _conditions("cryptococcal-meningitis"))
    tb = _conditions("tuberculosis", ACTIVE_CONDITION)
    each("active_tb", _describe_condition, tb)
    # TB treatment starts with a rifamycin, pyrazinamide or ethambutol; isoniazid alone is preventive therapy.
    _, tb_start, tb_current = course("tb-treatment-core")
    tb_days = days_between(tb_start, now) if tb_start and tb_current else None
    if tb_days is not None and tb_start:
        note("tb_treatment_days", lambda: [f"TB treatment started {tb_start.date().isoformat()}"])
    # Exclusions count whatever their clinical status: they stop a steroid suggestion, so err towards them.
    tbm = _conditions("tb-meningitis")
    ks = _conditions("kaposi-sarcoma")
    hbv = _conditions("hepatitis-b")
    for name, conds in (("tb_meningitis", tbm), ("kaposi_sarcoma", ks), ("hepatitis_b", hbv)):
        each(name, _describe_condition, conds)

    facts = PatientFacts(
        age_years=age,
        sex=sex.value,
        reproductive_potential=repro,
        pregnant=pregnant,
        hiv=bool(hiv) or bool(detectable),
        on_art=on_art,
        art_ever=art_ever,
        art_ordered_now=bool(art_drafts),
        art_starting_now=starting_now,
        art_days=art_days,
        baseline_cd4=measured(baseline_cd4),
        latest_cd4=measured(latest_cd4),
        cd4_above_baseline=cd4_rise,
        vl_log10_drop=_round(vl_drop),
        iris_coded=bool(iris_coded),
        iris_condition_since_art=bool(iris_since),
        steroid_refractory_assessed=steroid_assessed,
        corticosteroid_course_days=steroid_days,
        corticosteroid_days_during_iris=steroid_iris_days,
        corticosteroid_active_or_ordered=bool(steroid_now),
        thalidomide_class_medication=bool(thal),
        thalidomide_class_stopped_days=thal_stopped_days,
        vte_history=bool(vte),
        peripheral_neuropathy=bool(neuropathy),
        poems=bool(poems),
        transplant_ineligible_assessed=bool(ineligible),
        transplant_candidate_assessed=ineligible is False,
        renal_failure_coded=bool(renal),
        latest_egfr=measured(egfr),
        crps_or_intractable_pain=bool(pain),
        pain_refractory_assessed=bool(pain_refractory),
        il2_medication=bool(il2),
        crypto_meningitis_days=crypto,
        active_tb=bool(tb),
        tb_treatment_days=tb_days,
        tb_meningitis=bool(tbm),
        kaposi_sarcoma=bool(ks),
        hepatitis_b=bool(hbv),
    )
    return Derivation(facts=facts, support=support)
