"""Exceptions the engine raises, each carrying where the problem is."""

from __future__ import annotations

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
    """A file in ``rules/`` is invalid. The message names the file and the field."""

    def __init__(self, path: str, field: str, message: str) -> None:
        self.path = path
        self.field = field
        self.detail = message
        super().__init__(f"{path}: {field}: {message}")


class ScenarioError(ClinrulesError):
    """Patient data that cannot be used: one :class:`FieldProblem` per wrong field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class EngineError(ClinrulesError):
    """The rules engine failed while evaluating (an action raised, or durable-rules reported an error)."""


class SafetyInvariantError(EngineError):
    """A safety rule that must accompany another finding did not fire. Never shown as a normal result."""
