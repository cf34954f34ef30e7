"""Shadow rules: evaluated with the active rules and kept apart, never shown, never changing what is shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from engine.derive import Derivation
from engine.errors import KnowledgeBaseError
from engine.evaluator import Evaluator
from engine.facts import PatientFacts
from engine.knowledge import Status, load_knowledge_base
from engine.mutation.build import generate_mutants
from engine.scenario import Scenario
from service.app import create_app
from service.audit.tables import evaluations
from service.catalogue import build_catalogue
from service.cli import app as cli
from service.database import make_engine
from service.schemas import EvaluateResponse
from service.settings import Settings
from tests.kb_factory import make_kb_dir, rule

LOW_CD4 = rule("low-cd4", {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 100}]})
PROPOSER = rule("proposer", {"fact": "poems", "is": True}, concludes=["thal"])
FOLLOWER = rule("follower", {"concluded": "thal"})
SHADOW_CD4 = rule(
    "low-cd4-200",
    {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 200}]},
    status="shadow",
)


def _evaluator(tmp_path: Path, *rules: dict[str, object]) -> Evaluator:
    return Evaluator(load_knowledge_base(make_kb_dir(tmp_path, list(rules))))


def test_a_shadow_rule_fires_apart_from_the_findings(tmp_path: Path) -> None:
    ev = _evaluator(tmp_path, LOW_CD4, SHADOW_CD4)
    scenario = Scenario.model_validate(
        {
            "patient": {"sex": "female"},
            "conditions": [{"code": "B20", "onset": "2025-01-01"}],
            "observations": [{"kind": "cd4", "time": "2026-05-01", "value": 150, "unit": "cells/uL"}],
        }
    )
    evaluation = ev.evaluate(scenario, datetime(2026, 6, 1, tzinfo=UTC))
    assert evaluation.findings == []
    assert evaluation.shadow_topics == ["low-cd4-200"]
    assert evaluation.shadow_findings[0].rule_id == "low-cd4-200"
    dumped = EvaluateResponse(**evaluation.model_dump(), input_format="scenario").model_dump_json()
    assert "low-cd4-200" not in dumped and "shadow" not in dumped
    assert "shadow" not in str(EvaluateResponse.model_json_schema())
    both = ev.evaluate(scenario.model_copy(update={"observations": []}), datetime(2026, 6, 1, tzinfo=UTC))
    assert both.shadow_topics == [] and both.findings == []


def test_an_active_and_a_shadow_rule_both_fire_for_the_same_patient(tmp_path: Path) -> None:
    ev = _evaluator(tmp_path, LOW_CD4, SHADOW_CD4)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(hiv=True, latest_cd4=50)))
    assert [f.rule_id for f in findings] == ["low-cd4"]
    assert [f.rule_id for f in shadow] == ["low-cd4-200"]


def test_a_shadow_rule_chains_on_an_active_rules_conclusion(tmp_path: Path) -> None:
    shadow_follower = rule("shadow-follower", {"concluded": "thal"}, status="shadow")
    ev = _evaluator(tmp_path, PROPOSER, FOLLOWER, shadow_follower)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(poems=True)))
    assert [f.rule_id for f in findings] == ["follower", "proposer"]
    assert [f.rule_id for f in shadow] == ["shadow-follower"]
    assert shadow[0].because[0].by == ["proposer"]


def test_a_shadow_conclusion_never_makes_an_active_rule_fire(tmp_path: Path) -> None:
    # Both an active and a shadow rule conclude "thal": the active follower rests on the active one only.
    shadow_proposer = rule(
        "shadow-proposer", {"fact": "hiv", "is": True}, concludes=["thal"], status="shadow"
    )
    ev = _evaluator(tmp_path, PROPOSER, FOLLOWER, shadow_proposer)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(hiv=True)))
    assert findings == [] and [f.rule_id for f in shadow] == ["shadow-proposer"]
    assert "follower" not in ev.fired_rule_ids(PatientFacts(hiv=True))
    findings, _ = ev.evaluate_all(Derivation(facts=PatientFacts(poems=True, hiv=True)))
    assert [f.rule_id for f in findings] == ["follower", "proposer"]
    assert findings[0].because[0].by == ["proposer"]


def test_an_active_rule_resting_only_on_a_shadow_rule_is_refused(tmp_path: Path) -> None:
    shadow_proposer = rule(
        "shadow-proposer", {"fact": "hiv", "is": True}, concludes=["thal"], status="shadow"
    )
    with pytest.raises(KnowledgeBaseError, match="cannot rest on a shadow rule"):
        load_knowledge_base(make_kb_dir(tmp_path, [FOLLOWER, shadow_proposer]))


def test_a_shadow_rule_may_not_share_an_evaluated_topic(tmp_path: Path) -> None:
    twin = rule("low-cd4-twin", {"fact": "hiv", "is": True}, topic="low-cd4", status="shadow")
    with pytest.raises(KnowledgeBaseError, match="topic 'low-cd4' is already used"):
        load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4, twin]))


def test_a_shadow_safety_rule_neither_suppresses_nor_replaces_the_active_one(tmp_path: Path) -> None:
    active = rule("pregnant-thal", {"fact": "pregnant", "is": True}, safety=True)
    candidate = rule("pregnant-thal-v2", {"fact": "pregnant", "is": True}, safety=True, status="shadow")
    ev = _evaluator(tmp_path, active, candidate)
    findings, shadow = ev.evaluate_all(Derivation(facts=PatientFacts(pregnant=True)))
    assert [f.rule_id for f in findings] == ["pregnant-thal"]
    assert [f.rule_id for f in shadow] == ["pregnant-thal-v2"]


def test_mutation_testing_mutates_active_rules_only(tmp_path: Path) -> None:
    kb = load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4, SHADOW_CD4]))
    assert kb.rules["low-cd4-200"].status is Status.shadow
    assert {m.rule_id for m in generate_mutants(kb)} == {"low-cd4"}


SCENARIO_CD4_150 = {
    "patient": {"sex": "female"},
    "evaluation_time": "2026-06-01T09:00:00Z",
    "conditions": [{"code": "B20", "onset": "2025-01-01"}],
    "observations": [{"kind": "cd4", "time": "2026-05-01", "value": 150, "unit": "cells/uL"}],
}


def test_rules_lint_lists_the_rules_by_status(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [LOW_CD4, SHADOW_CD4])
    # The factory's rules have lint errors of their own (evidence levels): only the status lines matter here.
    result = CliRunner().invoke(cli, ["rules", "lint", "--rules", str(root)])
    assert "active: 1 (evaluated and shown)" in result.stdout
    assert "shadow: 1 (evaluated and audited, never shown): low-cd4-200" in result.stdout


def test_clinrules_evaluate_shows_shadow_findings_only_when_asked(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [LOW_CD4, SHADOW_CD4])
    scenario = tmp_path / "patient.json"
    scenario.write_text(json.dumps(SCENARIO_CD4_150), encoding="utf-8")
    plain = CliRunner().invoke(cli, ["evaluate", str(scenario), "--rules", str(root), "--json"])
    assert plain.exit_code == 0 and "low-cd4-200" not in plain.stdout
    assert json.loads(plain.stdout)["findings"] == []
    asked = CliRunner().invoke(cli, ["evaluate", str(scenario), "--rules", str(root), "--json", "--shadow"])
    assert [f["topic"] for f in json.loads(asked.stdout)["shadow_findings"]] == ["low-cd4-200"]
    table = CliRunner().invoke(cli, ["evaluate", str(scenario), "--rules", str(root), "--shadow"])
    assert "No alerts." in table.stdout and "would have fired: low-cd4-200" in table.stdout


def test_the_catalogue_gives_the_status(tmp_path: Path) -> None:
    kb = load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4, SHADOW_CD4]))
    statuses = {r["id"]: r["status"] for r in build_catalogue(kb, tmp_path / "no-features")["rules"]}
    assert statuses == {"low-cd4": "active", "low-cd4-200": "shadow"}


def test_post_evaluate_never_returns_a_shadow_finding_but_audits_it(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [LOW_CD4, SHADOW_CD4])
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    settings = Settings(database_url=url, rules_dir=root, salt_file=tmp_path / "salt", _env_file=None)
    with TestClient(create_app(settings)) as client:
        answer = client.post("/evaluate", json=SCENARIO_CD4_150)
    assert answer.status_code == 200 and answer.json()["findings"] == []
    assert "low-cd4-200" not in answer.text
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(evaluations.c.topics, evaluations.c.shadow_topics)).one() == (
            [],
            ["low-cd4-200"],
        )
    engine.dispose()
