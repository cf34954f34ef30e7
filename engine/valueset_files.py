"""Reading the value-set files: ``valuesets.yaml`` and the published codes it names, checked, and the
shipped value sets loaded once per process (and read again only when their files change)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import KnowledgeBaseError
from engine.rule_files import YamlSyntaxError, parse_yaml
from engine.valuesets import ValueSets


def value_set_files(path: Path, loaded: ValueSets | None = None) -> list[Path]:
    """``valuesets.yaml`` and the published file it names (what the knowledge-base version hashes); the
    name is taken from ``loaded`` (the value sets read from ``path``) rather than reading the file again."""
    if loaded is not None:
        return [path] + ([path.parent / loaded.published] if loaded.published else [])
    files = [path]
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, YamlSyntaxError):
        return files
    if isinstance(data, dict) and isinstance(data.get("published"), str):
        files.append(path.parent / data["published"])
    return files


def load_value_sets(path: Path) -> ValueSets:
    """Read and validate ``valuesets.yaml`` and its published codes; a wrong field raises an error."""
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, YamlSyntaxError) as exc:
        raise KnowledgeBaseError(str(path), "(file)", str(exc)) from exc
    try:
        value_sets = ValueSets.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise KnowledgeBaseError(str(path), ".".join(str(p) for p in err["loc"]), err["msg"]) from exc
    published: dict[str, Any] = {}
    if value_sets.published:
        published_path = path.parent / value_sets.published
        try:
            published = json.loads(published_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(str(published_path), "(file)", str(exc)) from exc
        _check_published(published, published_path, value_sets)
    value_sets.attach(published)
    return value_sets


def _check_published(data: Any, path: Path, value_sets: ValueSets) -> None:
    """The generated file's shape: every code list under a known system and a listed source."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise KnowledgeBaseError(str(path), "sources", "missing: every code needs its source")
    for kind in ("conditions", "medications", "observations"):
        for concept, systems in (data.get(kind) or {}).items():
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
