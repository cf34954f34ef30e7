"""The intake's fast paths read exactly what its validating paths read.

The intake reads each resource whole in one pass (``engine.fhir.wholes``), builds scenario items without
validating them again (``engine.fhir.items``) and remembers what codes, names and units mean
(``engine.fhir.meanings``, the value sets' memos). Each is a shortcut past a slower path that stays in the
code for input the shortcut does not take: the two-step read (head, then body), pydantic's validation of each
item, recognition per resource. These tests read the same input both ways, the second with every shortcut
turned off and with value sets of their own (so no memo is shared), and require the same scenario (items,
computed concepts, fields set), the same notes and the same problems.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.fhir import FhirImport, intake, items, scenario_from_resources, wholes
from engine.paths import default_rules_dir
from engine.valueset_files import load_value_sets
from tests.unit.fhir.builders import ICD10, LOINC, RXNORM, SNOMED, UCUM

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"


@contextmanager
def validating_paths_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every shortcut off: resources read in two steps, items validated by pydantic, nothing remembered."""
    with monkeypatch.context() as patch:
        patch.setattr(intake, "read_wholes", lambda found: None)
        patch.setattr(wholes, "whole", lambda data, kind: None)
        for name in ("observation", "condition", "medication", "patient", "codings", "scenario"):
            patch.setattr(items, name, lambda *args, **kwargs: None)
        yield


def _dump(result: FhirImport) -> dict[str, Any]:
    scenario = result.scenario
    return {
        "scenario": scenario.model_dump(mode="json"),
        "fields_set": [
            sorted(item.model_fields_set)
            for item in (*scenario.observations, *scenario.conditions, *scenario.medications)
        ],
        "patient_fields_set": sorted(scenario.patient.model_fields_set),
        "scenario_fields_set": sorted(scenario.model_fields_set),
        "notes": result.notes,
        "problems": [(p.field, p.message) for p in result.problems],
        "patient_id": result.patient_id,
        "next_links": result.next_links,
        "unresolved": result.unresolved_references,
    }


