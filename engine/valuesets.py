"""Value sets from ``rules/valuesets.yaml`` and the published codes it names: which codes, names and units
mean which clinical concept.

``valuesets.yaml`` holds what people keep: the code systems and their URIs, the observation units, the names
matched in free text, and the few codes no published value set covers (each with its reason). The published
codes, with their sources, are in the generated file it names (``published:``); see
``scripts/build_valuesets.py``. Look-ups go through :class:`engine.terminology.Terminology`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from engine.terminology import Recognition, Terminology, normalise_unit

HAND_KEPT = "hand-kept"


class _Strict(BaseModel):
    # Validators are built on first use: a knowledge base read from the cache (engine.kb_cache) needs none.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


Factor = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
"""A unit's conversion factor: a finite number above zero (0 would turn every result into 0)."""


class HandKept(_Strict):
    """Codes kept by hand, and why no published source gives them."""

    codes: list[str] = Field(min_length=1)
    reason: str = Field(min_length=10, description="Why these codes are kept by hand (no published source).")


class ObservationSet(_Strict):
    """An observation concept: anchor LOINC codes, canonical unit and conversion factors, or coded values."""

    loinc: list[str]
    reason: str = Field(
        default="KNOWLEDGE.md §4 anchor code", description="Where the anchor codes come from."
    )
    unit: str | None = None
    units: dict[str, Factor] = Field(default_factory=dict)
    values: dict[str, str] = Field(default_factory=dict, description="SNOMED CT answer code -> value.")
    answers: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Answer codes in other systems: system -> code -> value."
    )

    @cached_property
    def _normalised_units(self) -> dict[str, float]:
        return {normalise_unit(u): f for u, f in self.units.items()}

    def factor(self, unit: str | None) -> float | None:
        """The factor that converts ``unit`` to the canonical unit, or None if it is not a known spelling."""
        if unit is None:
            return None
        factor = self.units.get(unit)
        return factor if factor is not None else self._normalised_units.get(normalise_unit(unit))


