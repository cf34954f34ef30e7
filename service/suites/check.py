"""Checking a case's expectations against the cards that were shown."""

from __future__ import annotations

from collections.abc import Sequence

from service.suites.cards import Card
from service.suites.cases import Case
from service.suites.topics import unknown_topic


def expectations(case: Case) -> list[str]:
    """The case's expectations, one readable line each."""
    lines = [f"fires: {e.label()}" for e in case.expect]
    lines += [f"absent: {t}" for t in case.absent]
    if case.only:
        lines.append("no other alert")
    return lines


def unknown_topics(case: Case, known: frozenset[str] | None) -> list[str]:
    """One line per topic the case names (``expect``, ``absent``) that no rule has; none when ``known`` is
    None (not known)."""
    if known is None:
        return []
    named = dict.fromkeys([*(e.topic for e in case.expect), *case.absent])
    return [unknown_topic(topic, known) for topic in named if topic not in known]


def check(case: Case, cards: Sequence[Card]) -> list[str]:
    """Every unmet expectation, one line each; empty when the case passes."""
    by_topic = {c.topic: c for c in cards}
    problems = []
    for exp in case.expect:
        card = by_topic.get(exp.topic)
        if card is None:
            problems.append(f"missing: {exp.label()}")
        elif exp.indicator and card.indicator != exp.indicator:
            problems.append(f"{exp.topic} is {card.indicator}, expected {exp.indicator}")
    for topic in case.absent:
        if topic in by_topic:
            problems.append(f"must not fire but fired: {by_topic[topic].label()}")
    if case.only:
        allowed = {e.topic for e in case.expect}
        extra = [c.label() for c in cards if c.topic not in allowed]
        if extra:
            problems.append(f"unexpected: {', '.join(extra)}")
    return problems