def _both_ways(
    monkeypatch: pytest.MonkeyPatch,
    resources: list[Any],
    drafts: list[Any] | None = None,
    at: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    fast_sets = load_value_sets(default_rules_dir() / "valuesets.yaml")
    # Twice, so that the second read answers from the memos the first one filled.
    scenario_from_resources(resources, drafts or [], at, value_sets=fast_sets)
    fast = scenario_from_resources(resources, drafts or [], at, value_sets=fast_sets)
    with validating_paths_only(monkeypatch):
        slow_sets = load_value_sets(default_rules_dir() / "valuesets.yaml")
        slow = scenario_from_resources(resources, drafts or [], at, value_sets=slow_sets)
    return _dump(fast), _dump(slow)


def _inputs(document: Any) -> tuple[list[Any], list[Any]]:
    """A fixture as the intake receives it: a resource or Bundle, or a CDS request's prefetch and orders."""
    if isinstance(document, dict) and "prefetch" in document:
        drafts = (document.get("context") or {}).get("draftOrders")
        return list((document.get("prefetch") or {}).values()), [drafts] if drafts else []
    return [document], []


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_fixtures_read_the_same_both_ways(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    resources, drafts = _inputs(json.loads((FIXTURES / name).read_text(encoding="utf-8")))
    fast, slow = _both_ways(monkeypatch, resources, drafts)
    assert fast == slow


@pytest.mark.parametrize(
    "at",
    [
        None,
        datetime(2026, 5, 15, 12, 0, tzinfo=UTC),
        datetime(2026, 5, 15, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 5, 15, 12, 0),
        datetime(1850, 1, 1, tzinfo=UTC),
    ],
)
def test_evaluation_times_read_the_same_both_ways(
    monkeypatch: pytest.MonkeyPatch, at: datetime | None
) -> None:
    resources, drafts = _inputs(json.loads((FIXTURES / "hiv-art-start-bundle.json").read_text("utf-8")))
    fast, slow = _both_ways(monkeypatch, resources, drafts, at)
    assert fast == slow


def test_the_shortcuts_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast read of a clean record never falls back (else the comparisons above would prove nothing)."""
    resources, drafts = _inputs(json.loads((FIXTURES / "hiv-art-start-bundle.json").read_text("utf-8")))
    fallbacks: list[str] = []
    originals = {name: getattr(items, name) for name in ("observation", "condition", "medication")}
    for name, original in originals.items():

        def spy(*args: Any, _f: Any = original, _name: str = name) -> Any:
            built = _f(*args)
            if built is None:
                fallbacks.append(_name)
            return built

        monkeypatch.setattr(items, name, spy)
    result = scenario_from_resources(resources, drafts)
    assert result.scenario.observations and result.scenario.conditions and result.scenario.medications
    assert fallbacks == []


# ---- generated resources: awkward strings, dates, units, malformed elements ----------------------------

_TEXTS = st.sampled_from(
    [
        "HIV disease",
        "  HIV disease ",
        "",
        " ",
        "thalidomide 50 mg",
        "Thalidomide\u2013Celgene",
        "x" * 600,
        None,
    ]
)
_DATES = st.sampled_from(
    [
        "2025-10-27",
        "2025-02-30",
        "2025",
        "2025-06",
        "1850-01-01",
        "2026-05-01T10:00:00+02:00",
        "2026-05-01T10:00:00",
        "2026-05-01T23:30:00Z",
        20250101,
        None,
    ]
)
_CODES = st.sampled_from(
    [(ICD10, "B20"), (ICD10, " B20 "), (SNOMED, "86406008"), (ICD10, "I10"), ("urn:local", "X1"), (ICD10, "")]
)
_UNITS = st.sampled_from(
    [
        ("cells/uL", UCUM, "/uL"),
        ("cells/µL", None, None),
        ("copies/mL", UCUM, "{copies}/mL"),
        (None, None, None),
    ]
)


def _present(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


@st.composite
def observations(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(["24467-3", "20447-9", "33914-3", "82810-3", "0000-0"]))
    unit, system, ucum = draw(_UNITS)
    value = draw(st.sampled_from([38, 38.5, -4, 0, "61", 1e308, None]))
    return _present(
        resourceType="Observation",
        id=draw(st.sampled_from(["o1", "o2", None])),
        status=draw(st.sampled_from(["final", "preliminary", "entered-in-error", 7])),
        subject={"reference": draw(st.sampled_from(["Patient/p1", "Patient/p2"]))},
        code={"coding": [{"system": LOINC, "code": code}]},
        effectiveDateTime=draw(_DATES),
        issued=draw(st.sampled_from([None, "2026-01-01T00:00:00Z", "yesterday"])),
        valueQuantity=_present(value=value, unit=unit, system=system, code=ucum, comparator=None)
        if value is not None
        else None,
        category=draw(st.sampled_from([None, {"text": "one object, not a list"}])),
    )


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    system, code = draw(_CODES)
    return _present(
        resourceType="Condition",
        id=draw(st.sampled_from(["c1", None])),
        subject={"reference": "Patient/p1"},
        code=_present(coding=[_present(system=system, code=code, display=draw(_TEXTS))], text=draw(_TEXTS)),
        clinicalStatus={"coding": [{"code": draw(st.sampled_from(["active", "resolved", "odd"]))}]},
        onsetDateTime=draw(_DATES),
        recordedDate=draw(_DATES),
    )


@st.composite
def medications(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["MedicationRequest", "MedicationStatement"]))
    start, end = draw(_DATES), draw(_DATES)
    period = _present(start=start, end=end) or None
    coding = draw(
        st.sampled_from([[], [{"system": RXNORM, "code": "1597876"}], [{"system": RXNORM, "code": " "}]])
    )
    timing = (
        {"authoredOn": start, "dispenseRequest": {"validityPeriod": period}}
        if kind == "MedicationRequest"
        else {"effectivePeriod": period}
    )
    return _present(
        resourceType=kind,
        id=draw(st.sampled_from(["m1", None])),
        status=draw(st.sampled_from(["active", "draft", "completed", None])),
        subject={"reference": "Patient/p1"},
        medicationCodeableConcept=_present(coding=coding, text=draw(_TEXTS)),
        **{k: v for k, v in timing.items() if v is not None},
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.one_of(observations(), conditions(), medications()), min_size=1, max_size=6),
    st.sampled_from(["1984-03-02", "1850-01-01", "1984", None]),
)
def test_generated_records_read_the_same_both_ways(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]], birth: str | None
) -> None:
    patient = _present(resourceType="Patient", id="p1", gender="female", birthDate=birth)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in [patient, *records]],
    }
    fast, slow = _both_ways(monkeypatch, [bundle])
    assert fast == slow
