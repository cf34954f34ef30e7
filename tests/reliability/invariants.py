"""The safety invariants of KNOWLEDGE.md §3, checked on one evaluation of one scenario."""

from __future__ import annotations

from engine.findings import Evaluation
from engine.knowledge import Indicator
from tests.reliability.clinical_mix import JSON
from tests.reliability.oracle import pregnant, thalidomide_exposure, thalidomide_stopped_days

THALIDOMIDE_SAFETY = {
    "thalidomide-teratogenicity",
    "thalidomide-pregnancy",
    "thalidomide-vte",
    "thalidomide-neuropathy",
}
PROPOSERS = {"iris-steroid-refractory", "poems-thalidomide", "pain-thalidomide"}
REMS_WINDOW_DAYS = 28
"""The catalogue default: a pregnancy within 4 weeks of the last dose still raises the pregnancy card."""


def check_safety(data: JSON, evaluation: Evaluation) -> None:
    """Assert the safety invariants of KNOWLEDGE.md §3 for one evaluated scenario."""
    facts = evaluation.facts
    by_id = {f.rule_id: f for f in evaluation.findings}
    assert len(by_id) == len(evaluation.findings), "a rule reported twice"
    proposed = bool(PROPOSERS & by_id.keys())
    exposure = thalidomide_exposure(data)
    assert facts.thalidomide_class_medication == exposure, "thalidomide-class exposure derived wrongly"
    assert facts.pregnant == pregnant(data), "pregnancy derived wrongly"
    stopped_days = thalidomide_stopped_days(data)
    assert facts.thalidomide_class_stopped_days == stopped_days, "last thalidomide dose derived wrongly"
    recently_stopped = stopped_days is not None and stopped_days <= REMS_WINDOW_DAYS
    trigger = exposure or proposed
    if trigger:
        assert "thalidomide-teratogenicity" in by_id, "thalidomide without the teratogenicity warning"
    if (trigger or recently_stopped) and facts.pregnant:
        assert "thalidomide-pregnancy" in by_id, "pregnant and exposed without the pregnancy card"
        assert by_id["thalidomide-pregnancy"].indicator is Indicator.critical
    if not trigger:
        allowed = {"thalidomide-pregnancy"} if recently_stopped and facts.pregnant else set()
        assert not (THALIDOMIDE_SAFETY - allowed) & by_id.keys(), (
            "a thalidomide safety card with no thalidomide"
        )
    if "thalidomide-teratogenicity" in by_id:
        critical = by_id["thalidomide-teratogenicity"].indicator is Indicator.critical
        assert critical == facts.reproductive_potential, (
            "teratogenicity is critical iff reproductive potential"
        )
    ranks = [f.indicator.rank for f in evaluation.findings]
    assert ranks == sorted(ranks), "findings not ordered critical first"
    values = facts.model_dump()
    for finding in evaluation.findings:
        for because in finding.because:
            if because.kind == "fact":
                assert because.value == values[because.name], "a reason cites a value the patient lacks"
