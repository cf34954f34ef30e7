"""The shipped value sets, loaded once for the terminology tests."""

from __future__ import annotations

import pytest

from engine.valueset_files import default_value_sets
from engine.valuesets import ValueSets


@pytest.fixture(scope="module")
def vs() -> ValueSets:
    return default_value_sets()
