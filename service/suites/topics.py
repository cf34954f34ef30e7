"""Which alert topics a suite may name, and the error for a mistake in the suite itself.

An expectation about a topic no loaded rule has (a misspelling such as ``iris-rsk``) would otherwise pass
when it says the alert must not fire, and only ever say "did not fire" when it says it must. Such a
topic is a :class:`SuiteMistake`: reported as an error of the scenario, naming the topic, never as a pass
or an ordinary failure.

The topics known are those of the rules the suite is run against: the knowledge base in process, or the
catalogue of the service at ``--url`` (``GET /rules``). When that catalogue cannot be read (the service
does not answer it, or asks for a token), the local rules (``$CLINRULES_RULES_DIR``, else the shipped ones)
stand in. A CDS Hooks answer may also hold the ``data-quality`` card.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.knowledge import KnowledgeBase

DATA_QUALITY = "data-quality"
"""The topic of the CDS Hooks card naming data the service could not use (``service.cds.cards``)."""

MISTAKE_MARKER = "SuiteMistake: "
"""What precedes a :class:`SuiteMistake`'s message in pytest's report of the step that raised it."""


class SuiteMistake(Exception):
    """A mistake in the suite itself (an unknown topic, an unknown request name): the scenario is an error,
    not a failed expectation."""


def rule_topics(kb: KnowledgeBase) -> frozenset[str]:
    """The topic codes of every rule in ``kb`` (shadow, draft and retired ones too)."""
    return frozenset(rule.topic for rule in kb.rules.values())


def local_topics() -> frozenset[str]:
    """The topic codes of the local rules (``$CLINRULES_RULES_DIR``, else the shipped ones)."""
    from engine.knowledge import load_knowledge_base

    return rule_topics(load_knowledge_base())


def catalogue_topics(answer: Any) -> frozenset[str] | None:
    """The topic codes in a ``GET /rules`` answer (an ``httpx`` response), or None when it is not one."""
    try:
        if answer.status_code != 200:
            return None
        rules = answer.json()["rules"]
        return frozenset(str(rule["topic"]) for rule in rules)
    except (ValueError, KeyError, TypeError):
        return None


def unknown_topic(topic: str, known: Iterable[str]) -> str:
    """The message for ``topic`` when no rule has it, with the nearest known topic as a suggestion."""
    near = difflib.get_close_matches(topic, sorted(known), n=1)
    hint = f' (did you mean "{near[0]}"?)' if near else ""
    return f'unknown topic "{topic}": no rule of the loaded rules has it{hint}'


def require_known(topics: Iterable[str], known: frozenset[str] | None) -> None:
    """Raise :class:`SuiteMistake` naming the first of ``topics`` not in ``known`` (None: not checked)."""
    if known is None:
        return
    for topic in topics:
        if topic not in known:
            raise SuiteMistake(unknown_topic(topic, known))
