"""What an evaluation returns: findings with their evidence and the reasons they fired."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from engine.explain import Predicate, Reason, predicate
from engine.facts import PatientFacts, fact_label, fact_unit
from engine.knowledge import Indicator, KnowledgeBase, Link, OverrideReason, Rule, Suggestion
from engine.markdown import escape_markdown


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Citation(_Out):
    """A source a finding rests on."""

    id: str
    citation: str
    url: str | None = None


class StatementRef(_Out):
    """A source statement a finding encodes."""

    id: str
    source: str
    text: str
    evidence: str


class Because(_Out):
    """One reason a finding fired: a fact with its value and threshold, or another rule's conclusion."""

    kind: Literal["fact", "conclusion"]
    name: str
    label: str
    value: bool | int | float | str | None = None
    operator: str | None = None
    threshold: bool | int | float | str | None = None
    unit: str | None = None
    text: str
    by: list[str] = Field(default_factory=list, description="Rules whose conclusion this reason rests on.")
    data: list[str] = Field(default_factory=list, description="The patient data behind the fact.")


class Finding(_Out):
    """An alert: which rule fired, what it says, the evidence, and why."""

    rule_id: str
    rule_version: str
    topic: str
    indicator: Indicator
    title: str
    summary: str
    detail: str
    evidence: str = Field(description="Certainty of the evidence: high, moderate, low or very-low.")
    evidence_note: str
    statements: list[StatementRef]
    citations: list[Citation]
    because: list[Because]
    concludes: list[str] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    override_reasons: list[OverrideReason] = Field(default_factory=list)


class Evaluation(_Out):
    """The result of evaluating one scenario."""

    ruleset_version: str
    evaluated_at: datetime
    findings: list[Finding]
    facts: PatientFacts
    notes: list[str] = Field(default_factory=list, description="Data that was left out, and why.")

    # Findings of shadow rules: audited, never shown. A private attribute, so that no serialisation of an
    # evaluation (the API's answers, the JSON schema) can carry them to a caller.
    _shadow: list[Finding] = PrivateAttr(default_factory=list)

    @property
    def shadow_findings(self) -> list[Finding]:
        """What the shadow rules would have said (for the audit; never returned to a caller)."""
        return self._shadow

    @property
    def shadow_topics(self) -> list[str]:
        """The topic codes of the shadow rules that fired."""
        return [f.topic for f in self._shadow]

    @property
    def topics(self) -> list[str]:
        """The topic codes that fired, in finding order."""
        return [f.topic for f in self.findings]


