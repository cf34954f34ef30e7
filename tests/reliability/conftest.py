"""Reliability harness: one compiled engine per session, and a fixed hypothesis profile for stable CI.

Every property test sets its own ``max_examples``; the profile derandomizes (the same examples on every
run, so CI is stable) and lifts the per-example deadline (the first evaluation compiles caches).
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.reliability.invariants", "tests.reliability.soak")

from hypothesis import HealthCheck, settings  # noqa: E402

from engine.evaluator import Evaluator  # noqa: E402
from engine.knowledge import load_knowledge_base  # noqa: E402
from tests.reliability.oracle import RawRule, load_raw_rules  # noqa: E402

settings.register_profile(
    "reliability",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RELIABILITY = settings.get_profile("reliability")


@pytest.fixture(scope="session")
def evaluator() -> Evaluator:
    """The shipped rules, compiled once."""
    return Evaluator(load_knowledge_base())


@pytest.fixture(scope="session")
def raw_rules() -> dict[str, RawRule]:
    """The shipped rules read straight from YAML by the independent oracle."""
    return load_raw_rules()
