"""The intake's questions to the terminology (value sets): one function each, so each has one call site.

The intake never decides what a code means. It asks these four questions, and passes every coding, text and
unit on to the scenario model, which recognises concepts with the value sets.
"""

from __future__ import annotations

from engine.scenario import ObservationKind
from engine.valuesets import ValueSets, remember

UCUM = "http://unitsofmeasure.org"

# How a code without a display is labelled for a reader ("ATC L04AX02"); systems not listed show their URI.
_LABELS = {
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://www.whocc.no/atc": "ATC",
    "http://snomed.info/sct": "SNOMED CT",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://id.who.int/icd/release/11/mms": "ICD-11",
    "http://loinc.org": "LOINC",
    "https://cielterminology.org": "CIEL",
    "https://openconceptlab.org/orgs/CIEL/sources/CIEL": "CIEL",
    "http://smart.who.int/hiv/CodeSystem/HIVConcepts": "WHO SMART HIV",
}


def known_system(vs: ValueSets, uri: str | None) -> bool:
    """Whether the knowledge base reads codes of the system ``uri`` at all."""
    return vs.is_known_system(uri)


def observation_kind(vs: ValueSets, system: str | None, code: str) -> ObservationKind | None:
    """The observation concept a coding stands for (CD4, viral load, eGFR, pregnancy, an assessment).

    Remembered per distinct (system, code): a record repeats the same few codes many times."""
    memo = vs.memos["observation-kind"]
    key = (system, code)
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    return remember(memo, key, _observation_kind(vs, system, code))  # type: ignore[no-any-return]


def _observation_kind(vs: ValueSets, system: str | None, code: str) -> ObservationKind | None:
    if vs.system_name(system) == "assessment":
        return ObservationKind(code) if code in vs.assessments else None
    found = vs.observation_kind(code, system)
    return ObservationKind(found) if found is not None else None


def unit_factor(vs: ValueSets, kind: ObservationKind, unit: str) -> float | None:
    """The factor that turns a value in ``unit`` (a UCUM code or a printed unit) into the canonical unit."""
    memo = vs.memos["unit-factor"]
    key = (kind.value, unit)
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    return remember(memo, key, vs.unit_factor(kind.value, unit))  # type: ignore[no-any-return]


def canonical_unit(vs: ValueSets, kind: ObservationKind) -> str | None:
    """The unit measurements of ``kind`` are kept in."""
    return vs.observations[kind.value].unit


def pregnancy_value(vs: ValueSets, system: str | None, code: str | None) -> str | None:
    """``pregnant`` / ``not-pregnant`` for a coded pregnancy status answer, else None."""
    return vs.observation_value(ObservationKind.pregnancy_status.value, system, code)


def code_label(system: str, code: str) -> str:
    """A readable name for a code that comes without a text or display, such as ``ATC L04AX02``."""
    return f"{_LABELS.get(system, system)} {code}"
