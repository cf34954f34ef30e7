"""``clinrules rules lint``: every problem of a rules folder, errors and warnings."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.lint import lint_rules
from service.cli import app
from tests.kb_factory import copy_shipped_rules, edit

runner = CliRunner()


def copy_rules(tmp_path: Path) -> Path:
    return copy_shipped_rules(tmp_path)


def test_shipped_rules_are_clean() -> None:
    problems = lint_rules()
    assert [p for p in problems if p.severity == "error"] == []
    result = runner.invoke(app, ["rules", "lint"])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_every_error_is_listed_not_only_the_first(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    edit(rules / "iris" / "iris-risk.yaml", "    value: 100\n", "    value: 900\n")  # out of [0, 500]
    edit(rules / "il2" / "il2-not-recommended.yaml", "statements: [", "statements: [no.such-statement, ")
    edit(rules / "iris" / "iris-suspected.yaml", "topic: iris-suspected", "topic: art-timing-tb")
    crypto = rules / "art" / "art-timing-cryptococcal.yaml"
    lines = crypto.read_text(encoding="utf-8").splitlines(keepends=True)
    crypto.write_text(
        "".join(f"summary: {'x' * 150}\n" if ln.startswith("summary:") else ln for ln in lines),
        encoding="utf-8",
    )
    problems = {(Path(p.path).name, p.field): p for p in lint_rules(rules) if p.severity == "error"}
    assert problems[("iris-risk.yaml", "parameters.cd4_below.value")].message == "900 outside [0, 500]"
    assert "no.such-statement" in problems[("il2-not-recommended.yaml", "statements.0")].message
    assert "already used" in problems[("iris-suspected.yaml", "topic")].message
    assert ("art-timing-cryptococcal.yaml", "summary") in problems
    result = runner.invoke(app, ["rules", "lint", "--rules", str(rules)])
    assert result.exit_code == 1
    assert "900 outside [0, 500]" in result.output


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    edit(
        rules / "iris" / "iris-risk.yaml",
        "parameters:\n",
        "parameters:\n  unused_days:\n    value: 3\n    min: 0\n    max: 10\n"
        "    description: nothing uses it\n",
    )
    warnings = [p for p in lint_rules(rules) if p.severity == "warning"]
    assert any(p.field == "parameters.unused_days" for p in warnings)
    assert runner.invoke(app, ["rules", "lint", "--rules", str(rules)]).exit_code == 0
    assert runner.invoke(app, ["rules", "lint", "--rules", str(rules), "--strict"]).exit_code == 1


def test_a_rule_rated_above_or_below_its_statements_is_an_error(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    # The review's finding: COAT rated high while its rule is moderate.
    edit(
        rules / "statements.yaml",
        'with higher mortality."\n    role: finding\n    evidence: moderate',
        'with higher mortality."\n    role: finding\n    evidence: high',
    )
    edit(rules / "thalidomide" / "pain-thalidomide.yaml", "evidence: very-low", "evidence: low")
    problems = {(Path(p.path).name, p.field): p for p in lint_rules(rules) if p.severity == "error"}
    assert "strongest level is 'high'" in problems[("art-timing-cryptococcal.yaml", "evidence")].message
    assert "'low' does not follow" in problems[("pain-thalidomide.yaml", "evidence")].message
    assert ("iris-risk.yaml", "evidence") not in problems


def test_background_statements_do_not_raise_a_rule_s_evidence(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    # 483.def only sets the scene for iris-suspected (rated low): rated high, it must not change the rule.
    edit(
        rules / "statements.yaml",
        "    role: background\n    evidence: very-low",
        "    role: background\n    evidence: high",
    )
    assert [p for p in lint_rules(rules) if p.field == "evidence"] == []
    edit(
        rules / "statements.yaml",
        "    role: finding\n    evidence: very-low",
        "    role: finding\n    evidence: high",
    )
    # 483.incidence carries iris-risk (moderate): rated high, it makes the rule inconsistent.
    assert any(Path(p.path).name == "iris-risk.yaml" for p in lint_rules(rules) if p.field == "evidence")
