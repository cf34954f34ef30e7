"""Given steps: who the patient is and what their record holds, in words a clinician uses.

Every time is relative to the evaluation time ("today", default 2026-06-01 at noon UTC): write
``today``, ``yesterday``, ``1 day ago`` or ``{n} days ago``. Units are written as on a lab report
(``cells/µL``, ``10*9/L``, ``copies/mL``, ``mL/min/1.73m2``) and converted by the engine.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from pytest_bdd import given, parsers

from service.suites.steps.patient import PatientBuilder
from service.suites.steps.phrases import CODE, CODED, CONDITION_NAME, INGREDIENT, WHEN, days_ago


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


@given(parsers.re(r"the record's entries are timed at (?P<clock>\d{2}:\d{2}) local time"))
def given_clock(patient: PatientBuilder, clock: str) -> None:
    """Time every dated entry of the scenario at this time of day, on its day in the evaluation time's
    UTC offset (without this step an entry falls at the evaluation's own hour).

    Example: Given the record's entries are timed at 10:00 local time
    """
    patient.clock = time.fromisoformat(clock)


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
        rf"the patient has (?P<name>{CONDITION_NAME}) \((?P<code>{CODE})\)"
        rf"(?: diagnosed (?P<when>{WHEN})(?P<date_only>, dated without a time)?)?"
    )
)
def given_condition(
    patient: PatientBuilder, name: str, code: str, when: str | None, date_only: str | None
) -> None:
    """Record an active diagnosis by name and ICD-10-CM code, optionally with when it was diagnosed (at
    the hour of the evaluation, or "dated without a time" as a date alone).

    A code covers its children (B45 matches B45.1). Without a date the onset is unknown, so the condition
    is not taken as new since ART start.

    Example: Given the patient has cryptococcal meningitis (B45.1) diagnosed 20 days ago
    Example: Given the patient has pregnancy (Z34.90) diagnosed 300 days ago, dated without a time
    Example: Given the patient has peripheral neuropathy (G62.9)
    """
    patient.add_condition(
        code=code, text=name, onset_days_ago=days_ago(when) if when else None, date_only=bool(date_only)
    )


@given(
    parsers.re(
        rf"the patient has (?P<name>{CONDITION_NAME}) \((?P<code>{CODE})\) "
        rf"that (?P<status>recurred|relapsed) (?P<when>{WHEN})(?:, first diagnosed (?P<first>{WHEN}))?"
    )
)
def given_recurring_condition(
    patient: PatientBuilder, name: str, code: str, status: str, when: str, first: str | None
) -> None:
    """Record a known condition that came back (clinical status recurrence or relapse) on a given day.

    With "first diagnosed", the record keeps the first episode's onset and dates the recurrence by the
    day it was recorded.

    Example: Given the patient has herpes zoster (B02.9) that recurred 10 days ago
    Example: Given the patient has zoster (B02.9) that recurred 12 days ago, first diagnosed 2000 days ago
    """
    patient.add_condition(
        code=code,
        text=name,
        status="recurrence" if status == "recurred" else "relapse",
        onset_days_ago=days_ago(first) if first else days_ago(when),
        recorded_days_ago=days_ago(when) if first else None,
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
