"""Facts of the HIV rules: HIV, the current ART course, CD4 and viral load against their baselines, IRIS and
corticosteroid courses, tuberculosis and its treatment, cryptococcal meningitis and the exclusions."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from engine.courses import TAKEN_STATUSES, days_between, ordered_or_taken
from engine.dated import as_of
from engine.derive.record import PatientRecord, describe_condition, describe_medication
from engine.results import as_reported, baseline, detectable_hiv_rna, latest, measured, reported_on
from engine.scenario import ACTIVE_CONDITION, RECURRING_CONDITION, Condition, ObservationKind
from engine.scenario_times import local_day


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def _began(c: Condition) -> datetime | None:
    """When a condition began as the rules see it: its start, or for a recurrence or relapse the day it was
    recorded (its onset may be that of the first episode, years before)."""
    return (c.recorded or c.onset) if c.status in RECURRING_CONDITION else c.start


def _since_art(r: PatientRecord, c: Condition, art_start: datetime) -> bool:
    """New after the day ART started (calendar days in the record's zone): by onset, or for a recurrence or
    relapse by the day it was recorded; and not dated after now (:meth:`PatientRecord.counts`, which notes
    one that is)."""
    when = _began(c)
    return when is not None and local_day(when, r.zone) > local_day(art_start, r.zone) and r.counts(c, when)


def hiv_and_art(r: PatientRecord) -> tuple[dict[str, Any], datetime | None, datetime | None]:
    """HIV (coded, or a detectable viral load) and ART; with the start of the current course (None when no
    course is current) and the reference for baselines (that start, or now when ART is starting now)."""
    now, note, each = r.now, r.note, r.each
    vl = r.observations(ObservationKind.viral_load)
    hiv = r.conditions("hiv")
    detectable = detectable_hiv_rna(vl)
    each("hiv", describe_condition, hiv)
    note(
        "hiv",
        lambda: [f"HIV-1 RNA {reported_on(o, 'copies/mL')}" for o in detectable[-1:]],
    )
    art, art_start, on_art = r.course("art")
    art_drafts = [m for m in art if m.is_draft]
    art_ever = any(m.status in TAKEN_STATUSES for m in art if not m.is_draft)
    art_days = days_between(art_start, now, r.zone) if art_start and on_art else None
    # Starting ART: an order while no course is current (first start, or restart after an interruption).
    starting_now = bool(art_drafts) and not on_art
    note("on_art", map(describe_medication, (m for m in art if not m.is_draft and m.is_active_at(now))))
    each("art_ordered_now", describe_medication, art_drafts)
    each("art_starting_now", describe_medication, art_drafts if starting_now else [])
    if art_start and on_art:
        note("art_days", lambda: [f"current course started {local_day(art_start, r.zone).isoformat()}"])
    art_reference = art_start if on_art else None
    reference = art_reference if art_reference else (now if starting_now else None)
    facts = {
        "hiv": bool(hiv) or bool(detectable),
        "on_art": on_art,
        "art_ever": art_ever,
        "art_ordered_now": bool(art_drafts),
        "art_starting_now": starting_now,
        "art_days": art_days,
    }
    return facts, art_reference, reference


def cd4_and_viral_load(
    r: PatientRecord, art_reference: datetime | None, reference: datetime | None
) -> dict[str, Any]:
    """The latest and baseline CD4, a CD4 rise since ART started, and the fall of the viral load (log10)."""
    note, window = r.note, r.settings.baseline_window_days
    cd4 = r.observations(ObservationKind.cd4)
    latest_cd4 = latest(cd4)
    baseline_cd4 = baseline(cd4, reference, window, r.zone, r.now) if reference else None
    if latest_cd4:
        note("latest_cd4", lambda: [reported_on(latest_cd4, "cells/µL")])
    if baseline_cd4:
        note("baseline_cd4", lambda: [reported_on(baseline_cd4, "cells/µL")])
    cd4_after = [o for o in cd4 if art_reference and o.time > art_reference]
    cd4_rise = bool(baseline_cd4 and cd4_after and cd4_after[-1].number > baseline_cd4.number)
    if cd4_rise and baseline_cd4:
        note(
            "cd4_above_baseline",
            lambda: [f"{as_reported(baseline_cd4)} → {as_reported(cd4_after[-1])} cells/µL"],
        )
    vl = r.observations(ObservationKind.viral_load)
    vl_drop: float | None = None
    baseline_vl = baseline(vl, art_reference, window, r.zone, r.now) if art_reference else None
    vl_after = [o for o in vl if art_reference and o.time > art_reference]
    if baseline_vl and vl_after:
        # A '<' result counts as its limit: the fall is at least that large.
        vl_drop = math.log10(max(baseline_vl.number, 1.0)) - math.log10(max(vl_after[-1].number, 1.0))
        note(
            "vl_log10_drop",
            lambda: [f"{as_reported(baseline_vl)} → {as_reported(vl_after[-1])} copies/mL"],
        )
    return {
        "baseline_cd4": measured(baseline_cd4),
        "latest_cd4": measured(latest_cd4),
        "cd4_above_baseline": cd4_rise,
        "vl_log10_drop": _round(vl_drop),
    }


def iris_and_steroids(r: PatientRecord, art_reference: datetime | None) -> dict[str, Any]:
    """IRIS (coded, or an IRIS-associated condition new since ART started), the clinician's steroid
    assessment, and the corticosteroid course (and its days during IRIS)."""
    now, note, each = r.now, r.note, r.each
    iris_coded = r.conditions("iris", ACTIVE_CONDITION)
    each("iris_coded", describe_condition, iris_coded)
    associated = r.conditions("iris-associated", ACTIVE_CONDITION)
    iris_since = [c for c in associated if art_reference and _since_art(r, c, art_reference)]
    each("iris_condition_since_art", describe_condition, iris_since)
    refractory = r.assessed(ObservationKind.iris_steroid_refractory)
    dependent = r.assessed(ObservationKind.iris_steroid_dependent)
    steroid_assessed = bool(refractory) or bool(dependent)
    if steroid_assessed:
        note(
            "steroid_refractory_assessed",
            [n for n, v in (("steroid-refractory", refractory), ("steroid-dependent", dependent)) if v],
        )
    steroids, steroid_start, steroid_current = r.course("corticosteroid")
    steroid_days = days_between(steroid_start, now, r.zone) if steroid_start and steroid_current else None
    if steroid_days is not None and steroid_start:
        started = local_day(steroid_start, r.zone).isoformat()
        note("corticosteroid_course_days", lambda: [f"course started {started}"])
    # Steroid days count against IRIS only from the later of the course start and the IRIS onset.
    iris_onsets = [
        as_of(d, now) for c in (*iris_coded, *iris_since) if (d := _began(c)) is not None and r.counts(c, d)
    ]
    steroid_iris_days: int | None = None
    if steroid_days is not None and steroid_start and iris_onsets:
        counted_from = max(steroid_start, min(iris_onsets))
        steroid_iris_days = days_between(counted_from, now, r.zone)
        counted = local_day(counted_from, r.zone).isoformat()
        note("corticosteroid_days_during_iris", lambda: [f"counted from {counted}"])
    steroid_now = [m for m in steroids if ordered_or_taken(m)]
    each("corticosteroid_active_or_ordered", describe_medication, steroid_now)
    return {
        "iris_coded": bool(iris_coded),
        "iris_condition_since_art": bool(iris_since),
        "steroid_refractory_assessed": steroid_assessed,
        "corticosteroid_course_days": steroid_days,
        "corticosteroid_days_during_iris": steroid_iris_days,
        "corticosteroid_active_or_ordered": bool(steroid_now),
    }


def tuberculosis_and_cryptococcus(r: PatientRecord) -> dict[str, Any]:
    """Cryptococcal meningitis (days since), active TB and its treatment, and the steroid exclusions."""
    now, note, each = r.now, r.note, r.each
    crypto_days = [
        days_between(as_of(c.start, now), now, r.zone)
        for c in r.conditions("cryptococcal-meningitis")
        if c.start and r.counts(c, c.start)
    ]
    crypto = min(crypto_days) if crypto_days else None
    each("crypto_meningitis_days", describe_condition, r.conditions("cryptococcal-meningitis"))
    tb = r.conditions("tuberculosis", ACTIVE_CONDITION)
    each("active_tb", describe_condition, tb)
    # TB treatment starts with a rifamycin, pyrazinamide or ethambutol; isoniazid alone is preventive therapy.
    _, tb_start, tb_current = r.course("tb-treatment-core")
    tb_days = days_between(tb_start, now, r.zone) if tb_start and tb_current else None
    if tb_days is not None and tb_start:
        note("tb_treatment_days", lambda: [f"TB treatment started {local_day(tb_start, r.zone).isoformat()}"])
    # Exclusions count whatever their clinical status: they stop a steroid suggestion, so err towards them.
    tbm = r.conditions("tb-meningitis")
    ks = r.conditions("kaposi-sarcoma")
    hbv = r.conditions("hepatitis-b")
    for name, conds in (("tb_meningitis", tbm), ("kaposi_sarcoma", ks), ("hepatitis_b", hbv)):
        each(name, describe_condition, conds)
    return {
        "crypto_meningitis_days": crypto,
        "active_tb": bool(tb),
        "tb_treatment_days": tb_days,
        "tb_meningitis": bool(tbm),
        "kaposi_sarcoma": bool(ks),
        "hepatitis_b": bool(hbv),
    }
