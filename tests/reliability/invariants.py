"""The safety invariants of KNOWLEDGE.md §3, checked on one evaluation of one scenario."""

from __future__ import annotations

from engine.findings import Evaluation
from engine.knowledge import Indicator
from tests.reliability.oracle import pregnant, thalidomide_exposure
from tests.reliability.scenario_gen import JSON

THALIDOMIDE_SAFETY = {
    "thalidomide-teratogenicity",
    "thalidomide-pregnancy",
    "thalidomide-vte",
    "thalidomide-neuropathy",
}
PROPOSERS = {"iris-steroid-refractory", "poems-thalidomide", "pain-thalidomide"}


def check_safety(data: JSON, evaluation: Evaluation) -> None:
    """Assert the safety invariants of KNOWLEDGE.md §3 for one evaluated scenario."""
    facts = evaluation.facts
    by_id = {f.rule_id: f for f in evaluation.findings}
    assert len(by_id) == len(evaluation.findings), "a rule reported twice"
    proposed = bool(PROPOSERS & by_id.keys())
    exposure = thalidomide_exposure(data)
    assert facts.thalidomide_class_medication == exposure, "thalidomide-class exposure derived wrongly"
    assert facts.pregnant == pregnant(data), "pregnancy derived wrongly"
    trigger = exposure or proposed
    if trigger:
        assert "thalidomide-teratogenicity" in by_id, "thalidomide without the teratogenicity warning"
        if facts.pregnant:
            assert "thalidomide-pregnancy" in by_id
            assert by_id["thalidomide-pregnancy"].indicator is Indicator.critical
    else:
        assert not THALIDOMIDE_SAFETY & by_id.keys(), "a thalidomide safety card with no thalidomide"
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
