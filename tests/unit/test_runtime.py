"""The hardened durable-rules runtime: each known hazard of durable-rules 2.0.28 has a test here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from engine.compiler import compile_ruleset
from engine.errors import EngineError, KnowledgeBaseError
from engine.evaluator import Evaluator
from engine.facts import PatientFacts
from engine.knowledge import load_knowledge_base
from engine.runtime import DurableRuntime, encode_fact, encode_value
from tests.kb_factory import make_kb_dir, rule

LOW_CD4 = rule("low-cd4", {"all": [{"fact": "hiv", "is": True}, {"fact": "latest_cd4", "lt": 100}]})
PROPOSER = rule("proposer", {"fact": "poems", "is": True}, concludes=["thal"])
FOLLOWER = rule(
    "follower",
    {"any": [{"fact": "thalidomide_class_medication", "is": True}, {"concluded": "thal"}]},
)


@pytest.fixture
def evaluator(tmp_path: Path) -> Evaluator:
    return Evaluator(load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4, PROPOSER, FOLLOWER])))


def test_first_evaluation_without_any_match_in_a_fresh_process_does_not_crash(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [LOW_CD4])
    code = textwrap.dedent(
        f"""
        from engine import Evaluator, load_knowledge_base
        from engine.facts import PatientFacts
        ev = Evaluator(load_knowledge_base({str(root)!r}))
        assert ev.evaluate_facts(PatientFacts()) == []
        assert ev.evaluate_facts(PatientFacts()) == []
        print("survived")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "survived" in done.stdout


def test_two_thousand_evaluations_leave_no_live_session(evaluator: Evaluator) -> None:
    # More than durable's 1,024-session limit: a leaked session would raise MemoryError on the way.
    patients = [PatientFacts(hiv=True, latest_cd4=float(i % 200)) for i in range(2000)]
    fired = [evaluator.fired_rule_ids(p) for p in patients]
    assert sum(1 for f in fired if f == ["low-cd4"]) == 1000
    runtime = evaluator.runtime
    assert runtime.live_sessions == 0
    assert not any(runtime.session_exists(f"s{i}") for i in range(1, 2001))


def test_host_starts_no_background_threads(tmp_path: Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    ev = Evaluator(load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4])))
    ev.evaluate_facts(PatientFacts(hiv=True, latest_cd4=10))
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert new == []


def test_sessions_do_not_mix_patients(evaluator: Evaluator) -> None:
    assert evaluator.fired_rule_ids(PatientFacts(hiv=True, latest_cd4=10)) == ["low-cd4"]
    assert evaluator.fired_rule_ids(PatientFacts(hiv=True, latest_cd4=500)) == []
    assert evaluator.fired_rule_ids(PatientFacts(poems=True)) == ["proposer", "follower"]
    assert evaluator.fired_rule_ids(PatientFacts()) == []


