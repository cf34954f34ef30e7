"""Generate ``docs/steps.md``, the step vocabulary, from the step library in ``service/suites/steps``.

Every step of the Given, When and Then modules is listed in source order with its wording (regular
expression groups shown as ``<name>``), its parameters, its docstring and the examples the docstring gives.
Run ``python -m service.suites.stepdocs`` to rewrite the page, or with ``--check`` to fail when it is stale
(the tests do the same).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.suites.steps.phrases import INGREDIENT, WHEN

STEP_MODULES = (
    "service.suites.steps.given",
    "service.suites.steps.given_medicines",
    "service.suites.steps.given_results",
    "service.suites.steps.when",
    "service.suites.steps.then",
)
SERVICE_MODULES = (
    "service.suites.steps.service_given",
    "service.suites.steps.service_steps",
    "service.suites.steps.analytics_steps",
)
DOC_PATH = Path("docs") / "steps.md"
PARAMETER_HELP = {
    "when": "a time before today: `today`, `yesterday`, `1 day ago`, `<n> days ago`",
    "day": "a date `YYYY-MM-DD` (noon UTC) or an ISO 8601 time",
    "sex": "`female` or `male` (optional)",
    "age": "age in completed years (optional)",
    "code": "an ICD-10-CM code such as `B20`, `A15.0`, `B45.1`",
    "name": "the condition's name, as the clinician writes it",
    "source": 'a source id in double quotes, e.g. `"thalomid-label"` (see the rule catalogue)',
    "text": "free text, in double quotes",
    "ingredient": "a medication: ingredient or product name",
    "value": "a number, e.g. `42` or `0.045`",
    "unit": "a unit as on a lab report, e.g. `cells/µL`, `10*9/L`, `copies/mL`, `mL/min/1.73m2`",
    "below": "`of` for a result, `below` for a result under the assay's limit",
    "limit": "`of` for a result, `below` for one under the assay's limit, `above` for one over the reporting "
    "limit (a laboratory's `>90`)",
    "days": "a whole number of days",
    "topic": 'a topic code in double quotes, e.g. `"iris-risk"` (see the rule catalogue)',
    "other": "another alert's topic code",
    "indicator": "`critical`, `warning` or `info`",
    "topics": "topic codes separated by commas, quotes optional",
    "status": "`recurred` or `relapsed`",
    "result": "`positive` or `negative`",
    "clock": "a time of day `HH:MM`, e.g. `10:00`",
}
"""What a parameter takes, by name; a parameter whose group lists fixed words is described by them instead."""
_BY_BODY = {
    INGREDIENT: "a medication: ingredient or product name",  # where a step calls it `name`
    WHEN: PARAMETER_HELP["when"],
    r"\d+": "a whole number",
}
_CODE_IN_SYSTEM = "a code of that system, in double quotes: `B20` (ICD-10-CM), `L04AX02` (ATC), `767` (CIEL)"
_OVERRIDE_CODE = "an override reason's code, e.g. `already-monitored` (see the rule catalogue)"


@dataclass(frozen=True)
class StepDoc:
    """One step of the vocabulary."""

    keyword: str
    pattern: str
    wording: str
    parameters: list[tuple[str, str]]
    description: str
    examples: list[str]
    line: int
    module: str


def _group_body(pattern: str, start: int) -> tuple[str, int]:
    """The text of the group opening at ``start`` and the index after its closing parenthesis."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return pattern[start : i + 1], i + 1
        i += 1
    return pattern[start:], len(pattern)


def wording(pattern: str) -> str:
    """A readable form of a step pattern: ``(?P<x>…)`` → ``<x>``, optional groups → ``[…]``."""
    return re.sub(r"\s+", " ", _words(pattern)).strip()


