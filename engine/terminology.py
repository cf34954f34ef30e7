"""Code recognition: one dictionary look-up per coding, over the hand-kept and published value sets.

The published codes (``rules/valuesets.published.json``, from ``scripts/build_valuesets.py``) and the
hand-kept ones (``rules/valuesets.yaml``) are folded at load time into one index per kind (conditions,
medications, observations): ``system -> code -> concepts``. ICD-10-CM, WHO ICD-10 and ICD-11 codes match their
children, so a code is also looked up by its shorter prefixes (at most one look-up per character); the most
specific entry that names a concept decides it: ``O80`` (delivery) leaves the ``O`` chapter (pregnancy).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("conditions", "medications", "observations")
HIERARCHICAL = frozenset({"icd10cm", "icd10", "icd11"})
"""Classifications whose codes match their children (B45 covers B45.1)."""

Index = dict[str, dict[str, frozenset[str]]]


@dataclass(frozen=True)
class Recognition:
    """Why a code means a concept: the code entry that matched and the source it comes from."""

    kind: str
    concept: str
    system: str
    code: str
    source: str
    excluded: bool = False


def _codes() -> defaultdict[str, set[str]]:
    """Indexed code -> concepts; a module-level factory, so that a loaded knowledge base can be pickled."""
    return defaultdict(set)


@dataclass
class _Entries:
    """Code entries of one kind before they are frozen: positive and excluding, with their sources.

    The sources are kept as added (one batch per code list) and indexed per code only when first asked
    for: only ``explain`` and the provenance tests read them, while every start-up adds some 20,000 codes.
    """

    include: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(_codes))
    exclude: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(_codes))
    batches: list[tuple[str, list[str], str, str]] = field(default_factory=list)
    _sources: dict[tuple[str, str, str], list[str]] | None = None

    @property
    def sources(self) -> dict[tuple[str, str, str], list[str]]:
        """(system, indexed code, concept) -> the sources that list it, in the order they were added."""
        if self._sources is None:
            table: dict[tuple[str, str, str], list[str]] = defaultdict(list)
            for system, keys, concept, source in self.batches:
                for key in keys:
                    table[(system, key, concept)].append(source)
            self._sources = table
        return self._sources


def normalise_code(system: str, code: str) -> str:
    """The form a code is indexed under: ICD codes upper-case without dots (and without ICD-11 extensions)."""
    code = code.strip()
    if system in HIERARCHICAL:
        if "&" in code or "/" in code:
            code = _EXTENSION.split(code, maxsplit=1)[0]
        return code.replace(".", "").upper()
    return code


_NOTHING: frozenset[str] = frozenset()
_MEMO_SIZE = 50_000
_EXTENSION = re.compile(r"[&/]")  # ICD-11 postcoordination: the stem code comes first
_UNIT_SPELLINGS = str.maketrans({"µ": "u", "μ": "u", "³": "3", "²": "2", "×": "x"})


def normalise_unit(unit: str) -> str:
    """A printed unit in a comparable form: micro signs as ``u``, superscripts as digits, no spaces."""
    return unicodedata.normalize("NFC", unit).translate(_UNIT_SPELLINGS).replace(" ", "")


class Terminology:
    """The code index of every value set, built once when the knowledge base loads."""

    def __init__(self, systems: Mapping[str, str], aliases: Mapping[str, str]) -> None:
        self._uri_to_name: dict[str, str] = {uri: name for name, uri in systems.items()}
        self._uri_to_name.update(aliases)
        self._names = frozenset(systems)
        self._entries = {kind: _Entries() for kind in KINDS}
        self._source_names: dict[str, str] = {}
        self._index: dict[str, Index] = {}
        self._excluded: dict[str, Index] = {}
        self._memo: dict[tuple[str, str, str], frozenset[str]] = {}

    # ---- building ---------------------------------------------------------------------------------------

    def add(
        self,
        kind: str,
        concept: str,
        system: str,
        codes: Iterable[str],
        source: str,
        *,
        exclude: bool = False,
    ) -> None:
        """Record that ``codes`` of ``system`` mean (or, with ``exclude``, do not mean) ``concept``."""
        entries = self._entries[kind]
        table = (entries.exclude if exclude else entries.include)[system]
        if system in HIERARCHICAL:
            keys = [normalise_code(system, code) for code in codes]
        else:
            keys = [code.strip() for code in codes]  # normalise_code of a non-hierarchical system
        for key in keys:
            table[key].add(concept)
        entries.batches.append((system, keys, concept, source if not exclude else f"{source} (excluded)"))
        entries._sources = None

    def add_published(self, data: Mapping[str, Any]) -> None:
        """Fold in the generated file: ``kind -> concept -> system -> source id -> codes``."""
        sources = data.get("sources", {})
        for key, about in sources.items():
            version = about.get("version") or ""
            self._source_names[key] = f"{about.get('name', key)}" + (
                f", version {version}" if version else ""
            )
        for kind in KINDS:
            for concept, systems in data.get(kind, {}).items():
                for system, by_source in systems.items():
                    for source, codes in by_source.items():
                        self.add(kind, concept, system, codes, self._source_names.get(source, source))

    def freeze(self) -> None:
        """Turn the entries into the look-up tables (sets become frozensets, shared where equal)."""
        for kind, entries in self._entries.items():
            self._index[kind] = _frozen(entries.include)
            self._excluded[kind] = _frozen(entries.exclude)

    # ---- systems ----------------------------------------------------------------------------------------

    def system_name(self, system: str | None) -> str | None:
        """The short name of a system given by URI (or already by short name); None if unknown."""
        if system is None:
            return None
        if system in self._names:
            return system
        return self._uri_to_name.get(system.strip()) or self._uri_to_name.get(system.strip().rstrip("/"))

    def is_known_system(self, uri: str | None) -> bool:
        """True for a code system the knowledge base reads (by URI, alias or short name)."""
        return self.system_name(uri) is not None

    # ---- look-ups ---------------------------------------------------------------------------------------

    def concepts(self, kind: str, system: str | None, code: str | None) -> frozenset[str]:
        """The concepts of ``kind`` a coding means; empty for an unknown system or a code of no interest."""
        name = self.system_name(system)
        if name is None or not code:
            return _NOTHING
        index = self._index[kind].get(name)
        if index is None:
            return _NOTHING
        if name not in HIERARCHICAL:
            return index.get(code.strip(), _NOTHING)
        memo_key = (kind, name, code)
        known = self._memo.get(memo_key)
        if known is not None:
            return known
        key = normalise_code(name, code)
        excluded = self._excluded[kind].get(name, {})
        found: set[str] = set()
        decided: set[str] = set()
        for end in range(len(key), 0, -1):
            prefix = key[:end]
            no = excluded.get(prefix)
            if no:
                decided |= no
            yes = index.get(prefix)
            if yes:
                found |= yes - decided
                decided |= yes
        result = frozenset(found) if found else _NOTHING
        if len(self._memo) >= _MEMO_SIZE:  # records repeat a few thousand codes; the cap bounds odd input
            self._memo.clear()
        self._memo[memo_key] = result
        return result

    def forget(self) -> None:
        """Empty the memo of hierarchical look-ups."""
        self._memo.clear()

    def explain(self, system: str | None, code: str) -> list[Recognition]:
        """Every entry that makes ``code`` mean a concept (or takes it out of one), with its sources."""
        name = self.system_name(system)
        if name is None:
            return []
        key = normalise_code(name, code)
        prefixes = [key[:end] for end in range(len(key), 0, -1)] if name in HIERARCHICAL else [key]
        found: list[Recognition] = []
        for kind, entries in self._entries.items():
            meant = self.concepts(kind, name, code)
            for prefix in prefixes:
                for table, excluded in ((entries.include, False), (entries.exclude, True)):
                    for concept in sorted(table.get(name, {}).get(prefix, ())):
                        if not excluded and concept not in meant:
                            continue
                        entry = _dotted(name, prefix)
                        for source in entries.sources[(name, prefix, concept)]:
                            found.append(Recognition(kind, concept, name, entry, source, excluded))
        return found

    def coverage(self, kind: str) -> dict[str, list[str]]:
        """Per concept of ``kind``, the code systems it is recognised in."""
        systems: dict[str, set[str]] = defaultdict(set)
        for system, codes in self._entries[kind].include.items():
            for concepts in codes.values():
                for concept in concepts:
                    systems[concept].add(system)
        return {c: sorted(s) for c, s in sorted(systems.items())}

    def counts(self, kind: str) -> dict[str, dict[str, int]]:
        """Per concept and system, how many codes are listed (distinct, after normalisation)."""
        table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for system, codes in self._entries[kind].include.items():
            for concepts in codes.values():
                for concept in concepts:
                    table[concept][system] += 1
        return {c: dict(sorted(s.items())) for c, s in sorted(table.items())}

    def codes_of(self, kind: str) -> list[tuple[str, str]]:
        """Every (system, code) listed for ``kind``, sorted: what a server can be asked for by code."""
        return sorted((s, _dotted(s, c)) for s, codes in self._entries[kind].include.items() for c in codes)

    def sources_of(self, kind: str) -> Iterable[tuple[str, str, str, list[str]]]:
        """Every (system, code, concept, sources) entry of ``kind``: the provenance tests walk this."""
        for (system, code, concept), sources in self._entries[kind].sources.items():
            yield system, code, concept, sources


def _dotted(system: str, key: str) -> str:
    """An indexed ICD code as people write it: B200 -> B20.0, 1C623 -> 1C62.3 (ICD-11 stems are 4 long)."""
    stem = 4 if system == "icd11" else 3
    return f"{key[:stem]}.{key[stem:]}" if system in HIERARCHICAL and len(key) > stem else key


def _frozen(table: Mapping[str, Mapping[str, set[str]]]) -> Index:
    shared: dict[frozenset[str], frozenset[str]] = {}
    out: Index = {}
    for system, codes in table.items():
        out[system] = {}
        for code, concepts in codes.items():
            value = frozenset(concepts)
            out[system][code] = shared.setdefault(value, value)
    return out
