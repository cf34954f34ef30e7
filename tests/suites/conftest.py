"""Fixtures of the suite-runner tests: suite files in a temporary folder, and a live service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.suites.server import live_service

PASSING_FEATURE = """\
Feature: A user's own IRIS checks
  Scenario: Very low CD4 when ART is ordered
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 42 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert is warning

  Scenario Outline: Threshold
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of <cd4> cells/µL 5 days ago
    And efavirenz is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert <outcome>

    Examples:
      | cd4 | outcome       |
      | 60  | fires         |
      | 99  | fires         |
      | 150 | does not fire |
"""

FAILING_FEATURE = """\
Feature: Wrong on purpose
  Scenario: Expects critical where the rule says warning
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 42 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert is critical
"""


def scenario(cd4: float, art: str = "draft") -> dict[str, object]:
    """A project-JSON scenario: HIV, a CD4 count three days ago, dolutegravir ordered now."""
    return {
        "patient": {"birth_date": "1984-03-02", "sex": "male"},
        "evaluation_time": "2026-06-01T12:00:00Z",
        "conditions": [{"code": "B20"}],
        "observations": [{"kind": "cd4", "time": "2026-05-29", "value": cd4, "unit": "cells/uL"}],
        "medications": [{"ingredient": "dolutegravir", "status": "draft", "draft": True}],
    }


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    """A folder for suite files."""
    folder = tmp_path / "suite"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running service for the ``--url`` tests."""
    with live_service(tmp_path_factory.mktemp("service")) as url:
        yield url
