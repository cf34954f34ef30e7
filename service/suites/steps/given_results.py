"""Given steps: measurements (CD4, viral load, eGFR), pregnancy and the clinician's assessments.

Units are written as on a lab report (``cells/µL``, ``10*9/L``, ``copies/mL``, ``mL/min/1.73m2``) and
converted by the engine.
"""

from __future__ import annotations

from pytest_bdd import given, parsers

from service.suites.steps.patient import PatientBuilder, ucum
from service.suites.steps.phrases import NUMBER, WHEN, days_ago, number

# -- measurements --------------------------------------------------------------------------------------


# "of" a value; "below" or "above" a value the laboratory reported beyond its limit ("<50", ">90"); "at most"
# or "at least" one reported as "<=100" or ">=90".
_LIMIT = r"(?P<limit>of|below|above|at most|at least)"
_COMPARATOR = {"of": None, "below": "<", "above": ">", "at most": "<=", "at least": ">="}


@given(parsers.re(rf"a CD4 count {_LIMIT} (?P<value>{NUMBER}) (?P<unit>\S+) (?P<when>{WHEN})"))
def given_cd4(patient: PatientBuilder, limit: str, value: str, unit: str, when: str) -> None:
    """Record an absolute CD4 count, in cells/µL or any unit the engine converts (e.g. 10*9/L); "below"
    or "above" records a result reported beyond the laboratory's limit (comparator < or >), "at most" or
    "at least" one reported as "<=" or ">=" it.

    Example: Given a CD4 count of 42 cells/µL 3 days ago
    Example: Given a CD4 count of 0.045 10*9/L 3 days ago
    Example: Given a CD4 count below 50 cells/µL 3 days ago
    Example: Given a CD4 count at most 100 cells/µL 3 days ago
    """
    patient.add_observation(
        "cd4", number(value), days_ago(when), unit=ucum(unit), comparator=_COMPARATOR[limit]
    )


@given(parsers.re(rf"a viral load {_LIMIT} (?P<value>{NUMBER}) (?P<unit>\S+) (?P<when>{WHEN})"))
def given_viral_load(patient: PatientBuilder, limit: str, value: str, unit: str, when: str) -> None:
    """Record an HIV-1 RNA viral load; "below" records a result under the assay's limit (comparator <),
    "above" one over its upper limit (comparator >).

    Example: Given a viral load of 250000 copies/mL 40 days ago
    Example: Given a viral load below 50 copies/mL 5 days ago
    """
    patient.add_observation(
        "viral-load", number(value), days_ago(when), unit=ucum(unit), comparator=_COMPARATOR[limit]
    )


@given(parsers.re(rf"an eGFR {_LIMIT} (?P<value>{NUMBER}) (?P<unit>\S+) (?P<when>{WHEN})"))
def given_egfr(patient: PatientBuilder, limit: str, value: str, unit: str, when: str) -> None:
    """Record an estimated glomerular filtration rate; "above" records a result the laboratory reports
    over its limit (">90": comparator >), "below" one under it.

    Example: Given an eGFR of 29.9 mL/min/1.73m2 7 days ago
    Example: Given an eGFR above 90 mL/min/1.73m2 7 days ago
    """
    patient.add_observation(
        "egfr", number(value), days_ago(when), unit=ucum(unit), comparator=_COMPARATOR[limit]
    )


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


@given(
    parsers.re(
        rf"a pregnancy test (?:(?P<when>{WHEN})|stamped (?P<minutes>\d+) minutes? after the evaluation time)"
        r"(?P<date_only>, dated without a time,)? was (?P<result>negative|positive)"
    )
)
def given_pregnancy_test(
    patient: PatientBuilder, when: str | None, minutes: str | None, date_only: str | None, result: str
) -> None:
    """Record a pregnancy status observation: "positive" means pregnant, "negative" not pregnant (at the
    hour of the evaluation, or "dated without a time" as a date alone: the date of "today" where the
    evaluation takes place). "stamped N minutes after the evaluation time" dates it later than the
    evaluation (an EHR whose clock is ahead).

    Example: Given a pregnancy test 2 days ago was negative
    Example: Given a pregnancy test 280 days ago, dated without a time, was positive
    Example: Given a pregnancy test stamped 3 minutes after the evaluation time was positive
    """
    patient.add_observation(
        "pregnancy-status",
        "pregnant" if result == "positive" else "not-pregnant",
        days_ago(when) if when is not None else -int(minutes or 0) / (24 * 60),
        date_only=bool(date_only),
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
