"""Status questions (``status_questions`` in valuesets.yaml): asked for by the prefetch, never measured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.errors import KnowledgeBaseError
from engine.paths import default_rules_dir
from engine.valueset_files import load_value_sets
from engine.valuesets import ValueSets
from tests.unit.terminology.codes import CIEL, DAK, SNOMED, published


def test_the_hiv_status_questions_are_the_patients_own(vs: ValueSets) -> None:
    assert set(vs.status_question_codes()) == {
        (DAK, "HIV.B.DE115"),
        (DAK, "HIV.B.DE111"),
        (DAK, "HIV.E.DE225"),
        (CIEL, "159576"),
        (SNOMED, "278977008"),
    }


def test_every_status_question_was_found_in_the_shared_terminology(vs: ValueSets) -> None:
    """The generator looked each one up (regenerate after adding one); none is taken on trust."""
    checks = published()["hand_kept_checks"]
    for systems in vs.status_questions.values():
        for system, kept in systems.items():
            for code in kept.codes:
                found = checks[system][code]  # type: ignore[index]
                assert found != "not found in any published list here", (system, code)
    assert checks["hiv-dak"]["HIV.B.DE115"].startswith("HIV status (WHO SMART HIV")  # type: ignore[index]
    assert checks["ciel"]["159576"] == "CIEL HIV Status (Question)"  # type: ignore[index]


def test_a_status_question_is_never_an_observation_kind(vs: ValueSets) -> None:
    """Its answer is read as a condition; no rule may read it as a measured value."""
    measured = set(vs.observation_codes())
    for system, code in vs.status_question_codes():
        assert vs.observation_kind(code, system) is None, (system, code)
        assert (system, code) not in measured


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("status_questions:\n  hiv:\n", "status_questions:\n  hiv-partner:\n", "not a condition concept"),
        ('    snomed:\n      codes: ["278977008"]', '    sct:\n      codes: ["278977008"]', "unknown code"),
    ],
)
def test_a_status_question_of_an_unknown_concept_or_system_is_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    root = tmp_path / "rules"
    root.mkdir()
    text = (default_rules_dir() / "valuesets.yaml").read_text(encoding="utf-8")
    assert old in text
    shutil.copy(default_rules_dir() / "valuesets.published.json", root / "valuesets.published.json")
    (root / "valuesets.yaml").write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=message):
        load_value_sets(root / "valuesets.yaml")
