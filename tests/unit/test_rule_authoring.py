"""Authoring slips in rule files that used to load cleanly and lose or change alerts: each is now refused,
naming the file and the field (and listed by ``rules lint``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.knowledge import load_knowledge_base
from engine.lint import lint_rules
from service.cli import app
from tests.kb_factory import copy_shipped_rules, edit, make_kb_dir, refused, rule

runner = CliRunner()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return copy_shipped_rules(tmp_path)


def errors(root: Path) -> list[tuple[str, str, str]]:
    return [(Path(p.path).name, p.field, p.message) for p in lint_rules(root) if p.severity == "error"]


# ---- M1: a key given twice ----------------------------------------------------------------------------


def test_a_threshold_given_twice_is_refused_with_its_line(rules: Path) -> None:
    edit(rules / "iris" / "iris-risk.yaml", "    value: 100\n", "    value: 100\n    value: 10\n")
    error = refused(rules)
    assert error.path.endswith("iris-risk.yaml")
    assert error.field == "parameters.cd4_below.value"
    assert "duplicate key 'value' on line 26 (first on line 25)" in error.detail
    assert ("iris-risk.yaml", "parameters.cd4_below.value") in {(f, d) for f, d, _ in errors(rules)}


def test_an_indicator_given_twice_is_refused(rules: Path) -> None:
    edit(rules / "iris" / "iris-risk.yaml", "indicator: warning\n", "indicator: warning\nindicator: info\n")
    assert refused(rules).field == "indicator"


@pytest.mark.parametrize("name", ["statements.yaml", "valuesets.yaml", "sources.yaml"])
def test_a_key_given_twice_in_a_shared_file_is_refused(rules: Path, name: str) -> None:
    path = rules / name
    text = path.read_text(encoding="utf-8")
    first = next(
        ln for ln in text.splitlines() if ln.startswith("    ") and ":" in ln and ln.strip()[0] != "#"
    )
    edit(path, first + "\n", f"{first}\n{first}\n")
    error = refused(rules)
    assert error.path.endswith(name)
    assert "duplicate key" in error.detail


# ---- M2: circular conclusions -------------------------------------------------------------------------


def test_a_rule_resting_on_its_own_conclusion_is_refused(tmp_path: Path) -> None:
    loop = rule("loop", {"all": [{"fact": "hiv", "is": True}, {"concluded": "looped"}]}, concludes=["looped"])
    error = refused(make_kb_dir(tmp_path, [loop]))
    assert error.path.endswith("loop.yaml")
    assert "circular" in error.detail
    assert "loop -> loop" in error.detail


def test_two_rules_resting_on_each_other_are_refused(tmp_path: Path) -> None:
    one = rule("one", {"concluded": "two-said"}, concludes=["one-said"])
    two = rule("two", {"concluded": "one-said"}, concludes=["two-said"])
    error = refused(make_kb_dir(tmp_path, [one, two]))
    assert "one -> two -> one" in error.detail


def test_a_chain_of_conclusions_still_loads(tmp_path: Path) -> None:
    base = rule("base", {"fact": "hiv", "is": True}, concludes=["base-said"])
    top = rule("top", {"concluded": "base-said"})
    assert set(load_knowledge_base(make_kb_dir(tmp_path, [base, top])).rules) == {"base", "top"}


# ---- M3: *.yml rule files -----------------------------------------------------------------------------


def test_a_yml_rule_file_is_loaded_and_in_the_version(rules: Path) -> None:
    before = load_knowledge_base(rules).version
    (rules / "iris" / "iris-risk.yaml").rename(rules / "iris" / "iris-risk.yml")
    kb = load_knowledge_base(rules)
    assert "iris-risk" in kb.rules
    assert kb.rules["iris-risk"].path.endswith("iris-risk.yml")
    edit(rules / "iris" / "iris-risk.yml", "    value: 100\n", "    value: 50\n")
    after = load_knowledge_base(rules)
    assert after.params("iris-risk")["cd4_below"] == 50
    assert after.version != before


# ---- M6: a file that is not UTF-8 ---------------------------------------------------------------------


def test_a_rule_file_not_in_utf8_is_named_with_the_byte_position(rules: Path, tmp_path: Path) -> None:
    path = rules / "iris" / "iris-risk.yaml"
    text = path.read_text(encoding="utf-8")
    latin = text.encode("latin-1")  # the ü of Müller becomes the lone byte 0xfc
    path.write_bytes(latin)
    position = next(i for i, b in enumerate(latin) if b > 127)
    line = latin[:position].count(b"\n") + 1
    error = refused(rules)
    assert error.path.endswith("iris-risk.yaml")
    assert f"byte 0x{latin[position]:02x} at byte position {position} (line {line})" in error.detail
    assert any(f == "iris-risk.yaml" and "not UTF-8" in m for f, _, m in errors(rules))
    scenario = tmp_path / "patient.json"
    scenario.write_text('{"patient": {"sex": "male"}}', encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(scenario), "--rules", str(rules)])
    assert result.exit_code == 3, result.output
    assert "iris-risk.yaml" in result.output and "not UTF-8" in result.output
    lint = runner.invoke(app, ["rules", "lint", "--rules", str(rules)])
    assert lint.exit_code == 1 and "not UTF-8" in lint.output


def test_value_sets_not_in_utf8_are_named(rules: Path) -> None:
    path = rules / "valuesets.yaml"
    path.write_bytes(path.read_bytes() + b"# \xff\n")
    error = refused(rules)
    assert error.path.endswith("valuesets.yaml")
    assert "byte 0xff" in error.detail


# ---- L1, L6: numbers and texts ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "true", '"100"'])
def test_a_threshold_is_a_number_not_a_boolean_or_a_text(rules: Path, value: str) -> None:
    edit(rules / "iris" / "iris-risk.yaml", "    value: 100\n", f"    value: {value}\n")
    error = refused(rules)
    assert (error.field, error.detail) == ("parameters.cd4_below.value", "Input should be a valid number")


def test_an_override_reason_code_given_twice_is_refused(tmp_path: Path) -> None:
    reasons = [{"code": "seen", "display": "Already seen"}, {"code": "seen", "display": "Seen again"}]
    error = refused(
        make_kb_dir(tmp_path, [rule("good", {"fact": "hiv", "is": True}, override_reasons=reasons)])
    )
    assert error.field == "override_reasons.1.code"
    assert "duplicate code 'seen'" in error.detail


def test_a_blank_summary_is_refused(tmp_path: Path) -> None:
    error = refused(make_kb_dir(tmp_path, [rule("good", {"fact": "hiv", "is": True}, summary=" " * 20)]))
    assert error.field == "summary"
    assert "only spaces" in error.detail


# ---- L2: every schema error of a file -----------------------------------------------------------------


def test_lint_lists_every_schema_error_of_one_file(rules: Path) -> None:
    path = rules / "iris" / "iris-risk.yaml"
    edit(path, "indicator: warning\n", "indicator: urgent\n")
    edit(path, "version: 1.0.0\n", "version: one\n")
    edit(path, "    value: 100\n", "    value: yes\n")
    fields = {d for f, d, _ in errors(rules) if f == "iris-risk.yaml"}
    assert {"indicator", "version", "parameters.cd4_below.value"} <= fields
    result = runner.invoke(app, ["rules", "lint", "--rules", str(rules)])
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:") and "iris-risk.yaml" in ln]
    assert len(lines) >= 3
    start = runner.invoke(app, ["rules", "list", "--rules", str(rules)])
    assert start.exit_code == 3
    assert "indicator" in start.output and "version" in start.output
