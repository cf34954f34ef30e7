"""What the code of a condition or a medication means, worked out once per distinct code.

A condition's ``code`` or a medication's ``medicationCodeableConcept`` (codings, displays, text) decides the
scenario fields (the primary code, every coding, the name) and the concepts they are recognised as. That
depends on the code alone, and records repeat the same few hundred codes across patients, so the answer is
remembered per distinct code (in the value sets' memo, bounded) rather than worked out per resource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.fhir import items
from engine.fhir import terminology as terms
from engine.fhir.models import CodeableConcept
from engine.scenario import CodeSystem, Coding
from engine.valuesets import ValueSets, remember

MAX_TEXT = 500  # Condition.text and Medication.ingredient limits in engine.scenario
MAX_CODINGS = 32


@dataclass(frozen=True, slots=True)
class Meaning:
    """The scenario fields a code gives, and what they are recognised as (``system`` is a condition's).

    ``coded`` and ``concepts`` are None when the fields are not already in the form the scenario model keeps
    (an unstripped or overlong value): the model then validates them and says what is wrong.
    """

    code: str | None
    system: CodeSystem | None
    codings: list[dict[str, str]]
    name: str | None
    coded: list[Coding] | None
    concepts: list[str] | None
    unread: frozenset[str]  # its code systems, when the knowledge base reads none of them


def codings_of(concept: CodeableConcept | None) -> list[dict[str, str]]:
    """Every coding with a system and a code, as the scenario keeps them (``Coding``)."""
    if concept is None:
        return []
    out = [
        {"system": c.system, "code": c.code}
        for c in concept.coding
        if c.system and c.code and len(c.system) <= 256 and len(c.code) <= 64
    ]
    return out[:MAX_CODINGS]


def names_of(*texts: str | None, recognise: Callable[[str], frozenset[str]]) -> str | None:
    """The first name, plus any other name recognised as something the first is not, joined with ``; ``.

    So "TLD tablet" becomes "TLD tablet; dolutegravir 50 MG / lamivudine ..." (the display names the
    ingredients; a brand in ``text`` must not hide them), while a display that only repeats what the text
    says is not appended. Every coding is passed on besides, so nothing is lost for codes.
    """
    seen: set[str] = set()
    names: list[str] = []
    for text in texts:
        cleaned = text.strip() if text else ""
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            names.append(cleaned)
    if len(names) < 2:
        return names[0] if names else None
    kept = [names[0]]
    known = set(recognise(names[0]))
    for other in names[1:]:
        found = recognise(other)
        if not found <= known:
            kept.append(other)
            known |= found
    return "; ".join(kept)[:MAX_TEXT]


def _unread(vs: ValueSets, concept: CodeableConcept | None) -> frozenset[str]:
    systems = {c.system or "(no system)" for c in concept.coding if c.code} if concept is not None else set()
    return frozenset(systems) if systems and not any(terms.known_system(vs, s) for s in systems) else _NONE


_NONE: frozenset[str] = frozenset()


def _key(concept: CodeableConcept | None, *more: str | None) -> tuple[object, ...]:
    if concept is None:
        return (None, (), *more)
    return (concept.text, tuple([(c.system, c.code, c.display) for c in concept.coding]), *more)


def condition_meaning(vs: ValueSets, concept: CodeableConcept) -> Meaning | None:
    """The fields and concepts of a Condition's code; None when it has neither a coding nor a name."""
    memo = vs.memos["condition-meaning"]
    key = _key(concept)
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    codings = codings_of(concept)
    primary = next((c for c in codings if vs.system_name(c["system"]) == "icd10cm"), None) or next(
        (c for c in codings if vs.system_name(c["system"]) == "snomed"), None
    )
    text = names_of(
        concept.text,
        *(c.display for c in concept.coding),
        recognise=lambda t: vs.condition_concepts(None, None, t),
    )
    meaning: Meaning | None = None
    if codings or text:
        code = primary["code"] if primary and len(primary["code"]) <= 32 else None
        system = CodeSystem(vs.system_name(primary["system"]) or "icd10cm") if primary else CodeSystem.icd10cm
        coded = items.codings(codings)
        if coded is not None and items.condition_fields_clean(code, text, coded):
            concepts = items.condition_concepts(vs, system, code, text, coded)
            meaning = Meaning(code, system, codings, text, coded, concepts, _unread(vs, concept))
        else:
            meaning = Meaning(code, system, codings, text, None, None, _unread(vs, concept))
    return remember(memo, key, meaning)  # type: ignore[no-any-return]


def medication_meaning(vs: ValueSets, concept: CodeableConcept | None, display: str | None) -> Meaning | None:
    """The fields and classes of a medication's code (and its reference's display); None when it has
    neither a coding nor a name (a draft order with no drug chosen yet)."""
    memo = vs.memos["medication-meaning"]
    key = _key(concept, display)
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    codings = codings_of(concept)
    names = names_of(
        concept.text if concept else None,
        *(c.display for c in (concept.coding if concept else [])),
        display,
        recognise=lambda t: vs.medication_classes(t, None),
    )
    meaning: Meaning | None = None
    if codings or names:
        rxnorm = next(
            (c["code"] for c in codings if vs.system_name(c["system"]) == "rxnorm" and len(c["code"]) <= 32),
            None,
        )
        ingredient = names or terms.code_label(codings[0]["system"], codings[0]["code"])
        coded = items.codings(codings)
        if coded is not None and items.medication_fields_clean(ingredient, rxnorm, coded):
            classes = items.medication_classes(vs, ingredient, rxnorm, coded)
            meaning = Meaning(rxnorm, None, codings, ingredient, coded, classes, _unread(vs, concept))
        else:
            meaning = Meaning(rxnorm, None, codings, ingredient, None, None, _unread(vs, concept))
    return remember(memo, key, meaning)  # type: ignore[no-any-return]
