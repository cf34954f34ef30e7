"""Given steps: the patient's medications, as taken, started, stopped, renewed or being ordered.

Steps for a medication known by a code alone are in ``given`` (with the conditions known by a code).
"""

from __future__ import annotations

from pytest_bdd import given, parsers

from service.suites.steps.patient import PatientBuilder
from service.suites.steps.phrases import INGREDIENT, WHEN, days_ago

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
        rf"the patient has stopped (?P<ingredient>{INGREDIENT}) started (?P<when>{WHEN}), "
        r"with no end date or supply recorded"
    )
)
def given_stopped_undated(patient: PatientBuilder, ingredient: str, when: str) -> None:
    """Record a medication marked stopped whose record gives its start but neither an end nor a supply.

    Example: Given the patient has stopped thalidomide started 9 days ago, with no end date or supply recorded
    """
    patient.add_medication(ingredient, status="stopped", start_days_ago=days_ago(when))


@given(
    parsers.re(
        rf"(?P<ingredient>{INGREDIENT}) (?:is being ordered|was stopped, started (?P<when>{WHEN}))"
        rf", recorded as ending (?P<end>{WHEN})"
    )
)
def given_end_before_start(patient: PatientBuilder, ingredient: str, when: str | None, end: str) -> None:
    """Record a medication whose record ends before it starts: an order being written now, or a stopped
    one; the end contradicts the start, so it is not used (and a note says so).

    Example: Given thalidomide is being ordered, recorded as ending 31 days ago
    Example: Given thalidomide was stopped, started 9 days ago, recorded as ending 40 days ago
    """
    start, ended = days_ago(when) if when else 0, days_ago(end)
    assert ended > start, "the record must end before it starts"
    status = "stopped" if when else "draft"
    patient.add_medication(ingredient, status, start_days_ago=start, end_days_ago=ended, draft=not when)


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
