"""The knowledge-base cache of short commands: a hit only for unchanged files, never a hidden error, never a
file anybody else could have written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine.errors import KnowledgeBaseError
from engine.kb_cache import cache_dir, cached_load
from engine.knowledge import KnowledgeBase, load_knowledge_base
from tests.kb_factory import make_kb_dir, rule

ROOT = Path(__file__).resolve().parents[2]
WHEN = {"all": [{"fact": "hiv", "is": True}]}


class Loads:
    """``load_knowledge_base(root)``, counting its calls."""

    def __init__(self, root: Path) -> None:
        self.root, self.calls = root, 0

    def __call__(self) -> KnowledgeBase:
        self.calls += 1
        return load_knowledge_base(self.root)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CLINRULES_CACHE_DIR", str(cache))
    return cache


def test_unchanged_files_are_read_back_and_a_changed_file_loads_afresh(tmp_path: Path, folder: Path) -> None:
    root = make_kb_dir(tmp_path, [rule("a-rule", WHEN)])
    load = Loads(root)
    first = cached_load(root, {}, load)
    again = cached_load(root, {}, load)
    assert load.calls == 1 and again is not first
    assert again.version == first.version and list(again.rules) == ["a-rule"]
    assert again.rules["a-rule"].summary == "Summary of a-rule"
    (root / "a-rule.yaml").write_text(
        yaml.safe_dump(rule("a-rule", WHEN, summary="Changed summary")), encoding="utf-8"
    )
    changed = cached_load(root, {}, load)
    assert load.calls == 2 and changed.rules["a-rule"].summary == "Changed summary"
    assert cached_load(root, {"a-rule": {}}, load) is not None and load.calls == 3  # overrides are in the key


def test_a_rule_file_with_an_error_is_reported_though_an_earlier_state_is_cached(
    tmp_path: Path, folder: Path
) -> None:
    root = make_kb_dir(tmp_path, [rule("a-rule", WHEN)])
    cached_load(root, {}, Loads(root))
    (root / "a-rule.yaml").write_text("id: a-rule\nwhen: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"a-rule\.yaml"):
        cached_load(root, {}, Loads(root))


@pytest.mark.parametrize("damage", ["garbage", "group-writable", "someone-elses-folder"])
def test_an_entry_that_is_damaged_or_not_private_is_never_read(
    tmp_path: Path, folder: Path, damage: str
) -> None:
    root = make_kb_dir(tmp_path, [rule("a-rule", WHEN)])
    cached_load(root, {}, Loads(root))
    (entry,) = folder.glob("kb-*.pickle")
    if damage == "garbage":
        entry.write_bytes(b"not a pickle")
    elif damage == "group-writable":
        entry.chmod(0o664)
    else:
        folder.chmod(0o777)
    load = Loads(root)
    assert cached_load(root, {}, load).rules["a-rule"].id == "a-rule"
    assert load.calls == 1


def test_an_empty_cache_dir_setting_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINRULES_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() is None
    root = make_kb_dir(tmp_path, [rule("a-rule", WHEN)])
    load = Loads(root)
    cached_load(root, {}, load)
    cached_load(root, {}, load)
    assert load.calls == 2 and not (tmp_path / "xdg").exists()
    monkeypatch.delenv("CLINRULES_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "clinrules"


def test_clinrules_evaluate_run_twice_gives_the_same_answer_from_the_cache(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "patient": {"birth_date": "1984-03-02", "sex": "female"},
                "evaluation_time": "2026-06-01T09:00:00Z",
                "conditions": [{"code": "B20"}],
                "medications": [{"ingredient": "thalidomide", "status": "draft", "draft": True}],
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "CLINRULES_CACHE_DIR": str(tmp_path / "cache")}
    answers = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "evaluate", str(scenario), "--json"],
            capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        answers.append(json.loads(done.stdout))
    assert len(list((tmp_path / "cache").glob("kb-*.pickle"))) == 1
    assert answers[0] == answers[1]
    assert [f["topic"] for f in answers[1]["findings"]] == ["thalidomide-teratogenicity"]


def test_the_same_rules_in_another_folder_keep_their_own_paths(tmp_path: Path, folder: Path) -> None:
    first = make_kb_dir(tmp_path, [rule("a-rule", WHEN)])
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    shutil.copytree(first, copy / "rules")
    cached_load(first, {}, Loads(first))
    load = Loads(copy / "rules")
    moved = cached_load(copy / "rules", {}, load)
    assert load.calls == 1
    assert Path(moved.rules["a-rule"].path).parent == copy / "rules"


def test_a_rules_folder_kept_in_git_is_keyed_without_its_history(tmp_path: Path, folder: Path) -> None:
    root = make_kb_dir(tmp_path, [rule("a-rule", WHEN)])
    (root / ".git").mkdir()
    (root / ".git" / "index").write_bytes(b"one")
    load = Loads(root)
    cached_load(root, {}, load)
    (root / ".git" / "index").write_bytes(b"two")
    cached_load(root, {}, load)
    assert load.calls == 1
