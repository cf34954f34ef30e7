"""The patient data behind each derived fact, for explanations: noted while deriving, written when read.

Derivation notes what supports every fact it sets, but a finding cites only the facts of its own
conditions, so most of these descriptions are never read. They are kept as iterables (or functions giving
them) and formatted the first time a fact's support is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

Described = Iterable[str] | Callable[[], Iterable[str]]
"""Descriptions of patient data, or a function that writes them (called at most once)."""


class Support(Mapping[str, list[str]]):
    """Fact name -> descriptions of the patient data behind it; a fact with none is absent."""

    def __init__(self) -> None:
        self._noted: dict[str, list[Described]] = {}
        self._written: dict[str, list[str]] = {}

    def note(self, fact: str, items: Described) -> None:
        """Add descriptions for ``fact``. Whatever ``items`` reads must not change afterwards: it is read
        later, if at all."""
        self._noted.setdefault(fact, []).append(items)

    def each(self, fact: str, describe: Callable[[T], str], items: Sequence[T]) -> None:
        """Add one description per item for ``fact`` (nothing when there are no items)."""
        if items:
            self._noted.setdefault(fact, []).append(map(describe, items))

    def get(self, fact: str, default: list[str] | None = None) -> list[str] | None:  # type: ignore[override]
        """The descriptions for ``fact``, or ``default`` when it has none (as ``dict.get``)."""
        return self._write(fact) or default

    def _write(self, fact: str) -> list[str]:
        written = self._written.get(fact)
        if written is None:
            written = self._written[fact] = [
                text
                for items in self._noted.get(fact, ())
                for text in (items() if callable(items) else items)
            ]
        return written

    def __getitem__(self, fact: str) -> list[str]:
        written = self._write(fact)
        if not written:
            raise KeyError(fact)
        return written

    def __iter__(self) -> Iterator[str]:
        return (fact for fact in list(self._noted) if self._write(fact))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Support({dict(self)!r})"
