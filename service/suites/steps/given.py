"""Given steps: who the patient is and what their record holds, in words a clinician uses.

Every time is relative to the evaluation time ("today", default 2026-06-01 at noon UTC): write
``today``, ``yesterday``, ``1 day ago`` or ``{n} days ago``. Units are written as on a lab report
(``cells/µL``, ``10*9/L``, ``copies/mL``, ``mL/min/1.73m2``) and converted by the engine.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from pytest_bdd import given, parsers

from service.suites.steps.patient import CODE_SYSTEMS, PatientBuilder, ucum

WHEN = r"(?:today|yesterday|\d+ days? ago)"
"""A time before the evaluation time: ``today``, ``yesterday``, ``1 day ago``, ``{n} days ago``."""
NUMBER = r"\d+(?:\.\d+)?"
CODE = r"[A-Z][0-9A-Z]{1,2}(?:\.[0-9A-Z]{1,4})?"
"""An ICD-10-CM code such as B20, A15.0 or B45.1."""
CONDITION_NAME = r"[^\"()]+?"
SYSTEM = "|".join(sorted((re.escape(name) for name in CODE_SYSTEMS), key=len, reverse=True))
"""A code system as a clinician names it: SNOMED CT, WHO ICD-10, ICD-11, ATC, CIEL, WHO SMART HIV, ..."""
CODED = rf"coded (?P<system>{SYSTEM}) \"(?P<code>[^\"]+)\""
"""A code as a record carries it: ``coded SNOMED CT "77386006"`` (the name beside it is for the reader)."""
INGREDIENT = r"[^\"]+?"


def days_ago(phrase: str) -> int:
    """Whole days before the evaluation time for ``today``, ``yesterday``, ``1 day ago``, ``{n} days ago``."""
    phrase = phrase.strip()
    if phrase == "today":
        return 0
    if phrase == "yesterday":
        return 1
    return int(phrase.split()[0])


def number(text: str) -> float | int:
    """A measurement as written: an int when it has no decimals, else a float."""
    return float(text) if "." in text else int(text)


@pytest.fixture
def patient() -> PatientBuilder:
    """The patient the Given steps describe; the When step evaluates what it builds."""
    return PatientBuilder()


# -- time and demographics -----------------------------------------------------------------------------


@given(parsers.re(r"today is (?P<day>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?)"))
def given_today(patient: PatientBuilder, day: str) -> None:
    """Set the evaluation time: a date (taken at noon UTC) or a full ISO 8601 time.

    All "days ago" in the scenario count back from it; without this step it is 2026-06-01.

    Example: Given today is 2026-06-01
    """
    if "T" in day:
        patient.set_today(datetime.fromisoformat(day.replace("Z", "+00:00")))
    else:
        patient.set_today(date.fromisoformat(day))


@given(parsers.re(r"an? (?:(?P<sex>female|male) )?patient(?: aged (?P<age>\d+))?"))
def given_patient(patient: PatientBuilder, sex: str | None, age: str | None) -> None:
    """Describe the patient: sex and age in completed years are each optional (unknown if never given).

    With unknown sex or age the engine assumes reproductive potential is possible.

    Example: Given a female patient aged 34
    Example: Given a male patient aged 70
    Example: Given a patient
    """
    patient.set_demographics(sex=sex, age=int(age) if age is not None else None)


# -- conditions ----------------------------------------------------------------------------------------


@given("the patient has HIV")
def given_hiv(patient: PatientBuilder) -> None:
    """Record HIV infection as an active diagnosis (ICD-10-CM B20).

    Example: Given the patient has HIV
    """
    patient.add_condition(code="B20", text="HIV disease")


@given(
    parsers.re(
        rf"the patient has (?P<name>{CONDITION_NAME}) \((?P<code>{CODE})\)(?: diagnosed (?P<when>{WHEN}))?"
    )
)
def given_condition(patient: PatientBuilder, name: str, code: str, when: str | None) -> None:
    """Record an active diagnosis by name and ICD-10-CM code, optionally with when it was diagnosed.

    A code covers its children (B45 matches B45.1). Without a date the onset is unknown, so the condition
    is not taken as new since ART start.

    Example: Given the patient has cryptococcal meningitis (B45.1) diagnosed 20 days ago
    Example: Given the patient has peripheral neuropathy (G62.9)
    """
    patient.add_condition(code=code, text=name, onset_days_ago=days_ago(when) if when else None)


@given(
    parsers.re(
        rf"the patient has (?P<name>{CONDITION_NAME}) \((?P<code>{CODE})\) "
        rf"that (?P<status>recurred|relapsed) (?P<when>{WHEN})"
    )
)
def given_recurring_condition(patient: PatientBuilder, name: str, code: str, status: str, when: str) -> None:
    """Record a known condition that came back (clinical status recurrence or relapse) on a given day.

    Example: Given the patient has herpes zoster (B02.9) that recurred 10 days ago
    """
    patient.add_condition(
        code=code,
        text=name,
        status="recurrence" if status == "recurred" else "relapse",
        onset_days_ago=days_ago(when),
    )


@given(parsers.re(rf"the patient had (?P<name>{CONDITION_NAME}) \((?P<code>{CODE})\)(?: (?P<when>{WHEN}))?"))
def given_past_condition(patient: PatientBuilder, name: str, code: str, when: str | None) -> None:
    """Record a past diagnosis, now resolved (for example a history of venous thromboembolism).

    Example: Given the patient had pulmonary embolism (I26.99)
    Example: Given the patient had hepatitis B (B16.9) 400 days ago
    """
    patient.add_condition(
        code=code, text=name, status="resolved", onset_days_ago=days_ago(when) if when else None
    )


@given(
    parsers.re(
        rf"the patient has a condition recorded as \"(?P<text>[^\"]+)\"(?: diagnosed (?P<when>{WHEN}))?"
    )
)
def given_text_condition(patient: PatientBuilder, text: str, when: str | None) -> None:
    """Record an active condition by its name only, with no code (as for POEMS syndrome).

    Example: Given the patient has a condition recorded as "POEMS syndrome"
    """
    patient.add_condition(text=text, onset_days_ago=days_ago(when) if when else None)


# -- conditions and medications known by a code alone ----------------------------------------------------


@given(parsers.re(rf"the patient has (?P<name>{CONDITION_NAME}), {CODED}(?: diagnosed (?P<when>{WHEN}))?"))
def given_coded_condition(
    patient: PatientBuilder, name: str, system: str, code: str, when: str | None
) -> None:
    """Record an active diagnosis by its code alone, in any code system; the name is only for the reader.

    ICD-10-CM codes go in the condition's code, every other system in its further codings, as an importer
    fills them from a FHIR Condition.

    Example: Given the patient has pregnancy, coded SNOMED CT "77386006"
    Example: Given the patient has HIV with tuberculosis, coded WHO ICD-10 "B20.0" diagnosed 9 days ago
    """
    onset = days_ago(when) if when else None
    if system == "ICD-10-CM":
        patient.add_condition(code=code, onset_days_ago=onset)
    else:
        patient.add_coded_condition(system, code, onset_days_ago=onset)


@given(parsers.re(rf"the patient had (?P<name>{CONDITION_NAME}), {CODED}"))
def given_coded_past_condition(patient: PatientBuilder, name: str, system: str, code: str) -> None:
    """Record a past (resolved) diagnosis by its code alone; the name is only for the reader.

    Example: Given the patient had a deep vein thrombosis, coded SNOMED CT "128053003"
    """
    patient.add_coded_condition(system, code, status="resolved")


@given(parsers.re(rf"(?P<name>{INGREDIENT}), {CODED}, is being ordered"))
def given_coded_order(patient: PatientBuilder, name: str, system: str, code: str) -> None:
    """Record a draft order that carries only a code, no drug name; the name is only for the reader.

    Example: Given thalidomide, coded ATC "L04AX02", is being ordered
    """
    patient.add_coded_medication(system, code, status="draft", start_days_ago=0)


@given(parsers.re(rf"the patient started (?P<name>{INGREDIENT}), {CODED}, (?P<when>{WHEN})"))
def given_coded_started(patient: PatientBuilder, name: str, system: str, code: str, when: str) -> None:
    """Record a medication taken since a given day that carries only a code; the name is for the reader.

    Example: Given the patient started rifampicin, coded CIEL "767", 5 days ago
    """
    patient.add_coded_medication(system, code, start_days_ago=days_ago(when))


@given(parsers.re(rf"the patient is taking (?P<name>{INGREDIENT}), {CODED}"))
def given_coded_taking(patient: PatientBuilder, name: str, system: str, code: str) -> None:
    """Record a medication the patient is taking that carries only a code; the name is for the reader.

    Example: Given the patient is taking dexamethasone, coded ATC "H02AB02"
    """
    patient.add_coded_medication(system, code)


# -- medications ---------------------------------------------------------------------------------------


@given(parsers.re(rf"the patient started (?P<ingredient>{INGREDIENT}) (?P<when>{WHEN})"))
def given_started(patient: PatientBuilder, ingredient: str, when: str) -> None:
    """Record a medication the patient is taking, started on a given day (an active order or statement).

    Example: Given the patient started dolutegravir 30 days ago
    """
    patient.add_medication(ingredient, start_days_ago=days_ago(when))


@given(parsers.re(rf"the patient has taken (?P<ingredient>{INGREDIENT}) for (?P<days>\d+) days?"))
def given_taken_for(patient: PatientBuilder, ingredient: str, days: str) -> None:
    """Record a medication the patient is still taking, continuously for a number of days up to today.

    Example: Given the patient has taken prednisone for 28 days
    """
    patient.add_medication(ingredient, start_days_ago=int(days))


@given(parsers.re(rf"the patient is taking (?P<ingredient>{INGREDIENT})"))
def given_taking(patient: PatientBuilder, ingredient: str) -> None:
    """Record a medication the patient is taking, with no start date recorded.

    Example: Given the patient is taking dexamethasone
    """
    patient.add_medication(ingredient)


@given(parsers.re(rf"(?P<ingredient>{INGREDIENT}) is being ordered"))
def given_ordered(patient: PatientBuilder, ingredient: str) -> None:
    """Record a draft order being written now (CDS Hooks ``draftOrders``): prescribed, not yet taken.

    Example: Given thalidomide is being ordered
    """
    patient.order(ingredient)


@given(
    parsers.re(
        rf"the patient stopped (?P<ingredient>{INGREDIENT}) (?P<when>{WHEN})"
        r"(?: after (?P<days>\d+) days? of treatment)?"
    )
)
def given_stopped(patient: PatientBuilder, ingredient: str, when: str, days: str | None) -> None:
    """Record a medication the patient took and stopped on a given day, optionally after how long.

    Example: Given the patient stopped efavirenz 200 days ago
    Example: Given the patient stopped prednisone 2 days ago after 30 days of treatment
    """
    ended = days_ago(when)
    patient.add_medication(
        ingredient,
        status="stopped",
        start_days_ago=ended + int(days) if days is not None else None,
        end_days_ago=ended,
    )


@given(
    parsers.re(
        rf"the patient completed (?:a (?P<supply>\d+)-day supply of )?(?P<ingredient>{INGREDIENT}) "
        rf"started (?P<when>{WHEN})"
    )
)
def given_completed(patient: PatientBuilder, ingredient: str, when: str, supply: str | None) -> None:
    """Record a prescription recorded as completed with no end date, optionally with its supply in days.

    Without a supply it is taken to cover 90 days; a prescription that starts within that cover continues
    the same course.

    Example: Given the patient completed a 30-day supply of efavirenz started 100 days ago
    Example: Given the patient completed prednisone started 60 days ago
    """
    patient.add_medication(
        ingredient,
        status="completed",
        start_days_ago=days_ago(when),
        days_supply=int(supply) if supply else None,
    )


@given(
    parsers.re(
        rf"(?P<ingredient>{INGREDIENT}) was renewed every (?P<every>\d+) days for (?P<days>\d+) days, "
        r"earlier renewals marked completed"
    )
)
def given_renewals(patient: PatientBuilder, ingredient: str, every: str, days: str) -> None:
    """Record a long course as EHRs often keep it: one prescription per renewal, the latest active.

    The first prescription started ``days`` days ago and each renewal ``every`` days later; the earlier
    ones are recorded as completed with no end date.

    Example: Given efavirenz was renewed every 90 days for 1051 days, earlier renewals marked completed
    """
    starts = list(range(int(days), -1, -int(every)))
    for start in starts[:-1]:
        patient.add_medication(ingredient, status="completed", start_days_ago=start)
    patient.add_medication(ingredient, start_days_ago=starts[-1])


# -- measurements --------------------------------------------------------------------------------------


@given(parsers.re(rf"a CD4 count of (?P<value>{NUMBER}) (?P<unit>\S+) (?P<when>{WHEN})"))
def given_cd4(patient: PatientBuilder, value: str, unit: str, when: str) -> None:
    """Record an absolute CD4 count, in cells/µL or any unit the engine converts (e.g. 10*9/L).

    Example: Given a CD4 count of 42 cells/µL 3 days ago
    Example: Given a CD4 count of 0.045 10*9/L 3 days ago
    """
    patient.add_observation("cd4", number(value), days_ago(when), unit=ucum(unit))


@given(parsers.re(rf"a viral load (?P<below>of|below) (?P<value>{NUMBER}) (?P<unit>\S+) (?P<when>{WHEN})"))
def given_viral_load(patient: PatientBuilder, below: str, value: str, unit: str, when: str) -> None:
    """Record an HIV-1 RNA viral load; "below" records a result under the assay's limit (comparator <).

    Example: Given a viral load of 250000 copies/mL 40 days ago
    Example: Given a viral load below 50 copies/mL 5 days ago
    """
    patient.add_observation(
        "viral-load",
        number(value),
        days_ago(when),
        unit=ucum(unit),
        comparator="<" if below == "below" else None,
    )


@given(parsers.re(rf"an eGFR of (?P<value>{NUMBER}) (?P<unit>\S+) (?P<when>{WHEN})"))
def given_egfr(patient: PatientBuilder, value: str, unit: str, when: str) -> None:
    """Record an estimated glomerular filtration rate.

    Example: Given an eGFR of 29.9 mL/min/1.73m2 7 days ago
    """
    patient.add_observation("egfr", number(value), days_ago(when), unit=ucum(unit))


@given(
    parsers.re(
        rf"an? (?P<kind>CD4 count|viral load|eGFR) of (?P<value>{NUMBER}), printed as \"(?P<unit>[^\"]+)\","
        rf" (?P<when>{WHEN})"
    )
)
def given_printed_unit(patient: PatientBuilder, kind: str, value: str, unit: str, when: str) -> None:
    """Record a measurement with its unit exactly as the laboratory printed it (the engine converts it).

    Example: Given a CD4 count of 42, printed as "cells/mm³", 3 days ago
    """
    kinds = {"CD4 count": "cd4", "viral load": "viral-load", "eGFR": "egfr"}
    patient.add_observation(kinds[kind], number(value), days_ago(when), unit=unit)


# -- pregnancy -----------------------------------------------------------------------------------------


@given("the patient is pregnant")
def given_pregnant(patient: PatientBuilder) -> None:
    """Record a pregnancy status observation of "pregnant" today.

    Example: Given the patient is pregnant
    """
    patient.add_observation("pregnancy-status", "pregnant", 0)


@given(parsers.re(rf"a pregnancy test (?P<when>{WHEN}) was (?P<result>negative|positive)"))
def given_pregnancy_test(patient: PatientBuilder, when: str, result: str) -> None:
    """Record a pregnancy status observation: "positive" means pregnant, "negative" not pregnant.

    Example: Given a pregnancy test 2 days ago was negative
    """
    patient.add_observation(
        "pregnancy-status", "pregnant" if result == "positive" else "not-pregnant", days_ago(when)
    )


# -- clinician assessments -----------------------------------------------------------------------------

ASSESSED_WHEN = rf"(?: (?P<when>{WHEN}))?"


@given(
    parsers.re(
        rf"the clinician assessed the IRIS as (?P<kind>steroid-refractory|steroid-dependent){ASSESSED_WHEN}"
    )
)
def given_iris_assessment(patient: PatientBuilder, kind: str, when: str | None) -> None:
    """Record the clinician's assessment that the IRIS is steroid-refractory or steroid-dependent (today
    unless a time is given).

    Example: Given the clinician assessed the IRIS as steroid-dependent
    """
    patient.add_observation(f"iris-{kind}", True, days_ago(when) if when else 0)


@given(
    parsers.re(rf"the clinician assessed the patient as (?P<no>not )?a transplant candidate{ASSESSED_WHEN}")
)
def given_transplant_assessment(patient: PatientBuilder, no: str | None, when: str | None) -> None:
    """Record the assessment that the patient is, or is not, a candidate for stem-cell transplant.

    An assessment that the patient is a candidate outweighs age and renal failure.

    Example: Given the clinician assessed the patient as not a transplant candidate
    Example: Given the clinician assessed the patient as a transplant candidate
    """
    patient.add_observation("transplant-ineligible", no is not None, days_ago(when) if when else 0)


@given(parsers.re(rf"the clinician assessed the pain as refractory to standard therapy{ASSESSED_WHEN}"))
def given_pain_refractory(patient: PatientBuilder, when: str | None) -> None:
    """Record the assessment that the patient's pain is refractory to standard therapy.

    Example: Given the clinician assessed the pain as refractory to standard therapy
    """
    patient.add_observation("pain-refractory", True, days_ago(when) if when else 0)


@given(
    parsers.re(
        rf"the clinician assessed the patient as having (?P<no>no )?reproductive potential{ASSESSED_WHEN}"
    )
)
def given_reproductive_assessment(patient: PatientBuilder, no: str | None, when: str | None) -> None:
    """Record the assessment of reproductive potential; it overrides what age and sex would suggest.

    Example: Given the clinician assessed the patient as having no reproductive potential
    Example: Given the clinician assessed the patient as having reproductive potential
    """
    patient.add_observation("reproductive-potential", no is None, days_ago(when) if when else 0)
