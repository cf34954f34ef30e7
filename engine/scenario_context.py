"""Which value sets a scenario is read with: the validation context that carries them.

A command or service that loaded a rules folder reads every scenario with that folder's value sets, so that
a code, name or unit its ``valuesets.yaml`` adds is recognised: it validates with
``Scenario.model_validate(data, context=reading(kb.value_sets))``, which pydantic hands to every nested
model. Without a context, the shipped value sets (``rules/``, or ``$CLINRULES_RULES_DIR``) are used.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo

from engine.valueset_files import default_value_sets
from engine.valuesets import ValueSets

VALUE_SETS = "value_sets"
"""The validation context key of the :class:`ValueSets` a scenario's codes, texts and units are read with."""


def reading(value_sets: ValueSets | None) -> dict[str, Any] | None:
    """The validation context that reads a scenario with ``value_sets`` (None: the shipped value sets)."""
    return None if value_sets is None else {VALUE_SETS: value_sets}


def value_sets_of(info: ValidationInfo) -> ValueSets:
    """The value sets of a model validator's context, else the shipped ones."""
    context = info.context
    if isinstance(context, dict):
        value_sets = context.get(VALUE_SETS)
        if isinstance(value_sets, ValueSets):
            return value_sets
    return default_value_sets()