def _words(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
        elif pattern.startswith("(?P<", i):
            body, end = _group_body(pattern, i)
            name = body[4 : body.index(">")]
            optional = pattern[end : end + 1] == "?"
            out.append(f"[<{name}>]" if optional else f"<{name}>")
            i = end + (1 if optional else 0)
        elif pattern.startswith("(?:", i):
            body, end = _group_body(pattern, i)
            inner = _words(body[3:-1])
            if pattern[end : end + 1] == "?":
                before = " " if inner.startswith(" ") else ""
                after = " " if inner.endswith(" ") else ""
                out.append(f"{before}[{inner.strip()}]{after}")
                end += 1
            else:
                out.append(inner)
            i = end
        elif ch in "^$":
            i += 1
        elif pattern[i + 1 : i + 2] == "?":
            out.append(f"[{ch}]")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _choices(body: str) -> list[str] | None:
    """The words a group such as ``(?P<kind>CD4 count|viral load)`` takes, or None when it is not a list."""
    words = body.split("|")
    if all(re.fullmatch(r"(?:[\w ,/*-]|\\.)+", w) for w in words):
        return [re.sub(r"\\(.)", r"\1", w) for w in words]
    return None


def _help(name: str, body: str, optional: bool, names: list[str]) -> str:
    words = _choices(body)
    known = PARAMETER_HELP.get(name, "")
    if words is not None and all(f"`{w}`" in known for w in words):
        return known  # it says what each word means
    if words is not None:
        listed = ", ".join(f"`{w}`" for w in words)
        if len(words) == 1:
            return f"write {listed} or leave it out"
        return f"one of {listed}" + (" (optional)" if optional else "")
    if name == "code" and "system" in names:
        return _CODE_IN_SYSTEM
    if name == "code" and "outcome" in names:
        return _OVERRIDE_CODE
    if name in PARAMETER_HELP and not (name == "name" and body in _BY_BODY):
        return PARAMETER_HELP[name]
    return _BY_BODY.get(body, "see the wording")


def _parameters(pattern: str) -> list[tuple[str, str]]:
    if not pattern:
        return []
    names = list(re.compile(pattern).groupindex)
    found = []
    for name in names:
        start = pattern.index(f"(?P<{name}>")
        body, end = _group_body(pattern, start)
        found.append((name, _help(name, body[len(name) + 5 : -1], pattern[end : end + 1] == "?", names)))
    return found


def collect(module_names: tuple[str, ...] = STEP_MODULES) -> list[StepDoc]:
    """Every step of these modules of the step library, Given then When then Then, each in source order."""
    from pytest_bdd.steps import step_function_context_registry

    modules = [importlib.import_module(m) for m in module_names]
    names = {m.__name__ for m in modules}
    docs = []
    for context in list(step_function_context_registry.values()):
        func: Any = context.step_func
        if func.__module__ not in names:
            continue
        parser = context.parser
        regex = getattr(parser, "regex", None)
        pattern = regex.pattern if regex is not None else ""
        text = wording(pattern) if pattern else str(parser.name)
        doc = inspect.getdoc(func) or ""
        examples = [ln.strip().removeprefix("Example:").strip() for ln in doc.splitlines()
                    if ln.strip().startswith("Example:")]  # fmt: skip
        description = "\n".join(
            ln for ln in doc.splitlines() if not ln.strip().startswith("Example:")
        ).strip()
        docs.append(
            StepDoc(
                keyword=str(context.type or "step").capitalize(),
                pattern=pattern,
                wording=text,
                parameters=_parameters(pattern),
                description=description,
                examples=examples,
                line=func.__code__.co_firstlineno,
                module=func.__module__,
            )
        )
    order = {name: i for i, name in enumerate(module_names)}
    return sorted(docs, key=lambda d: (order[d.module], d.line))


INTRO = """# Step vocabulary

<!-- Generated by `python -m service.suites.stepdocs` from service/suites/steps/; do not edit by hand. -->

These are the sentences a feature file may use; `clinrules test` runs feature files written with them (see
[suites.md](suites.md)). In the wording, `<name>` is a parameter and `[...]` an optional part. Start each
scenario with `Given` steps that describe the patient, evaluate with `When the rules are evaluated`, and
check the alerts with `Then` steps; `And` and `But` repeat the previous keyword.

```gherkin
Feature: My IRIS checks
  Scenario: Very low CD4 when ART is ordered
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 42 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert is warning
```
"""


SERVICE_INTRO = """
## Service steps

Scenarios of the service as an EHR sees it (CDS Hooks calls, feedback, errors). `Given the clinrules
service is running` is the service the suite targets: one started in process, or the service at
`clinrules test --url`. The CDS Hooks requests named are those of `service/suites/steps/cds/`.
"""


def render() -> str:
    """The Markdown page."""
    parts = [INTRO]
    _sections(parts, collect(), "##")
    parts.append(SERVICE_INTRO)
    _sections(parts, collect(SERVICE_MODULES), "###")
    return "".join(parts)


def _sections(parts: list[str], steps: list[StepDoc], level: str) -> None:
    for keyword in ("Given", "When", "Then"):
        section = [s for s in steps if s.keyword == keyword]
        if not section:
            continue
        parts.append(f"\n{level} {keyword} steps\n")
        for step in section:
            parts.append(f"\n{level}# {keyword} {step.wording}\n")
            if step.description:
                parts.append(f"\n{step.description}\n")
            if step.parameters:
                parts.append("\n| parameter | value |\n|---|---|\n")
                parts.extend(f"| `{name}` | {help_} |\n" for name, help_ in step.parameters)
            if step.examples:
                parts.append("\n```gherkin\n" + "\n".join(step.examples) + "\n```\n")


def main(argv: list[str] | None = None) -> int:
    """Write ``docs/steps.md`` (``--check``: exit 1 if it differs from what would be written)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    target = root / DOC_PATH
    text = render()
    if "--check" in args:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run python -m service.suites.stepdocs", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