class CodeSet(_Strict):
    """A condition or medication concept: names matched in text, and hand-kept codes per system."""

    text: list[str] = Field(default_factory=list)
    exclude_text: list[str] = Field(
        default_factory=list, description="Words that take a text match out of the set (e.g. topical)."
    )
    hand_kept: dict[str, HandKept] = Field(
        default_factory=dict, description="Codes per system, kept by hand."
    )
    excluded: dict[str, HandKept] = Field(
        default_factory=dict, description="Codes (and their children) that never mean this concept."
    )

    @cached_property
    def _text_pattern(self) -> re.Pattern[str] | None:
        return _names_pattern(self.text)

    @cached_property
    def _exclude_pattern(self) -> re.Pattern[str] | None:
        return _names_pattern(self.exclude_text)

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

    systems: dict[str, str] = Field(description="Short name -> the URI records use for the code system.")
    system_aliases: dict[str, str] = Field(default_factory=dict, description="Other URIs -> short name.")
    published: str | None = Field(default=None, description="The generated file of published codes.")
    observations: dict[str, ObservationSet]
    assessments: list[str]
    status_questions: dict[str, dict[str, HandKept]] = Field(
        default_factory=dict,
        description="Condition concept -> system -> the codes of questions whose coded answer states it.",
    )
    conditions: dict[str, CodeSet]
    medications: dict[str, CodeSet]

    def attach(self, published: dict[str, Any]) -> None:
        """Build the code index from the hand-kept codes here and the published ones given."""
        terms = Terminology(self.systems, self.system_aliases)
        checks: dict[str, dict[str, str]] = published.get("hand_kept_checks") or {}

        def add(kind: str, concept: str, system: str, codes: list[str], reason: str, exclude: bool) -> None:
            for code in codes:
                looked_up = checks.get(system, {}).get(code)
                source = f"{HAND_KEPT}: {reason}" + (f" [look-up: {looked_up}]" if looked_up else "")
                terms.add(kind, concept, system, [code], source, exclude=exclude)

        for kind, sets in (("conditions", self.conditions), ("medications", self.medications)):
            for concept, spec in sets.items():
                for system, kept in spec.hand_kept.items():
                    add(kind, concept, system, kept.codes, kept.reason, False)
                for system, kept in spec.excluded.items():
                    add(kind, concept, system, kept.codes, kept.reason, True)
        for kind_name, obs in self.observations.items():
            add("observations", kind_name, "loinc", obs.loinc, obs.reason, False)
        terms.add_published(published)
        terms.freeze()
        # Kept in the instance dict (as a cached property is): the hot path reads it without pydantic.
        self.__dict__["terminology"] = terms

    @cached_property
    def terminology(self) -> Terminology:
        """The code index (built by :func:`load_value_sets`; empty of codes if never attached)."""
        terms = Terminology(self.systems, self.system_aliases)
        terms.freeze()
        return terms

    def system_name(self, uri: str | None) -> str | None:
        """The short name (``icd10cm``) of a code system URI or short name; None if we do not read it."""
        return self.terminology.system_name(uri)

    def is_known_system(self, uri: str | None) -> bool:
        """True for a code system the knowledge base reads: a resource coded only otherwise cannot be read."""
        return self.terminology.is_known_system(uri)

    def condition_concepts(self, system: str | None, code: str | None, text: str | None) -> frozenset[str]:
        """The condition concepts a coding (system URI or short name) and a display text belong to."""
        found = self.terminology.concepts("conditions", system, code)
        if text:
            found = found | self._text_concepts("conditions", text)
        return found

    def medication_classes(
        self, ingredient: str | None, rxnorm: str | None, system: str | None = None
    ) -> frozenset[str]:
        """The medication classes of an ingredient or product name and a code (RxNorm unless ``system``)."""
        found = self.terminology.concepts("medications", system or "rxnorm", rxnorm)
        if ingredient:
            found = found | self._text_concepts("medications", ingredient)
        return found

    def _text_concepts(self, kind: str, text: str) -> frozenset[str]:
        """The concepts of ``kind`` whose names appear in ``text``, matched once per distinct text.

        Matching runs every concept's pattern over the text; records repeat the same few hundred names, so
        the answer is remembered (the memo is emptied when it reaches its cap, which bounds odd input).
        """
        memo = self._text_memo
        key = (kind, text)
        known = memo.get(key)
        if known is None:
            sets = self.conditions if kind == "conditions" else self.medications
            known = remember(memo, key, frozenset(c for c, spec in sets.items() if spec.matches_text(text)))
        return known

    @cached_property
    def _text_memo(self) -> dict[tuple[str, str], frozenset[str]]:
        return {}

    def forget(self) -> None:
        """Empty every memo of answers derived from these value sets (a measurement of first-sight cost)."""
        self.memos.clear()
        self._text_memo.clear()
        self.terminology.forget()

    @cached_property
    def memos(self) -> defaultdict[str, dict[Any, Any]]:
        """Dicts, private to these value sets, for answers derived from them (callers' memos of look-ups,
        by name: ``vs.memos["conversion"]``).

        Callers bound what they keep (see :func:`remember`); the value sets never change once loaded, so an
        answer stays right for as long as they are used.
        """
        return defaultdict(dict)

    def observation_kind(self, code: str, system: str | None = "http://loinc.org") -> str | None:
        """The observation concept a code (LOINC unless ``system`` says otherwise) stands for, if any."""
        found = self.terminology.concepts("observations", system, code)
        return min(found) if found else None

    def observation_value(self, kind: str, system: str | None, code: str | None) -> str | None:
        """The value a coded answer stands for (``pregnant`` for SNOMED CT 77386006 or CIEL 1065), if any."""
        spec = self.observations.get(kind)
        name = self.system_name(system)
        if spec is None or name is None or not code:
            return None
        if name == "snomed" and code in spec.values:
            return spec.values[code]
        return spec.answers.get(name, {}).get(code)

    def observation_codes(self) -> list[tuple[str, str]]:
        """(system URI, code) of every observation code recognised: what a CDS Hooks prefetch asks for."""
        return [(self.systems[s], c) for s, c in self.terminology.codes_of("observations")]

    def status_question_codes(self) -> list[tuple[str, str]]:
        """(system URI, code) of every status question (``status_questions``): asked for with the observations
        by a CDS Hooks prefetch, but never an observation kind (their answers are read as conditions)."""
        return [
            (self.systems[system], code)
            for systems in self.status_questions.values()
            for system, kept in systems.items()
            for code in kept.codes
        ]

    def unit_factor(self, kind: str, unit: str | None) -> float | None:
        """The factor converting ``unit`` to ``kind``'s canonical unit; None when it cannot be converted."""
        spec = self.observations.get(kind)
        return spec.factor(unit) if spec is not None else None

    def explain(self, code: str, system: str | None = None) -> list[Recognition]:
        """What ``code`` is recognised as, with the source of each (every system if ``system`` is None)."""
        systems = [system] if system else sorted(self.systems)
        return [r for s in systems for r in self.terminology.explain(s, code)]


_TEXT_MEMO_SIZE = 20_000


def remember(memo: dict[Any, Any], key: Any, value: Any, cap: int = _TEXT_MEMO_SIZE) -> Any:
    """Store ``value`` under ``key`` in a memo of at most ``cap`` entries (emptied when full); return it."""
    if len(memo) >= cap:
        memo.clear()
    memo[key] = value
    return value


_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})


def _names_pattern(names: list[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(
        re.escape(n) + (r"(?!\d)" if n[-1].isdigit() else "") for n in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])", re.IGNORECASE)
