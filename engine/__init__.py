"""clinrules engine: patient scenario -> derived facts -> durable-rules -> findings.

The public entry points are :func:`engine.knowledge.load_knowledge_base` (read and validate ``rules/``)
and :class:`engine.evaluator.Evaluator` (compile once, evaluate many scenarios).

The names below are imported on first use (PEP 562), so that importing one small module of the package
(``engine.errors``, ``engine.paths``) does not build every pydantic model and load durable-rules: the
command line starts faster that way.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.evaluator import Evaluator
    from engine.findings import Evaluation
    from engine.knowledge import KnowledgeBase, load_knowledge_base
    from engine.scenario import Scenario

__all__ = ["Evaluation", "Evaluator", "KnowledgeBase", "Scenario", "load_knowledge_base"]

_HOME = {
    "Evaluation": "engine.findings",
    "Evaluator": "engine.evaluator",
    "KnowledgeBase": "engine.knowledge",
    "Scenario": "engine.scenario",
    "load_knowledge_base": "engine.knowledge",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
