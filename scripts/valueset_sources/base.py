"""The builder's state: sources and the codes collected per kind, concept, system and source."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from valueset_sources.meaning import ICD10_WHO, NOT_IN_CONCEPT_WHO, NOT_PREGNANCY_WHO, means, under

Codes = dict[str, dict[str, dict[str, set[str]]]]  # concept -> system -> source -> codes


class BuilderBase:
    """Collects codes per concept, system and source; readers add to it."""

    def __init__(self, terminology: Path) -> None:
        self.t = terminology
        self.sources: dict[str, dict[str, str]] = {}
        self.codes: dict[str, Codes] = {
            k: defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
            for k in ("conditions", "medications", "observations")
        }
        self.rejected: list[str] = []

    def source(self, key: str, **about: str) -> str:
        self.sources.setdefault(key, about)
        return key

    def add(self, kind: str, concept: str, system: str, source: str, code: str) -> None:
        self.codes[kind][concept][system][source].add(code.strip())

    @staticmethod
    def who_icd10_concepts(code: str, title: str) -> set[str]:
        found = set()
        for concept, prefixes in ICD10_WHO.items():
            if under(code, prefixes) and not under(code, NOT_IN_CONCEPT_WHO.get(concept, ["~"])):
                found.add(concept)
        if "pregnancy" in found and under(code, NOT_PREGNANCY_WHO):
            found.discard("pregnancy")
        if under(code, ["B20", "B21", "B22", "B23"]):
            # B20.0 "HIV disease resulting in mycobacterial infection" is where WHO ICD-10 puts HIV with TB.
            if under(code, ["B20.0"]):
                found |= {"tuberculosis", "iris-associated"}
            for concept in ("iris-associated", "kaposi-sarcoma"):
                if means(concept, title):
                    found.add(concept)
        return found
