"""Exceptions the engine raises, each carrying where the problem is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field: a dotted location (``observations.2.unit``) and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ClinrulesError(Exception):
    """Base class of every error clinrules raises on purpose."""


class KnowledgeBaseError(ClinrulesError):
    """A file in ``rules/`` is invalid. The message names the file and the field; ``also`` holds further
    wrong fields of the same file, (field, message) each, and the message gives one line to each."""

    def __init__(self, path: str, field: str, message: str, also: Sequence[tuple[str, str]] = ()) -> None:
        self.path = path
        self.field = field
        self.detail = message
        self.also = tuple(also)
        super().__init__("\n".join(f"{path}: {f}: {m}" for f, m in self.problems))

    @property
    def problems(self) -> list[tuple[str, str]]:
        """Every wrong field named, (field, message), the first one first."""
        return [(self.field, self.detail), *self.also]


class ScenarioError(ClinrulesError):
    """Patient data that cannot be used: one :class:`FieldProblem` per wrong field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class EngineError(ClinrulesError):
    """The rules engine failed while evaluating (an action raised, or durable-rules reported an error)."""


class SafetyInvariantError(EngineError):
    """A safety rule that must accompany another finding did not fire. Never shown as a normal result."""
