"""FHIR intake (engine.fhir.statuses): an HIV status stated as an Observation's coded value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.derive import derive
from engine.scenario import ConditionStatus
from tests.unit.fhir.builders import observation, patient, read

NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
WHO_HIV = "http://smart.who.int/hiv/CodeSystem/HIVConcepts"


def status(answer: str, *, system: str = WHO_HIV, **kw: Any) -> dict[str, Any]:
    """A WHO SMART HIV "HIV status" (HIV.B.DE115) Observation answered with ``answer``."""
    value = {"coding": [{"system": system, "code": answer}]}
    return observation("hs", "HIV.B.DE115", system=WHO_HIV, valueCodeableConcept=value, **kw)


def test_an_hiv_positive_status_is_an_hiv_diagnosis_dated_by_the_observation() -> None:
    imported = read(patient(), status("HIV.B.DE116", when="2023-01-10T09:00:00Z"))
    [c] = imported.scenario.conditions
    assert c.concepts == ["hiv"]
    assert c.status is ConditionStatus.active
    assert c.start == datetime(2023, 1, 10, 9, 0, tzinfo=UTC)
    assert "Observation hs" in (c.text or "")
    assert [(x.system, x.code) for x in c.codings] == [(WHO_HIV, "HIV.B.DE116")]
    assert imported.scenario.observations == []
    derived = derive(imported.scenario, NOW)
    assert derived.facts.hiv is True
    assert any("Observation hs" in line for line in derived.support["hiv"])


def test_the_issued_time_dates_it_when_there_is_no_effective_time() -> None:
    [c] = read(status("HIV.B.DE116", when=None, issued="2024-02-03T10:00:00Z")).scenario.conditions
    assert c.start == datetime(2024, 2, 3, 10, 0, tzinfo=UTC)


def test_an_undated_positive_status_still_establishes_hiv_with_a_note() -> None:
    imported = read(status("HIV.B.DE116", when=None))
    [c] = imported.scenario.conditions
    assert c.start is None and c.concepts == ["hiv"]
    assert any("HIV kept undated" in n for n in imported.notes)


@pytest.mark.parametrize(
    "answer",
    [
        "HIV.B.DE117",
        "HIV.B.DE113",
        "HIV.B.DE135",
        "HIV.B.DE137",  # the client's partner is HIV-positive: not the patient's HIV
        "HIV.B.DE133",  # "HIV-positive" answering "Partner HIV test result"
        "HIV.C.DE116",  # symptoms that could suggest acute HIV
    ],
)
def test_a_negative_or_inconclusive_status_establishes_nothing(answer: str) -> None:
    imported = read(patient(), status(answer))
    assert imported.scenario.conditions == []
    assert derive(imported.scenario, NOW).facts.hiv is False


@pytest.mark.parametrize("state", ["entered-in-error", "cancelled"])
def test_a_status_entered_in_error_or_cancelled_is_ignored(state: str) -> None:
    assert read(status("HIV.B.DE116", status=state)).scenario.conditions == []


def test_an_answer_read_as_hiv_and_more_establishes_hiv_only() -> None:
    # HIV.E.DE37 (pregnancy in a woman with HIV) is read as both; a status answer establishes HIV alone.
    [c] = read(status("HIV.E.DE37")).scenario.conditions
    assert c.concepts == ["hiv"]


def test_the_name_of_the_answer_is_not_matched_as_text() -> None:
    value = {"coding": [{"system": "http://example.org/local", "code": "P"}], "text": "HIV positive"}
    resource = observation("hs", "HIV.B.DE115", system=WHO_HIV, valueCodeableConcept=value)
    assert read(resource).scenario.conditions == []


def test_a_status_of_another_patient_is_left_out() -> None:
    other = status("HIV.B.DE116", subject={"reference": "Patient/someone-else"})
    assert read(patient("p1"), other).scenario.conditions == []
