"""When a MedicationRequest or MedicationStatement starts and ends, from the elements that date it.

A bad or unusual date never costs the medication (KNOWLEDGE.md §4): a date that cannot be used is left out
with a note and the medication is kept, read as the rules read one without that date (an unknown end: still
taken if active, or taken as long as its supply may have run if finished), which never suppresses an alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from engine.fhir.models import (
    Dosage,
    FhirTime,
    MedicationRequestBody,
    MedicationStatementBody,
    RequestDosages,
    StatementDosages,
)
from engine.fhir.report import Report
from engine.fhir.times import dating, last_moment
from engine.fhir.wholes import MedicationRequestWhole, MedicationStatementWhole

Dated = MedicationRequestBody | MedicationStatementBody | MedicationRequestWhole | MedicationStatementWhole


def _bounds(dosages: Sequence[Dosage]) -> tuple[FhirTime | None, FhirTime | None]:
    """The earliest ``timing.repeat.boundsPeriod.start`` and the latest end over the dosages; no end when
    one bounded dosage runs on without one (the latest end is then unknown)."""
    periods = [b for d in dosages if (b := d.bounds) is not None and (b.start or b.end)]
    starts = [p.start for p in periods if p.start is not None]
    ends = [p.end for p in periods if p.end is not None]
    start = min(starts, key=lambda t: t.moment) if starts else None
    end = max(ends, key=last_moment) if ends and len(ends) == len(periods) else None
    return start, end


def _shown(moment: datetime) -> str:
    return moment.date().isoformat() if moment.time() == time.min else moment.isoformat()


def _dosages(raw: dict[str, Any], request: bool, label: str, report: Report) -> Sequence[Dosage]:
    """The dosages of a resource, read only for their bounds: malformed ones are noted and not used, never
    a problem that refuses the request (R4's ``dosageInstruction`` is often sent loosely, and the medication
    was read without it)."""
    if request:
        if raw.get("dosageInstruction") is None:
            return ()
        read = report.read_or_note(RequestDosages, raw, label)
        return read.dosageInstruction if read is not None else ()
    if raw.get("dosage") is None:
        return ()
    statement = report.read_or_note(StatementDosages, raw, label)
    return statement.dosage if statement is not None else ()


def medication_period(
    body: Dated, raw: dict[str, Any], label: str, report: Report
) -> tuple[datetime | None, datetime | None]:
    """The start and end of a medication, each None when unknown.

    An order starts when it was authored, else when its dispense validity starts, and ends when that
    validity ends; a statement is dated by its effective period (else its effective time). When nothing
    else dates it, its dosages' ``timing.repeat.boundsPeriod`` does (read from ``raw``, the resource). A
    partial end is taken as the last moment of its year or month (FHIR R4: a Period's end includes any
    matching time); an end before the start contradicts it and is not used, with a note naming the element.
    """
    if isinstance(body, MedicationRequestBody | MedicationRequestWhole):
        validity = body.dispenseRequest.validityPeriod if body.dispenseRequest else None
        # KNOWLEDGE.md §4: an order starts when it was authored; its dispense validity is a fallback only.
        start = body.authoredOn or (validity.start if validity else None)
        end = validity.end if validity else None
        end_element, request, dosage_element = "dispenseRequest.validityPeriod.end", True, "dosageInstruction"
    else:
        period = body.effectivePeriod
        start = period.start if period else body.effectiveDateTime
        end = period.end if period else None
        end_element, request, dosage_element = "effectivePeriod.end", False, "dosage"
    if start is None and end is None:
        start, end = _bounds(_dosages(raw, request, label, report))
        end_element = f"{dosage_element}.timing.repeat.boundsPeriod.end"
    began = dating(start, label, "start", report)
    ended = dating(end, label, "end", report, end=True)
    if began is not None and ended is not None and ended < began:
        report.note(
            f"{label}: {end_element} '{_shown(ended)}' ends before it starts ('{_shown(began)}'); "
            "the end is not used"
        )
        ended = None
    return began, ended
