"""The card shape a suite checks: what an EHR shows for one finding, whatever produced it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.findings import Finding


@dataclass(frozen=True)
class Card:
    """One alert as shown: topic code, indicator, summary, and why it fired."""

    topic: str
    indicator: str
    summary: str = ""
    rule_id: str = ""
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def from_finding(cls, finding: Finding) -> Card:
        """The card of an engine finding."""
        return cls(
            topic=finding.topic,
            indicator=finding.indicator.value,
            summary=finding.summary,
            rule_id=finding.rule_id,
            reasons=[b.text for b in finding.because],
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Card:
        """The card of a finding as JSON (the service's ``/evaluate`` output, or :meth:`to_json`)."""
        because: Sequence[Any] = data.get("because") or []
        reasons = [str(b.get("text", "")) if isinstance(b, Mapping) else str(b) for b in because]
        reasons += [str(r) for r in data.get("reasons") or []]
        return cls(
            topic=str(data["topic"]),
            indicator=str(data["indicator"]),
            summary=str(data.get("summary", "")),
            rule_id=str(data.get("rule_id", "")),
            reasons=reasons,
        )

    def to_json(self) -> dict[str, Any]:
        """A plain dict, as written into reports."""
        return {
            "topic": self.topic,
            "indicator": self.indicator,
            "summary": self.summary,
            "rule_id": self.rule_id,
            "reasons": list(self.reasons),
        }

    def label(self) -> str:
        """``topic (indicator)``."""
        return f"{self.topic} ({self.indicator})"


def card_labels(cards: Sequence[Card] | None) -> str:
    """A one-line list of cards, or ``no alert``."""
    if cards is None:
        return "not evaluated"
    return ", ".join(c.label() for c in cards) or "no alert"
