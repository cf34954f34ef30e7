"""YAML and JSON case files: a patient scenario and the cards expected of it.

A case file holds one case, a list of cases, or a mapping with ``cases:`` (and optionally a suite ``name``
and a default evaluation time ``at``)::

    name: IRIS risk, reviewed cases
    at: 2026-06-01T12:00:00Z          # default evaluation time of every case below
    cases:
      - name: Very low CD4 at ART start
        scenario:                     # the project's JSON, or a FHIR R4 Bundle
          patient: {birth_date: 1984-03-02, sex: female}
          conditions: [{code: B20}]
          observations: [{kind: cd4, time: 2026-05-29, value: 42, unit: cells/uL}]
          medications: [{ingredient: dolutegravir, status: draft, draft: true}]
        expect:
          - {topic: iris-risk, indicator: warning}
          - thalidomide-teratogenicity  # a topic alone: any indicator
        absent: [iris-suspected]
      - name: From a FHIR Bundle on disk
        scenario_file: bundles/hiv-art-start.json   # relative to this file
        only: true                    # no alerts other than those expected
        expect: [iris-risk]

``expect`` lists topics that must fire (with the indicator, when given); ``absent`` topics that must not;
``only: true`` fails on any other alert. ``at`` (per case, else the file's) overrides the scenario's
``evaluation_time``; without either the case is evaluated now.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

IndicatorName = Literal["critical", "warning", "info"]
CASE_SUFFIXES = (".yaml", ".yml", ".json")


class SuiteFileError(ValueError):
    """A case file that cannot be read: names the file and what is wrong."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class Expected(BaseModel):
    """A card that must be shown: its topic code, and its indicator when given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    indicator: IndicatorName | None = None

    def label(self) -> str:
        """``topic (indicator)``, or ``topic`` when any indicator will do."""
        return f"{self.topic} ({self.indicator})" if self.indicator else self.topic


class Case(BaseModel):
    """One scenario of a case file and its expectations."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    scenario: dict[str, Any] | None = None
    scenario_file: str | None = None
    at: datetime | None = None
    expect: list[Expected] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)
    only: bool = False
    tags: list[str] = Field(default_factory=list)

    @field_validator("expect", mode="before")
    @classmethod
    def _topic_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"topic": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _one_scenario(self) -> Case:
        if (self.scenario is None) == (self.scenario_file is None):
            raise ValueError("give exactly one of 'scenario' and 'scenario_file'")
        if not (self.expect or self.absent or self.only):
            raise ValueError("expects nothing: add 'expect', 'absent' or 'only: true'")
        return self


class LoadedCase(BaseModel):
    """A case with its scenario read and its position in the file."""

    case: Case
    data: dict[str, Any]
    index: int
    path: str


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteFileError(path, f"cannot be read: {exc.strerror}") from exc
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SuiteFileError(path, f"not valid {path.suffix[1:].upper()}: {exc}".replace("\n", " ")) from exc


def _raw_cases(data: Any) -> tuple[list[Any], Any]:
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and isinstance(data.get("cases"), list):
        return data["cases"], data.get("at")
    if isinstance(data, dict) and ("scenario" in data or "scenario_file" in data):
        return [data], None
    raise ValueError("not a case file")


def looks_like_case_file(path: Path) -> bool:
    """True when ``path`` holds cases (used to skip other JSON/YAML files found in a folder)."""
    if path.suffix not in CASE_SUFFIXES:
        return False
    try:
        cases, _ = _raw_cases(_read(path))
    except (SuiteFileError, ValueError):
        return False
    return all(isinstance(c, dict) and ("scenario" in c or "scenario_file" in c) for c in cases)


def load_case_file(path: Path) -> list[LoadedCase]:
    """Read and validate every case of a file; :class:`SuiteFileError` names the case and field."""
    try:
        raw, default_at = _raw_cases(_read(path))
    except ValueError as exc:
        if isinstance(exc, SuiteFileError):
            raise
        raise SuiteFileError(path, "expected a case, a list of cases, or a mapping with 'cases:'") from exc
    loaded = []
    for i, item in enumerate(raw):
        if isinstance(item, dict) and default_at is not None and "at" not in item:
            item = {**item, "at": default_at}
        try:
            case = Case.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            name = item.get("name", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
            msg = err["msg"].removeprefix("Value error, ")
            raise SuiteFileError(
                path, f"case {i + 1} ({name}): {where + ': ' if where else ''}{msg}"
            ) from exc
        if case.scenario is not None:
            data = case.scenario
        else:
            assert case.scenario_file is not None
            target = (path.parent / case.scenario_file).resolve()
            where = f"case {i + 1} ({case.name}): scenario_file {case.scenario_file}"
            try:
                scenario = _read(target)
            except SuiteFileError as exc:
                raise SuiteFileError(path, f"{where} ({target}) {exc.message}") from exc
            if not isinstance(scenario, dict):
                raise SuiteFileError(path, f"{where} ({target}): a scenario is a JSON object")
            data = scenario
        loaded.append(LoadedCase(case=case, data=data, index=i, path=str(path)))
    return loaded
