"""clinrules engine: patient scenario -> derived facts -> durable-rules -> findings.

The public entry points are :func:`engine.knowledge.load_knowledge_base` (read and validate ``rules/``)
and :class:`engine.evaluator.Evaluator` (compile once, evaluate many scenarios).
"""

from engine.evaluator import Evaluator
from engine.findings import Evaluation
from engine.knowledge import KnowledgeBase, load_knowledge_base
from engine.scenario import Scenario

__all__ = ["Evaluation", "Evaluator", "KnowledgeBase", "Scenario", "load_knowledge_base"]
