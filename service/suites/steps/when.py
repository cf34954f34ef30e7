"""When steps: evaluate the patient the Given steps described."""

from __future__ import annotations

import pytest
from pytest_bdd import when

from service.suites.steps.patient import PatientBuilder
from service.suites.steps.target import Alert, Target


@pytest.fixture
def alerts() -> list[Alert]:
    """The alerts of the scenario; replaced by the When step. Asking for them before it is an error."""
    pytest.fail('no alerts yet: add "When the rules are evaluated" before the Then steps')


@when("the rules are evaluated", target_fixture="alerts")
def when_evaluated(patient: PatientBuilder, clinrules_target: Target) -> list[Alert]:
    """Evaluate the patient with the rules engine (or the service the runner targets) at today's time.

    Every Then step checks the alerts this step returned, in the order they are shown (most urgent first).

    Example: When the rules are evaluated
    """
    return clinrules_target.evaluate(patient.build())
