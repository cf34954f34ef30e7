"""Reading the value-set files: ``valuesets.yaml`` and the published codes it names, checked, and the
shipped value sets loaded once per process (and read again only when their files change)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import KnowledgeBaseError
from engine.rule_files import schema_error
from engine.valuesets import ValueSets
from engine.yaml_files import parse_yaml, read_text, read_yaml


def value_set_files(path: Path, loaded: ValueSets | None = None) -> list[Path]:
    """``valuesets.yaml`` and the published file it names (what the knowledge-base version hashes); the
    name is taken from ``loaded`` (the value sets read from ``path``) rather than reading the file again."""
    if loaded is not None:
        return [path] + ([path.parent / loaded.published] if loaded.published else [])
    files = [path]
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8 or not YAML: the loader reports it
        return files
    if isinstance(data, dict) and isinstance(data.get("published"), str):
        files.append(path.parent / data["published"])
    return files


def load_value_sets(path: Path) -> ValueSets:
    """Read and validate ``valuesets.yaml`` and its published codes; a wrong field raises an error."""
    data = read_yaml(path)
    try:
        value_sets = ValueSets.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, path) from exc
    _check_names(value_sets, path)
    published: dict[str, Any] = {}
    if value_sets.published:
        published_path = path.parent / value_sets.published
        text = read_text(published_path)
        try:
            published = json.loads(text)
        except ValueError as exc:
            raise KnowledgeBaseError(str(published_path), "(file)", str(exc)) from exc
        _check_published(published, published_path, value_sets)
    value_sets.attach(published)
    return value_sets


def _check_names(value_sets: ValueSets, path: Path) -> None:
    """Every name the engine or another part of the file refers to is defined: the concepts derivation
    reads, the observation kinds, and the code systems of aliases, hand-kept codes and status questions."""
    from engine.derive.concepts import CONDITIONS, MEDICATIONS
    from engine.scenario_enums import ASSESSMENTS, ObservationKind

    def refuse(field: str, message: str) -> None:
        raise KnowledgeBaseError(str(path), field, message)

    known = f"the systems are {', '.join(value_sets.systems)}"
    for kind, needed, defined in (
        ("conditions", CONDITIONS, value_sets.conditions),
        ("medications", MEDICATIONS, value_sets.medications),
        ("observations", {k.value for k in ObservationKind if k not in ASSESSMENTS}, value_sets.observations),
        ("assessments", {k.value for k in ASSESSMENTS}, value_sets.assessments),
    ):
        for name in sorted(set(needed) - set(defined)):
            refuse(kind, f"'{name}' is missing: the engine reads this concept by name")
        for name in sorted(set(defined) - set(needed)) if kind in ("observations", "assessments") else ():
            refuse(f"{kind}.{name}", "not an observation kind the engine reads")
    for uri, name in value_sets.system_aliases.items():
        if name not in value_sets.systems:
            refuse(f"system_aliases.{uri}", f"unknown code system '{name}': {known}")
    for kind, sets in (("conditions", value_sets.conditions), ("medications", value_sets.medications)):
        for concept, spec in sets.items():
            for key, kept in (("hand_kept", spec.hand_kept), ("excluded", spec.excluded)):
                for system in kept:
                    if system not in value_sets.systems:
                        refuse(
                            f"{kind}.{concept}.{key}.{system}",
                            f"unknown code system '{system}': {known} (a URI alias is not a key here)",
                        )
    for concept, systems in value_sets.status_questions.items():
        if concept not in value_sets.conditions:
            refuse(f"status_questions.{concept}", "not a condition concept")
        for system in systems:
            if system not in value_sets.systems:
                refuse(f"status_questions.{concept}.{system}", f"unknown code system '{system}': {known}")


def _check_published(data: Any, path: Path, value_sets: ValueSets) -> None:
    """The generated file's shape: every code list under a concept of ``valuesets.yaml``, a known system
    and a listed source."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise KnowledgeBaseError(str(path), "sources", "missing: every code needs its source")
    for kind in ("conditions", "medications", "observations"):
        defined = getattr(value_sets, kind)
        for concept, systems in (data.get(kind) or {}).items():
            if concept not in defined:
                raise KnowledgeBaseError(
                    str(path), f"{kind}.{concept}", f"not a concept of valuesets.yaml's {kind}"
                )
            for system, by_source in systems.items():
                if system not in value_sets.systems:
                    raise KnowledgeBaseError(str(path), f"{kind}.{concept}.{system}", "unknown code system")
                for source, codes in by_source.items():
                    if source not in data["sources"]:
                        raise KnowledgeBaseError(
                            str(path), f"{kind}.{concept}.{system}.{source}", "unknown source"
                        )
                    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
                        raise KnowledgeBaseError(
                            str(path), f"{kind}.{concept}.{system}.{source}", "not a code list"
                        )


_DEFAULT: ValueSets | None = None
_DEFAULT_STAMP: tuple[tuple[int, int], ...] = ()


def _stamp(path: Path, value_sets: ValueSets) -> tuple[tuple[int, int], ...]:
    """When and how large the files of ``value_sets`` (read from ``path``) are: what says they changed."""
    files = value_set_files(path, value_sets)
    try:
        return tuple((s.st_mtime_ns, s.st_size) for s in (f.stat() for f in files))
    except OSError:
        return ()


def _default_path() -> Path:
    from engine.paths import default_rules_dir

    return default_rules_dir() / "valuesets.yaml"


def _is_default(path: Path) -> bool:
    return path.resolve() == _default_path().resolve()


def default_value_sets() -> ValueSets:
    """The value sets shipped in the project's ``rules/`` folder (cached)."""
    global _DEFAULT, _DEFAULT_STAMP
    if _DEFAULT is None:
        path = _default_path()
        _DEFAULT = load_value_sets(path)
        _DEFAULT_STAMP = _stamp(path, _DEFAULT)
    return _DEFAULT


def shared_value_sets(path: Path) -> ValueSets:
    """The value sets in ``path``: the default ones (loaded once per process) when ``path`` is the default
    file and its files are unchanged since they were loaded; otherwise read from ``path`` now."""
    if _is_default(path):
        value_sets = default_value_sets()
        if _DEFAULT_STAMP and _stamp(path, value_sets) == _DEFAULT_STAMP:
            return value_sets
    return load_value_sets(path)


def adopt_default(value_sets: ValueSets, path: Path) -> None:
    """Take ``value_sets``, read from ``path``, as this process's default value sets when ``path`` is the
    default file and none are loaded yet (a knowledge base read from the cache brings its own)."""
    global _DEFAULT, _DEFAULT_STAMP
    if _DEFAULT is None and _is_default(path):
        _DEFAULT, _DEFAULT_STAMP = value_sets, _stamp(path, value_sets)
