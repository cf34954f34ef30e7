"""The rule catalogue: list the rules, explain one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from engine.findings import Citation, StatementRef
from engine.knowledge import KnowledgeBase, Rule
from service.deps import StateDep
from service.problems import ProblemError, problem_responses
from service.schemas import RuleDetail, RuleList, RuleParameter, RuleSummary

router = APIRouter(prefix="/rules", tags=["rules"])


def _summary(rule: Rule) -> RuleSummary:
    return RuleSummary(
        id=rule.id,
        version=rule.version,
        status=rule.status.value,
        title=rule.title,
        topic=rule.topic,
        indicator=rule.indicator.value,
        evidence=rule.evidence,
        summary=rule.summary,
    )


def _detail(kb: KnowledgeBase, rule: Rule) -> RuleDetail:
    in_force = kb.params(rule.id)
    return RuleDetail(
        **_summary(rule).model_dump(),
        evidence_note=rule.evidence_note,
        detail=rule.detail,
        statements=[
            StatementRef(id=s.id, source=s.source, text=s.text, evidence=s.evidence)
            for s in (kb.statements[sid] for sid in rule.statements)
        ],
        citations=[Citation(id=src.id, citation=src.citation, url=src.url) for src in kb.citations(rule)],
        parameters={
            name: RuleParameter(**p.model_dump(), in_force=in_force.get(name, p.value))
            for name, p in rule.parameters.items()
        },
        condition=rule.when,
        concludes=list(rule.concludes),
        safety=rule.safety,
        suggestions=list(rule.suggestions),
        links=list(rule.links),
        override_reasons=list(rule.override_reasons),
    )


@router.get("", response_model=RuleList, summary="List the rules", responses=problem_responses(422))
async def list_rules(
    state: StateDep,
    topic: Annotated[str | None, Query(max_length=64, description="Only rules with this topic code.")] = None,
    status: Annotated[str | None, Query(max_length=16, description="active, draft or retired.")] = None,
) -> RuleList:
    """Every rule in the knowledge base (id order), optionally filtered by topic or status."""
    rules = [
        _summary(r)
        for r in sorted(state.kb.rules.values(), key=lambda r: r.id)
        if (topic is None or r.topic == topic) and (status is None or r.status.value == status)
    ]
    return RuleList(ruleset_version=state.kb.version, rules=rules)


@router.get(
    "/{rule_id}",
    response_model=RuleDetail,
    summary="Explain one rule: statements, citations, parameters and condition",
    responses=problem_responses(404),
)
async def get_rule(
    rule_id: Annotated[str, Path(max_length=64, examples=["iris-risk"])], state: StateDep
) -> RuleDetail:
    """One rule in full, with the thresholds in force in this deployment."""
    rule = state.kb.rules.get(rule_id)
    if rule is None:
        raise ProblemError(404, "Not Found", f"There is no rule '{rule_id[:64]}'.")
    return _detail(state.kb, rule)
