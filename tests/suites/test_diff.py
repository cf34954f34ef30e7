"""``clinrules rules diff``: a threshold change lists exactly the scenarios whose cards change."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from engine.paths import default_rules_dir
from service.cli import app
from service.suites.cards import Card
from service.suites.diff import card_changes
from tests.suites.conftest import PASSING_FEATURE, scenario

runner = CliRunner()


def rules_with_cd4_below(tmp_path: Path, value: int) -> Path:
    target = tmp_path / f"rules-{value}"
    shutil.copytree(default_rules_dir(), target)
    path = target / "iris" / "iris-risk.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    value: 100\n" in text
    path.write_text(text.replace("    value: 100\n", f"    value: {value}\n", 1), encoding="utf-8")
    return target


def test_threshold_change_lists_exactly_the_affected_scenarios(tmp_path: Path, suite_dir: Path) -> None:
    cases = [{"name": f"CD4 {cd4}", "scenario": scenario(cd4), "absent": ["il2-not-recommended"]}
             for cd4 in (30, 49, 50, 60, 99, 100, 150)]  # fmt: skip
    (suite_dir / "cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    (suite_dir / "mine.feature").write_text(PASSING_FEATURE, encoding="utf-8")
    new = rules_with_cd4_below(tmp_path, 50)
    result = runner.invoke(app, ["rules", "diff", str(default_rules_dir()), str(new), str(suite_dir)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "iris-risk: cd4_below 100 → 50" in out
    assert "5 of 11 scenarios change" in out
    changed = [line for line in out.splitlines() if "- iris-risk (warning)" in line]
    assert len(changed) == 5
    for name in ("CD4 50", "CD4 60", "CD4 99", "[60-fires]", "[99-fires]"):
        assert any(name in line for line in changed), name
    for name in ("CD4 30", "CD4 49", "CD4 100", "CD4 150", "Very low CD4 when ART", "[150-does not fire]"):
        assert name not in out, name


def test_same_rules_change_nothing(suite_dir: Path) -> None:
    (suite_dir / "cases.yaml").write_text(
        yaml.safe_dump([{"name": "x", "scenario": scenario(42), "expect": ["iris-risk"]}]), encoding="utf-8"
    )
    rules = str(default_rules_dir())
    result = runner.invoke(app, ["rules", "diff", rules, rules, str(suite_dir)])
    assert result.exit_code == 0, result.output
    assert "No scenario's cards change" in result.output


def test_card_changes() -> None:
    old = [Card("a", "warning"), Card("b", "info")]
    new = [Card("a", "critical"), Card("c", "info")]
    assert card_changes(old, new) == ["~ a: warning → critical", "- b (info)", "+ c (info)"]
    assert card_changes(old, None) == ["not evaluated under the new rules"]
