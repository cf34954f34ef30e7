"""The scenario's own validation errors: each names one field, and some carry a mark saying that the item
may be left out with a note (:func:`engine.validation.scenario_with_notes`) rather than refuse the
scenario."""

from __future__ import annotations

from pydantic_core import PydanticCustomError

__all__ = ["END_BEFORE_START", "UNCONVERTIBLE", "field_error"]

UNCONVERTIBLE = "unconvertible"
"""The mark of the error for a measurement in a unit that cannot be converted: its note text."""
END_BEFORE_START = "end_before_start"
"""The mark of the error for a medication that ends before it starts: its note text."""


def field_error(field: str, message: str, **marks: str) -> PydanticCustomError:
    """A validation error pinned to one field of the model being validated, with its ``marks``."""
    return PydanticCustomError(
        "clinrules", "{field}: {message}", {"field": field, "message": message, **marks}
    )
