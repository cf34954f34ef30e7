"""Running Gherkin scenarios in this process with the project's step library, without pytest.

``clinrules test`` runs feature files through pytest-bdd in a subprocess (reports, Cucumber JSON). Mutation
testing runs the same scenarios hundreds of times, so it parses them once with pytest-bdd's own parser and
calls the step definitions directly: each step is matched by its pytest-bdd parser, its arguments converted as
pytest-bdd would, and the fixtures it asks for (the patient, the alerts, the evaluation target) created per
scenario. A step that fails an assertion fails the scenario; one that no definition matches is an error.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from pytest_bdd.feature import get_feature
from pytest_bdd.parser import Step
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from engine.evaluator import Evaluator
from service.suites.gherkinrun import display_path
from service.suites.stepdocs import STEP_MODULES

Outcome = Literal["passed", "failed", "error"]
TARGET_FIXTURE = "clinrules_target"
"""The fixture the When step evaluates with: supplied by the caller."""
_QUOTED_TOPIC = re.compile(r'"([a-z0-9][a-z0-9.-]*)"')


class GherkinUnavailable(RuntimeError):
    """A step library named for a suite cannot be imported."""


@dataclass(frozen=True)
class StepLibrary:
    """The step definitions and plain fixtures of the step modules."""

    steps: list[StepFunctionContext]
    fixtures: dict[str, Callable[..., Any]]

    def match(self, step: Step) -> StepFunctionContext | None:
        """The definition whose parser matches the step (of its type); the last defined wins, as in pytest."""
        found = None
        for context in self.steps:
            if context.type in (None, step.type) and context.parser.is_matching(step.name):
                found = context
        return found


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise GherkinUnavailable(f"the step library ({name}) cannot be imported: {exc}") from exc


def engine_target(evaluator: Evaluator) -> Any:
    """The step library's in-process target (``EngineTarget`` beside the step modules) for ``evaluator``."""
    package = STEP_MODULES[0].rsplit(".", 1)[0]
    return _import(f"{package}.target").EngineTarget(evaluator)


def load_step_library(modules: tuple[str, ...] = STEP_MODULES) -> StepLibrary:
    """Import the step modules and collect their step definitions and fixtures."""
    steps: list[StepFunctionContext] = []
    fixtures: dict[str, Callable[..., Any]] = {}
    for name in modules:
        module = _import(name)
        for value in vars(module).values():
            wrapped = getattr(value, "_get_wrapped_function", None)  # a pytest fixture definition
            if wrapped is None:
                continue
            function = wrapped()
            context = step_function_context_registry.get(function)
            if context is not None:
                steps.append(context)
            elif getattr(value, "name", None):
                fixtures[str(value.name)] = function
    return StepLibrary(steps, fixtures)


@dataclass(frozen=True)
class GherkinScenario:
    """One scenario (one Examples row of an outline) with its background steps first."""

    suite: str
    name: str
    line: int
    steps: list[Step]
    example: str | None = None
    topics: frozenset[str] = field(default_factory=frozenset)
    """The topic codes its steps name (``the "iris-risk" alert fires``)."""

    @property
    def title(self) -> str:
        """The name with its Examples row."""
        return f"{self.name} [{self.example}]" if self.example else self.name


def read_scenarios(features: list[Path]) -> list[GherkinScenario]:
    """Every scenario of the feature files, outlines expanded row by row, in file order."""
    scenarios: list[GherkinScenario] = []
    for path in features:
        feature = get_feature(str(path.resolve().parent), path.name)
        for template in feature.scenarios.values():
            rows: list[tuple[str | None, dict[str, str]]] = [
                (
                    "-".join(context.values()) if context else None,
                    context,
                )
                for examples in template.examples
                for context in examples.as_contexts()
            ] or [(None, {})]
            for example, context in rows:
                scenario = template.render(context)
                topics = {t for s in scenario.steps for t in _QUOTED_TOPIC.findall(s.name)}
                scenarios.append(
                    GherkinScenario(
                        suite=display_path(path),
                        name=scenario.name,
                        line=template.line_number,
                        steps=scenario.steps,
                        example=example,
                        topics=frozenset(topics),
                    )
                )
    return scenarios


class _Fixtures:
    """The fixture values of one scenario, created on first use (and torn down after it)."""

    def __init__(self, library: StepLibrary, given: dict[str, Any]) -> None:
        self.library = library
        self.values = dict(given)
        self.generators: list[Iterator[Any]] = []

    def get(self, name: str) -> Any:
        if name not in self.values:
            function = self.library.fixtures.get(name)
            if function is None:
                raise LookupError(f"no fixture '{name}' in the step library")
            value = function(**{arg: self.get(arg) for arg in _required(function)})
            if inspect.isgenerator(value):
                self.generators.append(value)
                value = next(value)
            self.values[name] = value
        return self.values[name]

    def close(self) -> None:
        for generator in reversed(self.generators):
            next(generator, None)


def _required(function: Callable[..., Any]) -> list[str]:
    return [
        name
        for name, p in inspect.signature(function).parameters.items()
        if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]


def _identity(value: Any) -> Any:
    return value


def _call(context: StepFunctionContext, step: Step, fixtures: _Fixtures) -> None:
    parsed = context.parser.parse_arguments(step.name) or {}
    parameters = inspect.signature(context.step_func).parameters
    converters: dict[str, Callable[[Any], Any]] = dict(context.converters)
    kwargs: dict[str, Any] = {}
    for key, value in parsed.items():
        if key in parameters:
            convert = converters.get(key, _identity)
            kwargs[key] = convert(value)
    if "datatable" in parameters and step.datatable is not None:
        kwargs["datatable"] = step.datatable.raw()
    if "docstring" in parameters and step.docstring is not None:
        kwargs["docstring"] = step.docstring
    for arg in _required(context.step_func):
        if arg not in kwargs:
            kwargs[arg] = fixtures.get(arg)
    result = context.step_func(**kwargs)
    if context.target_fixture:
        fixtures.values[context.target_fixture] = result


def run_scenario(scenario: GherkinScenario, library: StepLibrary, target: Any) -> tuple[Outcome, str]:
    """Run one scenario with ``target`` as the evaluation target: the outcome and, unless passed, why."""
    fixtures = _Fixtures(library, {TARGET_FIXTURE: target})
    try:
        for step in scenario.steps:
            context = library.match(step)
            if context is None:
                return "error", f"no step definition matches: {step.keyword} {step.name}"
            try:
                _call(context, step, fixtures)
            except (AssertionError, pytest.fail.Exception) as exc:
                return "failed", f"{step.keyword} {step.name}: {str(exc).splitlines()[0] if str(exc) else ''}"
            except Exception as exc:
                return "error", f"{step.keyword} {step.name}: {type(exc).__name__}: {exc}"
        return "passed", ""
    finally:
        fixtures.close()
