"""``docs/steps.md`` is generated from the step library and must be current."""

from __future__ import annotations

import re
from pathlib import Path

from service.suites.stepdocs import DOC_PATH, collect, render, wording

ROOT = Path(__file__).resolve().parents[2]


def test_docs_steps_md_is_current() -> None:
    current = (ROOT / DOC_PATH).read_text(encoding="utf-8") if (ROOT / DOC_PATH).exists() else ""
    assert current == render(), "docs/steps.md is out of date: run python -m service.suites.stepdocs"


def test_every_step_is_documented_with_an_example() -> None:
    steps = collect()
    assert {s.keyword for s in steps} == {"Given", "When", "Then"}
    missing = [s.wording for s in steps if not s.examples or not s.description]
    assert missing == [], f"steps without a docstring example: {missing}"


def test_wording_of_patterns() -> None:
    assert wording(r"an? (?:(?P<sex>female|male) )?patient(?: aged (?P<age>\d+))?") == (
        "a[n] [<sex>] patient [aged <age>]"
    )
    assert wording(r"the \"(?P<topic>[a-z-]+)\" alert fires") == 'the "<topic>" alert fires'


def test_each_parameter_is_described_with_the_words_its_examples_use() -> None:
    """Regression: `kind` of the "printed as" step was described as `steroid-refractory`, and `no` of the
    transplant-candidate step as "write `no `" where the step takes `not `."""
    checked = 0
    for step in collect():
        help_of = dict(step.parameters)
        assert "see the wording" not in help_of.values(), step.wording
        for example in step.examples if step.pattern else []:
            text = re.sub(r"^(Given|When|Then|And|But) ", "", example)
            found = re.fullmatch(step.pattern, text)
            assert found, f"the example does not match its step: {example}"
            for name, value in found.groupdict().items():
                group = re.search(rf"\(\?P<{name}>([^()]*)\)", step.pattern)
                if value and group and re.fullmatch(r"[\w ,/*|-]+", group.group(1)):
                    assert f"`{value}`" in help_of[name], f"{step.wording}: {name}={value!r}: {help_of[name]}"
                    checked += 1
    assert checked > 10
