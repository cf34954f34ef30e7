"""A cache of the loaded knowledge base, for commands that run as their own short process.

Loading ``rules/`` (parsing the YAML, validating it, indexing some 20,000 codes) is a sixth of what
``clinrules evaluate`` costs. The first run stores what it loaded; a later run whose files are unchanged
reads it back instead. The key covers where the rules folder is and the contents of every file in it, the
engine's code, the Python and pydantic versions and the threshold overrides, so any change to them loads
afresh, and a rule file with an error is reported as before (nothing is stored unless it loaded).

The cache is a pickle: it is read only from a folder and a file that this user owns and that nobody else may
write, and anything wrong with it (unreadable, stale format, another owner) means loading afresh.
``CLINRULES_CACHE_DIR`` chooses the folder (default ``$XDG_CACHE_HOME/clinrules``, or
``~/.cache/clinrules``); set to an empty value, it turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic

if TYPE_CHECKING:
    from engine.knowledge import KnowledgeBase

FORMAT = b"clinrules-kb-1"
KEEP = 8
"""Entries kept: the newest, one per state of a rules folder."""
ENGINE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache folder, or None when ``CLINRULES_CACHE_DIR`` is set empty (or there is no home folder)."""
    chosen = os.environ.get("CLINRULES_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home directory: no cache
            return None
    return Path(base) / "clinrules"


def cache_key(root: Path, overrides: Mapping[str, Mapping[str, float]]) -> str:
    """What the knowledge base loaded from ``root`` depends on, hashed: where ``root`` is, every file under it
    (path and contents; a rules folder kept in git leaves out its ``.git``), the engine's modules (path, size
    and time), the interpreter, pydantic and the overrides."""
    digest = hashlib.sha256(FORMAT)
    # The folder's own path too: a rule keeps the path of its file (for messages, lint and mutation).
    digest.update(f"{root.resolve()}\0{sys.version}\0{pydantic.VERSION}\0".encode())
    digest.update(json.dumps(overrides, sort_keys=True).encode())
    for module in sorted(ENGINE.rglob("*.py")):
        info = module.stat()
        digest.update(f"\0{module.relative_to(ENGINE)}\0{info.st_size}\0{info.st_mtime_ns}".encode())
    for path in _files(root):
        digest.update(f"\0{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _files(root: Path) -> list[Path]:
    """Every file under ``root`` (symbolic links followed, as the loader does), but none inside ``.git``."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root, followlinks=True):
        subfolders[:] = [d for d in subfolders if d != ".git"]
        found += (p for p in (Path(folder, n) for n in names) if p.is_file())
    return sorted(found)


def _private(info: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> KnowledgeBase | None:
    from engine.knowledge import KnowledgeBase

    try:
        if not _private(path.parent.stat()):
            return None
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if not _private(os.fstat(handle.fileno())):
            return None
        try:
            loaded = pickle.load(handle)
        except Exception:  # a stale or damaged entry is only a miss
            return None
    return loaded if isinstance(loaded, KnowledgeBase) else None


def _write(folder: Path, path: Path, kb: KnowledgeBase) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder.stat()):
            return
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".kb-", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(kb, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        entries = sorted(folder.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for older in entries[KEEP:]:
            older.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        return


def cached_load(
    root: Path, overrides: Mapping[str, Mapping[str, float]], load: Callable[[], KnowledgeBase]
) -> KnowledgeBase:
    """The knowledge base ``load()`` gives for ``root`` and ``overrides``: from the cache when its files are
    unchanged since it was stored, else loaded now (and stored). ``load``'s errors propagate."""
    folder = cache_dir()
    if folder is None:
        return load()
    try:
        key = cache_key(root, overrides)
    except OSError:
        return load()
    path = folder / f"kb-{key}.pickle"
    kb = _read(path)
    if kb is None:
        kb = load()
        _write(folder, path, kb)
    return kb
