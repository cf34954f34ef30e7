"""What the intake says about its input: problems (not valid FHIR where a rule reads), notes (data left out),
and the code systems it could not read."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from engine.errors import FieldProblem
from engine.fhir.models import convert

M = TypeVar("M")

_INDEX = re.compile(r"\[(\d+)\]")
_EXPECTED = re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`")
_JSON_TYPES = {
    "float": "a number",
    "int": "a number",
    "str": "a string",
    "bool": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _readable(message: str) -> str:
    """msgspec's "Expected `float | null`, got `str`" in words: "must be a number, not a string"."""
    match = _EXPECTED.search(message)
    if match is None:
        return " ".join(message.split())
    wanted = [_JSON_TYPES.get(t.strip(), t.strip()) for t in match["want"].split("|")]
    wanted = [w for w in wanted if w != "null"] or ["null"]
    got = _JSON_TYPES.get(match["got"], match["got"])
    return f"must be {' or '.join(wanted)}, not {got}"


def _read(model: type[M], data: Any, where: str) -> tuple[M | None, tuple[str, str] | None]:
    """``data`` read as a narrow model, or None and the wrong element's path and what is wrong with it."""
    try:
        return convert(data, model), None
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `$")
        path = _INDEX.sub(r".\1", path.rstrip("`")).lstrip(".")
        return None, (f"{where}.{path}" if path else where, _readable(message))
    except (OverflowError, SystemError):
        # msgspec cannot turn an integer of hundreds of digits into a float (and says so oddly).
        return None, (where, "a number is out of range")


# How each kind of resource left unread is named in the data-quality note.
_UNREAD = {"Condition": "conditions", "Observation": "observations", "Medication": "medications"}


@dataclass
class Report:
    """Collects problems and notes while one request is read."""

    notes: list[str] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    unread: Counter[tuple[str, str]] = field(default_factory=Counter)
    next_links: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Data that is valid but cannot be used: left out, and said."""
        self.notes.append(message)

    def invalid(self, where: str, message: str) -> None:
        """Input that is not valid FHIR where a rule reads it: a problem for the caller, and a note."""
        self.problems.append(FieldProblem(where, message))
        self.notes.append(f"{where}: {message}; left out")

    def unread_systems(self, kind: str, systems: set[str]) -> None:
        """A resource coded only in systems the knowledge base does not read (counted per system)."""
        for system in systems:
            self.unread[(kind, system)] += 1

    def validate(self, model: type[M], data: Any, where: str) -> M | None:
        """``data`` read as a narrow model, or None with a problem naming the wrong element's path."""
        read, fault = _read(model, data, where)
        if fault is not None:
            self.invalid(*fault)
        return read

    def read_or_note(self, model: type[M], data: Any, where: str) -> M | None:
        """``data`` read as a narrow model, or None with a note (not a problem) naming the wrong element's
        path: for an element read only as a fallback, whose fault must not refuse the request."""
        read, fault = _read(model, data, where)
        if fault is not None:
            self.note(f"{fault[0]}: {fault[1]}; not used")
        return read

    def finish(self) -> list[str]:
        """The notes, each once, with one note per kind of resource that was coded only in unread systems."""
        kinds: dict[str, list[str]] = {}
        for (kind, system), count in sorted(self.unread.items()):
            kinds.setdefault(kind, []).append(f"{system} ({count})")
        for kind, systems in kinds.items():
            self.notes.append(
                f"{_UNREAD.get(kind, kind)} coded only in code systems the knowledge base does not read, "
                f"so not checked by any rule: {', '.join(systems)}"
            )
        if len(set(self.notes)) < len(self.notes):  # the same warning on each fetched page is said once
            self.notes = list(dict.fromkeys(self.notes))
        return self.notes
