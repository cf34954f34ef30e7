"""The shipped value sets, loaded once for the terminology tests."""

from __future__ import annotations

import pytest

from engine.valuesets import ValueSets, default_value_sets


@pytest.fixture(scope="module")
def vs() -> ValueSets:
    return default_value_sets()
