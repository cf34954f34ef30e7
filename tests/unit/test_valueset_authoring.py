"""Value-set slips that used to load cleanly and silently lose alerts: a concept the engine reads renamed, a
misspelt code system, a unit factor of zero, an alias to no system, an empty file. Each is refused, naming
the file and the field."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine.derive.concepts import CONDITIONS, MEDICATIONS
from engine.errors import KnowledgeBaseError
from engine.lint import lint_rules
from engine.valueset_files import load_value_sets
from tests.kb_factory import copy_shipped_rules, refused
from tests.kb_factory import edit as _edit

ENGINE = Path(__file__).resolve().parents[2] / "engine"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return copy_shipped_rules(tmp_path)


def test_a_concept_the_derivation_reads_cannot_be_renamed_away(rules: Path) -> None:
    edit_all(rules / "valuesets.yaml", "  cryptococcal-meningitis:\n", "  cryptococcal-meningitiss:\n")
    edit_all(rules / "valuesets.published.json", '"cryptococcal-meningitis"', '"cryptococcal-meningitiss"')
    error = refused(rules)
    assert error.path.endswith("valuesets.yaml")
    assert error.field == "conditions"
    assert "'cryptococcal-meningitis' is missing" in error.detail
    lint = [p for p in lint_rules(rules) if p.severity == "error"]
    assert any("cryptococcal-meningitis" in p.message for p in lint)


def test_a_medication_class_the_derivation_reads_cannot_be_renamed_away(rules: Path) -> None:
    edit_all(rules / "valuesets.yaml", "  tb-treatment-core:\n", "  tb-treatment-main:\n")
    edit_all(rules / "valuesets.published.json", '"tb-treatment-core"', '"tb-treatment-main"')
    error = refused(rules)
    assert (error.field, error.detail) == (
        "medications",
        "'tb-treatment-core' is missing: the engine reads this concept by name",
    )


def test_an_unknown_concept_in_the_published_file_is_refused(rules: Path) -> None:
    edit_all(rules / "valuesets.published.json", '"cryptococcal-meningitis"', '"cryptococcal-meningitiss"')
    error = refused(rules)
    assert error.path.endswith("valuesets.published.json")
    assert error.field == "conditions.cryptococcal-meningitiss"
    assert "not a concept of valuesets.yaml" in error.detail


def test_a_misspelt_system_of_hand_kept_codes_is_refused(rules: Path) -> None:
    path = rules / "valuesets.yaml"
    edit_all(
        path,
        "    hand_kept:\n      icd10cm: {codes: [B20, Z21]",
        "    hand_kept:\n      icd10c: {codes: [B20, Z21]",
    )
    error = refused(rules)
    assert error.path.endswith("valuesets.yaml")
    assert error.field == "conditions.hiv.hand_kept.icd10c"
    assert "unknown code system 'icd10c'" in error.detail
    assert "icd10cm" in error.detail and "snomed" in error.detail


@pytest.mark.parametrize("factor", ["0", "-1", ".inf", "true"])
def test_a_unit_factor_is_a_finite_number_above_zero(rules: Path, factor: str) -> None:
    edit_all(rules / "valuesets.yaml", '      "cells/uL": 1\n', f'      "cells/uL": {factor}\n')
    error = refused(rules)
    assert error.path.endswith("valuesets.yaml")
    assert error.field == "observations.cd4.units.cells/uL"


def test_an_alias_to_an_unknown_system_is_refused(rules: Path) -> None:
    edit_all(
        rules / "valuesets.yaml", "https://openconceptlab.org: ciel ", "https://openconceptlab.org: icd12 "
    )
    error = refused(rules)
    assert error.field == "system_aliases.https://openconceptlab.org"
    assert "unknown code system 'icd12'" in error.detail


def test_an_empty_value_sets_file_says_so(rules: Path) -> None:
    (rules / "valuesets.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_value_sets(rules / "valuesets.yaml")
    assert (caught.value.field, caught.value.detail) == ("(root)", "the file is empty")


def test_every_missing_field_of_the_value_sets_is_named(rules: Path) -> None:
    (rules / "valuesets.yaml").write_text("systems: {}\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_value_sets(rules / "valuesets.yaml")
    fields = {f for f, _ in caught.value.problems}
    assert {"observations", "assessments", "conditions", "medications"} <= fields


def _names_read(kinds: dict[str, str]) -> dict[str, set[str]]:
    """The literal concept names engine code passes to the record's look-ups (``r.conditions("x")``,
    ``r.course("x")``, ``r.of_class("x")``) or tests a condition's concepts for (``"x" in c.concepts``)."""
    found: dict[str, set[str]] = {"conditions": set(), "medications": set()}
    for module in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr
            if isinstance(node, ast.Call) and called in kinds and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found[kinds[str(called)]].add(first.value)
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Constant)
                and isinstance(node.ops[0], ast.In)
                and isinstance(node.comparators[0], ast.Attribute)
                and node.comparators[0].attr == "concepts"
            ):
                found["conditions"].add(str(node.left.value))
    return found


def test_every_concept_the_engine_reads_by_name_is_declared() -> None:
    read = _names_read({"conditions": "conditions", "course": "medications", "of_class": "medications"})
    assert read["conditions"] <= CONDITIONS, read["conditions"] - CONDITIONS
    assert read["medications"] <= MEDICATIONS, read["medications"] - MEDICATIONS
    assert {"cryptococcal-meningitis", "pregnancy", "delivery"} <= read["conditions"]
    assert {"art", "tb-treatment-core"} <= read["medications"]


def edit_all(path: Path, old: str, new: str) -> None:
    """Replace every ``old`` in a file (a concept's name is in several places of the published file)."""
    _edit(path, old, new, every=True)
