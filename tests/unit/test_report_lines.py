"""A rule's ``report`` lines shown only when their ``when`` holds (the rule-file format)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.errors import KnowledgeBaseError
from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
from engine.scenario import Scenario
from tests.kb_factory import make_kb_dir, rule

REPORTING = rule(
    "reporting",
    {"fact": "thalidomide_class_medication", "is": True},
    report=[
        {"fact": "reproductive_potential", "when": {"fact": "reproductive_status_undocumented", "is": False}},
        {"fact": "age_years", "label": "Age past the range", "when": {"fact": "age_years", "gt": 55}},
        {
            "fact": "reproductive_status_undocumented",
            "when": {"fact": "reproductive_status_undocumented", "is": True},
            "text": "Ask for the reproductive status",
        },
    ],
)


def _detail(evaluator: Evaluator, birth_date: str) -> str:
    scenario = Scenario.model_validate(
        {
            "patient": {"sex": "female", "birth_date": birth_date},
            "medications": [{"ingredient": "thalidomide", "draft": True, "status": "draft"}],
        }
    )
    findings = evaluator.evaluate(scenario, datetime(2026, 6, 1, 12, tzinfo=UTC)).findings
    return next(f.detail for f in findings if f.rule_id == "reporting")


def test_a_report_line_is_shown_only_when_its_condition_holds(tmp_path: Path) -> None:
    evaluator = Evaluator(load_knowledge_base(make_kb_dir(tmp_path, [REPORTING])))
    young = _detail(evaluator, "1990-01-01")
    assert "Reproductive potential: yes" in young and "Age past the range" not in young
    old = _detail(evaluator, "1960-01-01")
    assert "Reproductive potential" not in old and "Age past the range: 66 years" in old


def test_a_report_line_with_a_text_shows_it_in_place_of_label_and_value(tmp_path: Path) -> None:
    evaluator = Evaluator(load_knowledge_base(make_kb_dir(tmp_path, [REPORTING])))
    old = _detail(evaluator, "1960-01-01")
    assert "- Ask for the reproductive status — female, aged 66" in old.splitlines()
    assert "Ask for the reproductive status" not in _detail(evaluator, "1990-01-01")


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"fact": "age_years", "gt": {"param": "limit"}}, "fixed values"),
        ({"concluded": "thalidomide-proposed"}, "fixed values"),
        ({"fact": "no_such_fact", "is": True}, "unknown fact"),
    ],
)
def test_a_report_condition_tests_known_facts_against_fixed_values(
    tmp_path: Path, when: dict[str, object], message: str
) -> None:
    body = rule(
        "bad-report",
        {"fact": "hiv", "is": True},
        parameters={"limit": {"value": 55, "unit": "years", "min": 1, "max": 100, "description": "Limit."}},
        report=[{"fact": "age_years", "when": when}],
    )
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(make_kb_dir(tmp_path, [body]))
    assert "report.0.when" in str(caught.value) and message in str(caught.value)