def test_concurrent_threads_each_get_their_own_findings(evaluator: Evaluator) -> None:
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(150):
            cd4 = float((n * 37 + i) % 200)
            got = evaluator.fired_rule_ids(PatientFacts(hiv=True, latest_cd4=cd4))
            if got != (["low-cd4"] if cd4 < 100 else []):
                errors.append(f"thread {n}: cd4 {cd4} gave {got}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert evaluator.runtime.live_sessions == 0


def test_rules_chain_through_asserted_conclusions(evaluator: Evaluator) -> None:
    findings = {f.rule_id: f for f in evaluator.evaluate_facts(PatientFacts(poems=True))}
    assert set(findings) == {"proposer", "follower"}
    reason = findings["follower"].because[0]
    assert reason.kind == "conclusion" and reason.by == ["proposer"]


def test_any_fires_once_even_when_every_branch_holds(evaluator: Evaluator) -> None:
    facts = PatientFacts(poems=True, thalidomide_class_medication=True)
    findings = evaluator.evaluate_facts(facts)
    assert [f.rule_id for f in findings].count("follower") == 1
    follower = next(f for f in findings if f.rule_id == "follower")
    assert {b.kind for b in follower.because} == {"fact", "conclusion"}


def test_numbers_never_reach_durable_in_exponent_form() -> None:
    assert encode_value(1e-05) == "0.00001"
    assert encode_value(1e17) == "100000000000000000"
    assert encode_value(-0.0) == "0"
    assert encode_fact({"a": True, "b": None, "c": "x"}) == '{"a":true,"c":"x"}'


def test_tiny_and_huge_numbers_evaluate(tmp_path: Path) -> None:
    small = rule("small-drop", {"fact": "vl_log10_drop", "gte": 0.001})
    ev = Evaluator(load_knowledge_base(make_kb_dir(tmp_path, [small])))
    assert ev.fired_rule_ids(PatientFacts(vl_log10_drop=0.002)) == ["small-drop"]
    assert ev.fired_rule_ids(PatientFacts(vl_log10_drop=1e-9)) == []
    assert ev.fired_rule_ids(PatientFacts(vl_log10_drop=1e17)) == ["small-drop"]


def test_a_threshold_needing_exponent_notation_is_refused_at_compile_time(tmp_path: Path) -> None:
    tiny = rule("tiny", {"fact": "vl_log10_drop", "gte": 0.00001})
    with pytest.raises(KnowledgeBaseError, match="exponent"):
        compile_ruleset(load_knowledge_base(make_kb_dir(tmp_path, [tiny])))


def test_unknown_numbers_match_no_comparison(evaluator: Evaluator) -> None:
    assert evaluator.fired_rule_ids(PatientFacts(hiv=True, latest_cd4=None)) == []


def test_text_facts_are_compared_as_text_not_coerced(tmp_path: Path) -> None:
    female = rule("female", {"fact": "sex", "eq": "female"})
    ev = Evaluator(load_knowledge_base(make_kb_dir(tmp_path, [female])))
    assert ev.fired_rule_ids(PatientFacts(sex="female")) == ["female"]
    assert ev.fired_rule_ids(PatientFacts(sex="male")) == []


def test_an_exception_inside_an_action_is_raised_not_swallowed(
    evaluator: Evaluator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import durable_rules_engine

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    # The proposer's action asserts its conclusion: make that fail inside the action.
    monkeypatch.setattr(durable_rules_engine, "assert_fact", broken)
    with pytest.raises(EngineError, match="boom"):
        evaluator.evaluate_facts(PatientFacts(poems=True))
    monkeypatch.undo()
    assert evaluator.runtime.live_sessions == 0
    assert not evaluator.runtime.session_exists("s1")
    assert evaluator.fired_rule_ids(PatientFacts(poems=True)) == ["proposer", "follower"]
    assert evaluator.runtime.live_sessions == 0


def test_an_action_message_is_read_whatever_its_json_layout(evaluator: Evaluator) -> None:
    runtime = evaluator.runtime
    assert runtime._action_name('{"low-cd4#0":{"p":{"t":"patient"}}}') == "low-cd4#0"
    assert runtime._action_name('{ "low-cd4#0" : {"p": {}}}') == "low-cd4#0"
    with pytest.raises(EngineError, match="unknown action"):
        runtime._action_name('{"no-such-rule#0":{}}')


def test_a_branch_beyond_durables_expression_limit_is_refused_at_compile_time(tmp_path: Path) -> None:
    tests = [{"fact": "latest_cd4", "gt": float(i)} for i in range(31)]
    kb = load_knowledge_base(make_kb_dir(tmp_path, [rule("too-big", {"all": tests})]))
    with pytest.raises(KnowledgeBaseError, match="too-big"):
        compile_ruleset(kb)


def test_runtime_can_be_built_from_a_compiled_ruleset(tmp_path: Path) -> None:
    kb = load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4]))
    runtime = DurableRuntime(compile_ruleset(kb))
    fired = runtime.evaluate({"hiv": True, "latest_cd4": 99})
    assert [f.rule_id for f in fired] == ["low-cd4"]
    assert runtime.evaluate({"hiv": True, "latest_cd4": 100}) == []


def test_a_closed_runtime_frees_its_ruleset_and_leaves_the_others_working(tmp_path: Path) -> None:
    """Mutation testing compiles hundreds of rule sets in one process, under the same ruleset name."""
    kb = load_knowledge_base(make_kb_dir(tmp_path, [LOW_CD4]))
    keep = Evaluator(kb)
    low = PatientFacts(hiv=True, latest_cd4=42)
    for _ in range(50):
        other = Evaluator(kb)
        assert other.fired_rule_ids(low) == ["low-cd4"]
        other.runtime.close()
        other.runtime.close()  # closing twice is harmless
        with pytest.raises(EngineError, match="closed"):
            other.fired_rule_ids(low)
    assert keep.fired_rule_ids(low) == ["low-cd4"]
    assert keep.fired_rule_ids(PatientFacts(hiv=True, latest_cd4=420)) == []
