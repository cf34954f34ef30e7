"""Loading rules/: validation errors name the file and the field; the catalogue is complete and traced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.errors import KnowledgeBaseError
from engine.knowledge import Status, load_knowledge_base
from tests.kb_factory import make_kb_dir, rule

CATALOGUE = {
    "iris-risk": "warning",
    "iris-suspected": "warning",
    "iris-steroid-refractory": "info",
    "thalidomide-teratogenicity": "warning",
    "thalidomide-pregnancy": "critical",
    "thalidomide-vte": "warning",
    "thalidomide-neuropathy": "warning",
    "poems-thalidomide": "info",
    "pain-thalidomide": "info",
    "il2-not-recommended": "warning",
    "art-timing-cryptococcal": "warning",
    "art-timing-tb": "info",
    "tb-iris-prophylaxis": "info",
}
GOOD = rule("good", {"fact": "hiv", "is": True})


def broken(tmp_path: Path, **change: Any) -> KnowledgeBaseError:
    body = {**GOOD, **change}
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(make_kb_dir(tmp_path, [body]))
    return caught.value


def test_the_shipped_catalogue_has_every_topic_with_its_indicator() -> None:
    kb = load_knowledge_base()
    active = {r.topic: r.indicator.value for r in kb.rules.values() if r.status is Status.active}
    assert active == CATALOGUE


def test_every_statement_is_encoded_or_says_why_not() -> None:
    kb = load_knowledge_base()
    uncovered = [sid for sid, by in kb.encoded_by.items() if not by and not kb.statements[sid].not_encoded]
    assert uncovered == []


def test_every_rule_cites_sources_and_has_a_short_summary() -> None:
    kb = load_knowledge_base()
    for r in kb.rules.values():
        assert kb.citations(r), r.id
        assert len(r.summary) < 140, r.id


def test_thresholds_are_the_catalogue_defaults() -> None:
    kb = load_knowledge_base()
    expected = {
        "iris-risk": {"cd4_below": 100, "window_days": 90},
        "iris-suspected": {"window_days": 90},
        "iris-steroid-refractory": {"steroid_days": 28},
        "poems-thalidomide": {"age_at_least": 65, "egfr_below": 30},
        "art-timing-cryptococcal": {"window_days": 28},
        "art-timing-tb": {},
        "thalidomide-pregnancy": {"stopped_within_days": 28},
        "tb-iris-prophylaxis": {"tb_treatment_days_max": 30, "cd4_at_most": 100},
    }
    assert {rid: kb.params(rid) for rid in expected} == expected


def test_the_version_is_a_hash_of_the_files(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [GOOD])
    first = load_knowledge_base(root).version
    assert load_knowledge_base(root).version == first
    (root / "good.yaml").write_text((root / "good.yaml").read_text() + "\n# edited\n")
    assert load_knowledge_base(root).version != first


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"summary": "x" * 140}, "summary", "at most 139"),
        ({"indicator": "urgent"}, "indicator", "critical"),
        ({"statements": ["no.such"]}, "statements.0", "unknown statement"),
        ({"when": {"fact": "no_such_fact", "is": True}}, "when.fact", "unknown fact"),
        ({"when": {"fact": "hiv", "lt": 3}}, "when.lt", "numeric fact"),
        ({"when": {"fact": "latest_cd4", "lt": {"param": "nope"}}}, "when", "unknown parameter"),
        ({"when": {"all": []}}, "when.all", "non-empty"),
        ({"when": {"concluded": "nobody-says-this"}}, "when", "no active rule concludes"),
        ({"version": "1"}, "version", "pattern"),
        ({"colour": "red"}, "colour", "Extra inputs"),
        (
            {"parameters": {"x": {"value": 5, "min": 10, "max": 20, "description": "d"}}},
            "parameters.x.value",
            "outside",
        ),
    ],
)
def test_a_wrong_field_names_the_file_and_field(
    tmp_path: Path, change: dict[str, Any], field: str, words: str
) -> None:
    error = broken(tmp_path, **change)
    assert error.path.endswith("good.yaml")
    assert error.field == field
    assert words in str(error)


def test_file_name_must_match_the_rule_id(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [GOOD])
    (root / "good.yaml").rename(root / "other.yaml")
    with pytest.raises(KnowledgeBaseError, match=r"other\.yaml: id"):
        load_knowledge_base(root)


def test_duplicate_active_topic_is_refused(tmp_path: Path) -> None:
    twin = rule("twin", {"fact": "hiv", "is": True}, topic="good")
    with pytest.raises(KnowledgeBaseError, match="topic 'good' is already used"):
        load_knowledge_base(make_kb_dir(tmp_path, [GOOD, twin]))


def test_retired_rules_load_but_do_not_compile(tmp_path: Path) -> None:
    old = rule("old", {"fact": "hiv", "is": True}, status="retired", topic="good")
    kb = load_knowledge_base(make_kb_dir(tmp_path, [GOOD, old]))
    assert [r.id for r in kb.active_rules] == ["good"]


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [GOOD])
    (root / "good.yaml").write_text("id: [unclosed\n")
    with pytest.raises(KnowledgeBaseError, match=r"good\.yaml: \(yaml\)"):
        load_knowledge_base(root)


def test_unknown_source_of_a_statement(tmp_path: Path) -> None:
    root = make_kb_dir(tmp_path, [GOOD])
    data = yaml.safe_load((root / "statements.yaml").read_text())
    data["statements"][0]["source"] = "nobody-2020"
    (root / "statements.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(KnowledgeBaseError, match=r"statements\.yaml: statements\.0\.source"):
        load_knowledge_base(root)


def test_threshold_overrides_are_range_checked(tmp_path: Path) -> None:
    body = rule(
        "cd4",
        {"fact": "latest_cd4", "lt": {"param": "below"}},
        parameters={"below": {"value": 100, "min": 0, "max": 500, "description": "d"}},
    )
    root = make_kb_dir(tmp_path, [body])
    assert load_knowledge_base(root, {"cd4": {"below": 200}}).params("cd4") == {"below": 200}
    with pytest.raises(KnowledgeBaseError, match=r"thresholds\.cd4\.below"):
        load_knowledge_base(root, {"cd4": {"below": 900}})
