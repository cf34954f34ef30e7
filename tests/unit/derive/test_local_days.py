"""Calendar days are counted in the clinic's zone: a timed value on its local day, a date on its own day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.courses import days_between
from engine.derive import DerivationSettings
from engine.fhir.fhir_time import parse_fhir_time
from engine.scenario import Scenario
from engine.scenario_times import CALENDAR_DAY, as_calendar_day, local_day, local_zone

CDT = timezone(timedelta(hours=-5))
CHICAGO = ZoneInfo("America/Chicago")


def test_a_local_evening_west_of_utc_is_still_that_day() -> None:
    now = datetime(2026, 6, 1, 19, 30, tzinfo=CDT)  # 00:30 UTC on 2 June
    ended = datetime(2026, 5, 4, 10, 0, tzinfo=CDT)
    assert days_between(ended, now, CDT) == 28
    assert days_between(ended, now, UTC) == 29
    assert days_between(ended.astimezone(UTC), now.astimezone(UTC), CDT) == 28  # the instant, not its offset


def test_east_of_utc_the_early_morning_is_the_next_day() -> None:
    kampala = timezone(timedelta(hours=3))
    now = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # 01:30 on 2 June in Kampala
    assert days_between(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), now, kampala) == 1


def test_a_date_without_a_time_never_shifts() -> None:
    day = as_calendar_day(date(2026, 5, 4))
    assert local_day(day, CDT) == date(2026, 5, 4)
    assert local_day(day, timezone(timedelta(hours=14))) == date(2026, 5, 4)
    now = datetime(2026, 6, 1, 19, 30, tzinfo=CDT)
    assert days_between(day, now, CDT) == 28
    assert days_between(as_calendar_day(date(2026, 3, 11)), as_calendar_day(date(2026, 6, 1)), CDT) == 82


def test_date_only_values_of_either_input_are_calendar_days() -> None:
    scenario = Scenario.model_validate(
        {
            "evaluation_time": "2026-06-01T19:30:00-05:00",
            "conditions": [{"code": "B20", "onset": "2025-11-01"}],
            "medications": [{"ingredient": "thalidomide", "start": "2026-01-01T10:00:00"}],
        }
    )
    onset = scenario.conditions[0].onset
    assert onset is not None and onset.tzname() == CALENDAR_DAY.tzname(None)
    assert local_day(onset, CDT) == date(2025, 11, 1)
    assert scenario.medications[0].start == datetime(2026, 1, 1, 10, tzinfo=UTC)  # no zone means UTC
    evaluation_time = scenario.evaluation_time
    assert evaluation_time is not None and evaluation_time.utcoffset() == timedelta(hours=-5)
    assert scenario.model_dump(mode="json")["conditions"][0]["onset"] == "2025-11-01"  # reads back the same
    for text in ("2026-05-04", "2026-05", "2026"):
        assert local_day(parse_fhir_time(text).moment, CDT) == date.fromisoformat((text + "-01-01")[:10])
    assert local_day(parse_fhir_time("2026-06-02T00:30:00Z").moment, CDT) == date(2026, 6, 1)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, CHICAGO),  # now: the clinic's zone
        (as_calendar_day(date(2026, 6, 1)), CHICAGO),  # a date has no offset
        (datetime(2026, 6, 1, 19, 30, tzinfo=CDT), CHICAGO),  # Chicago's offset that day: its rules kept
        (datetime(2026, 6, 1, 19, 30, tzinfo=timezone(timedelta(hours=3))), timezone(timedelta(hours=3))),
        (datetime(2026, 6, 1, 19, 30, tzinfo=UTC), UTC),
        (datetime(2026, 6, 1, 19, 30), UTC),  # no zone means UTC
    ],
)
def test_the_zone_of_an_evaluation(given: datetime | None, expected: object) -> None:
    assert local_zone(given, CHICAGO) == expected


def test_the_default_zone_is_utc() -> None:
    assert DerivationSettings().time_zone is UTC