def _fmt(value: bool | float | str | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _shown(value: bool | float | str | None, unit: str | None) -> str:
    return f"{_fmt(value)} {unit}" if unit and value is not None else _fmt(value)


_COMPARATORS = ("<", ">", "≤", "≥")


def _line(text: str, data: list[str], shown: str = "") -> str:
    """A markdown bullet: ``text``, then the patient data behind it.

    A single result behind the value ``shown`` in ``text`` adds just its date: ``42 cells/µL on 2026-04-01``
    after ``42 cells/µL``. A result reported beyond a limit (``<50 cells/µL on …``) takes the place of the
    value the rule compared (``49.99 cells/µL``), so the card gives what the laboratory reported.
    """
    if shown and len(data) == 1 and shown in text:
        reported, on, day = data[0].partition(" on ")
        if on and (reported == shown or reported.startswith(_COMPARATORS)):
            ends = text.replace(shown, reported, 1).endswith(reported)
            text = text.replace(shown, escape_markdown(reported), 1)
            return f"- {text} on {escape_markdown(day)}" if ends else f"- {text} — on {escape_markdown(day)}"
    return f"- {text} — {'; '.join(escape_markdown(d) for d in data)}" if data else f"- {text}"


_REPORT_SHOWN: dict[tuple[str, str], list[Predicate | None]] = {}


def _report_shown(kb_version: str, rule: Rule) -> list[Predicate | None]:
    """Each reported fact's ``when`` compiled once per rule set (None: always shown)."""
    key = (kb_version, rule.id)
    shown = _REPORT_SHOWN.get(key)
    if shown is None:
        shown = _REPORT_SHOWN[key] = [
            None if node is None else predicate(node, {}) for node in rule.report_conditions
        ]
    return shown


def _detail(
    kb_version: str,
    rule: Rule,
    why: list[tuple[str, list[str], str]],
    facts: PatientFacts,
    support: Mapping[str, list[str]],
    given: set[str],
) -> str:
    """The rule's markdown detail, then why it fired and any facts the rule reports that are not among the
    reasons already (``given``: their fact names), each with the patient data behind it (from ``support``).
    """
    lines = [rule.detail.strip(), "", "**Why this fired**", ""]
    lines += [_line(text, data, shown) for text, data, shown in why]
    # A rule reports a fact its conditions also test when another branch of an `any` can fire it: shown
    # once, as a reason, when it is one.
    values = dict(facts)
    report = [
        reported
        for reported, shown in zip(rule.report, _report_shown(kb_version, rule), strict=True)
        if reported.fact not in given and (shown is None or shown(values, {}))
    ]
    if report:
        lines += ["", "**Also relevant**", ""]
        for reported in report:
            label = reported.label or fact_label(reported.fact)
            shown = _shown(getattr(facts, reported.fact), fact_unit(reported.fact))
            # The data behind it, as recorded: a result reported beyond a limit keeps its comparator there.
            text = reported.text or f"{label}: {shown}"
            lines.append(_line(text, support.get(reported.fact, []), "" if reported.text else shown))
    return "\n".join(lines)


def _evidence(kb: KnowledgeBase, rule: Rule) -> tuple[list[StatementRef], list[Citation]]:
    key = (kb.version, rule.id)
    cached = _EVIDENCE.get(key)
    if cached is None:
        statements = [
            StatementRef(id=s.id, source=s.source, text=s.text, evidence=s.evidence)
            for s in (kb.statements[sid] for sid in rule.statements)
        ]
        citations = [Citation(id=src.id, citation=src.citation, url=src.url) for src in kb.citations(rule)]
        cached = _EVIDENCE[key] = (statements, citations)
    return cached


_EVIDENCE: dict[tuple[str, str], tuple[list[StatementRef], list[Citation]]] = {}


def build_finding(
    kb: KnowledgeBase,
    rule: Rule,
    indicator: Indicator,
    reasons: list[Reason],
    facts: PatientFacts,
    support: Mapping[str, list[str]],
) -> Finding:
    """Assemble a :class:`Finding` for a rule that fired."""
    data = [support.get(r.name, []) if r.kind == "fact" else [] for r in reasons]
    statements, citations = _evidence(kb, rule)
    # Validated in one call from plain data: pydantic-core builds the nested models in Rust, which is
    # faster than constructing each in Python (``model_construct`` included).
    return Finding.model_validate(
        {
            "rule_id": rule.id,
            "rule_version": rule.version,
            "topic": rule.topic,
            "indicator": indicator,
            "title": rule.title,
            "summary": rule.summary,
            "detail": _detail(
                kb.version,
                rule,
                [
                    (r.text, d, _shown(r.value, r.unit) if r.kind == "fact" else "")
                    for r, d in zip(reasons, data, strict=True)
                ],
                facts,
                support,
                {r.name for r in reasons if r.kind == "fact"},
            ),
            "evidence": rule.evidence,
            "evidence_note": rule.evidence_note,
            "statements": statements,
            "citations": citations,
            "because": [
                {
                    "kind": r.kind,
                    "name": r.name,
                    "label": r.label,
                    "value": r.value,
                    "operator": r.operator,
                    "threshold": r.threshold,
                    "unit": r.unit,
                    "text": r.text,
                    "by": r.by,
                    "data": d,
                }
                for r, d in zip(reasons, data, strict=True)
            ],
            "concludes": rule.concludes,
            "suggestions": rule.suggestions,
            "links": rule.links,
            "override_reasons": rule.override_reasons,
        }
    )


def order_key(finding: Finding) -> tuple[int, str]:
    """Critical first, then warning, then info; within a level by rule id."""
    return (finding.indicator.rank, finding.rule_id)
