"""Facts of the thalidomide-class safety rules and their neighbours: age, sex and reproductive potential,
pregnancy, thalidomide-class exposure, VTE and neuropathy, POEMS, renal function, pain and IL-2."""

from __future__ import annotations

from typing import Any

from engine.courses import days_between, last_dose, ordered_or_taken
from engine.derive.record import PatientRecord, age_in_years, describe_condition, describe_medication
from engine.pregnancy import is_pregnant, pregnancy_evidence
from engine.results import latest, measured, reported_on
from engine.scenario import ACTIVE_CONDITION, MedicationStatus, ObservationKind, Sex
from engine.scenario_times import local_day


def reproduction(r: PatientRecord) -> dict[str, Any]:
    """Age, sex, reproductive potential and pregnancy (the latest evidence decides)."""
    scenario, now, s, note, each = r.scenario, r.now, r.settings, r.note, r.each
    age = age_in_years(scenario.patient.birth_date, local_day(now, r.zone))
    sex = scenario.patient.sex
    low, high = s.reproductive_age
    # Unknown sex or unknown age counts as possible reproductive potential: a missed warning costs more.
    repro = sex in (Sex.female, Sex.unknown, Sex.other) and (age is None or low <= age <= high)
    no_potential = r.conditions("no-reproductive-potential")
    if no_potential:
        repro = False
        each("reproductive_potential", describe_condition, no_potential)
    assessed_repro = r.assessed(ObservationKind.reproductive_potential)
    if assessed_repro is not None:
        repro = assessed_repro
        note("reproductive_potential", lambda: [f"assessment: {'yes' if assessed_repro else 'no'}"])

    for delivery in r.conditions("delivery"):
        if delivery.start is not None:
            r.counts(delivery, delivery.start)  # one dated after now ends no pregnancy: noted
    evidence = pregnancy_evidence(
        scenario, now, s.pregnancy_condition_window_days, s.pregnancy_status_window_days, r.zone
    )
    pregnant = is_pregnant(evidence)
    if pregnant and not repro:
        repro = True  # a recorded pregnancy outweighs a record that says the patient cannot conceive
        note("reproductive_potential", ["pregnant"])
    if pregnant:
        note("pregnant", lambda: [e.what for e in evidence[::-1] if e.pregnant][:1])
    # Past the age range nothing is assumed either way: the REMS has no upper age, so the status is asked for.
    undocumented = (
        not repro
        and sex in (Sex.female, Sex.unknown, Sex.other)
        and age is not None
        and age > high
        and not no_potential
        and assessed_repro is None
    )
    if undocumented:
        note("reproductive_status_undocumented", [f"{sex.value}, aged {age}"])
    return {
        "age_years": age,
        "sex": sex.value,
        "reproductive_potential": repro,
        "reproductive_status_undocumented": undocumented,
        "pregnant": pregnant,
    }


def thalidomide(r: PatientRecord) -> dict[str, Any]:
    """Thalidomide-class medication ordered or taken, days since a stopped one's last dose, VTE history and
    peripheral neuropathy."""
    now, note, each = r.now, r.note, r.each
    thal_all = r.of_class("thalidomide-class")
    thal = [m for m in thal_all if ordered_or_taken(m)]
    each("thalidomide_class_medication", describe_medication, thal)
    stopped = [
        (days_between(last, now, r.zone) if last <= now else 0, m)
        for m in thal_all
        if m.status in (MedicationStatus.stopped, MedicationStatus.completed)
        and (last := last_dose(m, now, r.settings.default_supply_days)) is not None
    ]
    thal_stopped_days = min((d for d, _ in stopped), default=None)
    note(
        "thalidomide_class_stopped_days",
        (describe_medication(m) for d, m in stopped if d == thal_stopped_days),
    )
    vte = r.conditions("vte-history")
    each("vte_history", describe_condition, vte)
    neuropathy = r.conditions("peripheral-neuropathy", ACTIVE_CONDITION)
    each("peripheral_neuropathy", describe_condition, neuropathy)
    return {
        "thalidomide_class_medication": bool(thal),
        "thalidomide_class_stopped_days": thal_stopped_days,
        "vte_history": bool(vte),
        "peripheral_neuropathy": bool(neuropathy),
    }


def poems_pain_and_il2(r: PatientRecord) -> dict[str, Any]:
    """POEMS and transplant eligibility, renal failure and eGFR, intractable pain, IL-2."""
    note, each = r.note, r.each
    poems = r.conditions("poems", ACTIVE_CONDITION)
    each("poems", describe_condition, poems)
    ineligible = r.assessed(ObservationKind.transplant_ineligible)
    renal = r.conditions("renal-failure", ACTIVE_CONDITION)
    each("renal_failure_coded", describe_condition, renal)
    egfr = latest(r.observations(ObservationKind.egfr))
    if egfr:
        note("latest_egfr", lambda: [reported_on(egfr, "mL/min/1.73m²")])
    pain = r.conditions("crps", ACTIVE_CONDITION) + r.conditions("chronic-intractable-pain", ACTIVE_CONDITION)
    each("crps_or_intractable_pain", describe_condition, pain)
    pain_refractory = r.assessed(ObservationKind.pain_refractory)

    il2 = [m for m in r.of_class("il2") if ordered_or_taken(m)]
    each("il2_medication", describe_medication, il2)
    return {
        "poems": bool(poems),
        "transplant_ineligible_assessed": bool(ineligible),
        "transplant_candidate_assessed": ineligible is False,
        "renal_failure_coded": bool(renal),
        "latest_egfr": measured(egfr),
        "crps_or_intractable_pain": bool(pain),
        "pain_refractory_assessed": bool(pain_refractory),
        "il2_medication": bool(il2),
    }
