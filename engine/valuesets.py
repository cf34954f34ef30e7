"""Value sets from ``rules/valuesets.yaml``: which codes, names and units mean which clinical concept."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import KnowledgeBaseError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObservationSet(_Strict):
    """An observation concept: LOINC codes, canonical unit and conversion factors, or coded values."""

    loinc: list[str]
    unit: str | None = None
    units: dict[str, float] = Field(default_factory=dict)
    values: dict[str, str] = Field(default_factory=dict)


class CodeSet(_Strict):
    """A condition or medication concept: codes per system (prefixes, children match) and names."""

    icd10cm: list[str] = Field(default_factory=list)
    snomed: list[str] = Field(default_factory=list)
    rxnorm: list[str] = Field(default_factory=list)
    text: list[str] = Field(default_factory=list)
    exclude_text: list[str] = Field(
        default_factory=list, description="Words that take a text match out of the set (e.g. topical)."
    )

    @cached_property
    def _prefixes(self) -> tuple[str, ...]:
        return tuple(_dotless(c) for c in self.icd10cm)

    @cached_property
    def _text_pattern(self) -> re.Pattern[str] | None:
        return _names_pattern(self.text)

    @cached_property
    def _exclude_pattern(self) -> re.Pattern[str] | None:
        return _names_pattern(self.exclude_text)

    def matches_code(self, system: str, code: str) -> bool:
        """True when ``code`` in ``system`` (short name: icd10cm, snomed, rxnorm) is in this set."""
        if system == "icd10cm":
            return _dotless(code).startswith(self._prefixes) if self._prefixes else False
        if system == "snomed":
            return code.strip() in self.snomed
        if system == "rxnorm":
            return code.strip() in self.rxnorm
        return False

    def matches_text(self, text: str | None) -> bool:
        """True when a name in this set appears in ``text``, case-insensitively, and no excluding word does.

        A name matches when no letter touches it, so product texts such as ``Thalidomide-Celgene 50 mg``,
        ``THALIDOMIDE_50MG`` or ``thalidomide100mg`` are recognised; a name ending in a digit (``IL-2``)
        must not run on into another digit (``IL-21``).
        """
        pattern = self._text_pattern
        if not text or pattern is None:
            return False
        normalised = text.translate(_DASHES)
        if pattern.search(normalised) is None:
            return False
        exclude = self._exclude_pattern
        return exclude is None or exclude.search(normalised) is None


class ValueSets(_Strict):
    """Every value set the engine recognises patient data with."""

    systems: dict[str, str]
    observations: dict[str, ObservationSet]
    assessments: list[str]
    conditions: dict[str, CodeSet]
    medications: dict[str, CodeSet]

    def system_name(self, uri: str | None) -> str | None:
        """The short name (``icd10cm``) of a code system URI, or None if it is not one we know."""
        if uri is None:
            return None
        for name, known in self.systems.items():
            if known == uri:
                return name
        return None

    def condition_concepts(self, system: str | None, code: str | None, text: str | None) -> frozenset[str]:
        """The condition concepts a coding (short system name) and a display text belong to."""
        found = set()
        for concept, codes in self.conditions.items():
            if (system and code and codes.matches_code(system, code)) or codes.matches_text(text):
                found.add(concept)
        return frozenset(found)

    def medication_classes(self, ingredient: str | None, rxnorm: str | None) -> frozenset[str]:
        """The medication classes an ingredient name (or product text) and an RxNorm code belong to."""
        found = set()
        for concept, codes in self.medications.items():
            if (rxnorm and codes.matches_code("rxnorm", rxnorm)) or codes.matches_text(ingredient):
                found.add(concept)
        return frozenset(found)

    def observation_kind(self, loinc: str) -> str | None:
        """The observation concept a LOINC code stands for, if any."""
        for kind, spec in self.observations.items():
            if loinc in spec.loinc:
                return kind
        return None


_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})


def _names_pattern(names: list[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(
        re.escape(n) + (r"(?!\d)" if n[-1].isdigit() else "") for n in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])", re.IGNORECASE)


def _dotless(code: str) -> str:
    return code.replace(".", "").strip().upper()


def load_value_sets(path: Path) -> ValueSets:
    """Read and validate ``valuesets.yaml``; a wrong field raises :class:`KnowledgeBaseError`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(str(path), "(file)", str(exc)) from exc
    try:
        return ValueSets.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise KnowledgeBaseError(str(path), ".".join(str(p) for p in err["loc"]), err["msg"]) from exc


_DEFAULT: ValueSets | None = None


def default_value_sets() -> ValueSets:
    """The value sets shipped in the project's ``rules/`` folder (cached)."""
    global _DEFAULT
    if _DEFAULT is None:
        from engine.paths import default_rules_dir

        _DEFAULT = load_value_sets(default_rules_dir() / "valuesets.yaml")
    return _DEFAULT
