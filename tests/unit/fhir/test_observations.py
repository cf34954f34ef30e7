"""FHIR intake (engine.fhir): observations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.fhir import scenario_from_bundle, scenario_from_resources
from engine.scenario import ObservationKind
from engine.valueset_files import default_value_sets
from engine.valuesets import ValueSets
from tests.unit.fhir.builders import (
    ASSESSMENT,
    LOINC,
    SNOMED,
    UCUM,
    Resource,
    cd4,
    fixture,
    observation,
    quantity,
    read,
)


@pytest.mark.parametrize(
    ("value", "code", "unit", "expected"),
    [
        (45, "/uL", None, 45.0),
        (45, "{cells}/uL", None, 45.0),
        (45, "/mm3", None, 45.0),
        (45, "10*6/L", None, 45.0),
        (0.045, "10*9/L", None, 45.0),
        (45, None, "cells/uL", 45.0),
        (0.045, "10*9/L", "x10^9/L", 45.0),  # the UCUM code wins over the printable unit
        (
            45,
            None,
            "x10E6/L",
            45.0,
        ),  # printed as laboratories print 10*6/L, beside x10E9/L (real-records audit)
        (0.045, None, "x10E9/L", 45.0),
    ],
)
def test_cd4_units_are_converted(value: float, code: str | None, unit: str | None, expected: float) -> None:
    [o] = read(cd4("o", value, code, unit)).scenario.observations
    assert o.value == pytest.approx(expected)
    assert o.unit == "cells/uL"


def test_a_non_ucum_code_falls_back_to_the_unit() -> None:
    resource = observation(
        "o", "24467-3", **quantity(45, "CELLS-UL", "cells/uL", system="http://example.org/units")
    )
    [o] = read(resource).scenario.observations
    assert o.value == 45


@pytest.mark.parametrize(("comparator", "value"), [("<", 20), ("<=", 40), (">", 10000000), (">=", 50)])
def test_viral_load_comparator_is_kept(comparator: str, value: int) -> None:
    resource = observation("vl", "20447-9", **quantity(value, "{copies}/mL", comparator=comparator))
    [o] = read(resource).scenario.observations
    assert (o.kind, o.value, o.comparator, o.unit) == (
        ObservationKind.viral_load,
        value,
        comparator,
        "copies/mL",
    )


def test_egfr_is_read() -> None:
    [o] = read(observation("e", "62238-1", **quantity(28, "mL/min/{1.73_m2}"))).scenario.observations
    assert (o.kind, o.value) == (ObservationKind.egfr, 28)


@pytest.mark.parametrize(
    ("resource", "note"),
    [
        (cd4("o-1", 3, "mg"), "Observation/o-1: unit 'mg' cannot be converted for cd4; left out"),
        (
            observation("o-2", "20447-9", **quantity(3, "log{copies}/mL")),
            "Observation/o-2: unit 'log{copies}/mL' cannot be converted for viral-load; left out",
        ),
        (cd4("o-3", 45, None, None), "Observation/o-3: no unit for cd4; left out"),
        (
            observation("o-4", "24467-3", valueInteger=45),
            "Observation/o-4: no valueQuantity value for cd4; left out",
        ),
        (cd4("o-5", 45, when=None), "Observation/o-5: no effective time or issued time for cd4; left out"),
        (cd4("o-6", -5), "Observation/o-6: cd4 not usable (value: must not be negative); left out"),
        (cd4("o-7", "12"), "Observation/o-7.valueQuantity.value: must be a number, not a string; left out"),
    ],
)
def test_unusable_measurements_are_left_out_and_reported(resource: Resource, note: str) -> None:
    result = read(resource)
    assert result.scenario.observations == []
    assert result.notes == [note]


def test_observation_time_falls_back_to_period_start_then_issued() -> None:
    by_period = {**cd4("a", 45, when=None), "effectivePeriod": {"start": "2026-04-01T00:00:00Z"}}
    by_issued = {**cd4("b", 45, when=None), "issued": "2026-04-02T10:00:00+00:00"}
    first, second = read(by_period, by_issued).scenario.observations
    assert first.time == datetime(2026, 4, 1, tzinfo=UTC)
    assert second.time == datetime(2026, 4, 2, 10, tzinfo=UTC)


def test_unrecognised_observation_codes_in_known_systems_are_skipped_silently() -> None:
    result = read(
        observation("hb", "718-7", **quantity(12, "g/dL")),
        observation("a", "some-other-assessment", system=ASSESSMENT, valueBoolean=True),
    )
    assert result.scenario.observations == [] and result.notes == []


def test_observations_coded_only_in_an_unread_system_are_counted_by_system() -> None:
    result = read(
        observation("x", "24467-3", system="http://example.org/local", **quantity(45, "/uL")),
        observation("y", "CD4", system="http://example.org/local", **quantity(45, "/uL")),
    )
    assert result.scenario.observations == [] and result.problems == []
    assert result.notes == [
        "observations coded only in code systems the knowledge base does not read, so not checked by any "
        "rule: http://example.org/local (2)"
    ]


def _panel(oid: str, system: str, code: str, *components: tuple[str, str]) -> Resource:
    panel = observation(oid, code, system=system)
    panel["component"] = [
        {"code": {"coding": [{"system": s, "code": c}]}, "valueInteger": 500} for s, c in components
    ]
    return panel


def test_an_observation_in_a_programmes_own_code_system_is_reported_whatever_its_components() -> None:
    # A CD4 panel as HIV programme records send it: its own code in the programme's code system, its parts
    # in SNOMED CT under codes no rule uses. It may be the CD4 count a rule needs: it is reported.
    local = "http://example.org/hiv-programme/obs-codes"
    result = read(_panel("cd4", local, "CD4-RESULT", (SNOMED, "113056008"), (SNOMED, "313938009")))
    assert result.scenario.observations == []
    assert result.notes == [
        "observations coded only in code systems the knowledge base does not read, so not checked by any "
        f"rule: {local} (1)"
    ]


def test_an_observation_coded_in_a_read_system_is_skipped_silently_whatever_its_components() -> None:
    # A LOINC panel no rule uses, with parts in a local code system: understood as a panel no rule reads.
    result = read(_panel("p", LOINC, "57021-8", ("http://example.org/local", "X1")))
    assert result.scenario.observations == [] and result.notes == []


def test_an_observation_without_a_coded_code_is_judged_by_its_components() -> None:
    untyped = _panel("u", LOINC, "unused", ("http://example.org/local", "X1"))
    untyped["code"] = {"text": "lymphocyte panel"}
    result = read(untyped)
    assert result.notes == [
        "observations coded only in code systems the knowledge base does not read, so not checked by any "
        "rule: http://example.org/local (1)"
    ]


@pytest.mark.parametrize(("snomed", "expected"), [("77386006", "pregnant"), ("60001007", "not-pregnant")])
def test_pregnancy_status(snomed: str, expected: str) -> None:
    value: Resource = {"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": snomed}]}}
    [o] = read(observation("preg", "82810-3", **value)).scenario.observations
    assert (o.kind, o.value) == (ObservationKind.pregnancy_status, expected)


def test_unknown_pregnancy_status_is_reported() -> None:
    value: Resource = {
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "261665006"}], "text": "Unknown"}
    }
    result = read(observation("preg", "82810-3", **value))
    assert result.scenario.observations == []
    assert result.notes == ["Observation/preg: pregnancy status value not recognised; left out"]


@pytest.mark.parametrize(
    "kind",
    [
        "iris-steroid-refractory",
        "iris-steroid-dependent",
        "transplant-ineligible",
        "pain-refractory",
        "reproductive-potential",
    ],
)
@pytest.mark.parametrize("answer", [True, False])
def test_assessments(kind: str, answer: bool) -> None:
    [o] = read(observation("a", kind, system=ASSESSMENT, valueBoolean=answer)).scenario.observations
    assert (o.kind.value, o.value) == (kind, answer)


def test_assessment_without_boolean_is_reported() -> None:
    result = read(observation("a", "pain-refractory", system=ASSESSMENT, valueString="yes"))
    assert result.scenario.observations == []
    assert result.notes == ["Observation/a: the assessment pain-refractory needs valueBoolean; left out"]


# ---- components and units as labs send them ---------------------------------------------------------------


def test_measurements_inside_panel_components_are_read() -> None:
    result = scenario_from_bundle(fixture("cd4-panel-components.json"))
    by_kind = {o.kind: o for o in result.scenario.observations}
    # The viral load and the eGFR sit in components of panels (one with a local panel code).
    assert by_kind[ObservationKind.viral_load].value == 85000
    assert by_kind[ObservationKind.viral_load].time == datetime(2026, 5, 2, 5, 30, tzinfo=UTC)
    assert by_kind[ObservationKind.egfr].value == 58
    # The CD4 percentage component is no concept of ours: its malformed value is never read.
    assert result.problems == []
    # The CD4 count is printed as cells/µL with no UCUM code: read when the unit table knows the printed
    # unit, else left out and said; never silently dropped.
    if ObservationKind.cd4 in by_kind:
        assert by_kind[ObservationKind.cd4].value == 42
    else:
        assert "Observation/cd4-panel.component.0: unit 'cells/µL' cannot be converted for cd4; left out" in (
            result.notes
        )


def test_a_component_is_named_in_notes_by_its_path() -> None:
    panel = observation("panel", "PANEL", system="http://example.org/panels")
    panel["component"] = [{"code": {"coding": [{"system": LOINC, "code": "24467-3"}]}, **quantity(40, "mg")}]
    result = read(panel)
    assert result.notes == ["Observation/panel.component.0: unit 'mg' cannot be converted for cd4; left out"]


def test_a_malformed_component_value_a_rule_reads_is_a_problem_with_its_path() -> None:
    panel = observation("panel", "PANEL", system="http://example.org/panels")
    panel["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": "24467-3"}]}, **quantity("40", "/uL")}
    ]
    assert [p.field for p in read(panel).problems] == ["Observation/panel.component.0.valueQuantity.value"]


def _with_printed_units() -> ValueSets:
    vs = default_value_sets()
    cd4_set = vs.observations["cd4"].model_copy(
        update={"units": {**vs.observations["cd4"].units, "cells/µL": 1.0, "cells/mm³": 1.0}}
    )
    return vs.model_copy(update={"observations": {**vs.observations, "cd4": cd4_set}})


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ({"value": 42, "unit": "cells/µL"}, 42),  # a printed unit, no code
        ({"value": 42, "unit": "cells/mm³", "system": "http://example.org/units", "code": "CMM"}, 42),
        ({"value": 0.042, "unit": "10^9/L", "system": UCUM, "code": "10*9/L"}, 42),  # the two agree
        ({"value": 42, "unit": "whatever", "code": "/uL"}, 42),  # a code without a system is taken as UCUM
    ],
)
def test_the_unit_table_decides_between_ucum_code_and_printed_unit(q: Resource, expected: float) -> None:
    resource = observation("o", "24467-3", valueQuantity=q)
    result = scenario_from_resources([resource], value_sets=_with_printed_units())
    assert [o.value for o in result.scenario.observations] == [pytest.approx(expected)]
    assert result.scenario.observations[0].unit == "cells/uL"


def test_a_cd4_whose_coded_and_printed_units_disagree_is_left_out_and_reported() -> None:
    # 38 printed as cells/uL but coded 10*9/L: 38 or 38,000 cells/uL, which cannot be settled.
    result = read(cd4("o", 38, "10*9/L", "cells/uL"))
    assert result.scenario.observations == []
    assert result.notes == [
        "Observation/o: unit code '10*9/L' and printed unit 'cells/uL' give different values for cd4; "
        "left out"
    ]


def test_a_cd4_percentage_printed_as_a_count_is_left_out_and_reported() -> None:
    # Coded % (a CD4 percentage), printed cells/uL: a percentage is never read as a count.
    result = read(cd4("o", 8, "%", "cells/uL"))
    assert result.scenario.observations == []
    assert result.notes == [
        "Observation/o: unit code '%' and printed unit 'cells/uL' give different values for cd4; left out"
    ]


@pytest.mark.parametrize("comparator", ["<=", ">="])
def test_a_result_at_most_or_at_least_a_limit_keeps_its_comparator(comparator: str) -> None:
    result = read(observation("o", "24467-3", **quantity(100, "/uL", comparator=comparator)))
    assert [(o.value, o.comparator) for o in result.scenario.observations] == [(100, comparator)]


def test_any_measurement_whose_coded_and_printed_units_disagree_is_left_out() -> None:
    vs = default_value_sets()
    egfr = vs.observations["egfr"].model_copy(
        update={"units": {**vs.observations["egfr"].units, "mL/s/{1.73_m2}": 60.0}}
    )
    vs = vs.model_copy(update={"observations": {**vs.observations, "egfr": egfr}})
    conflict = observation("e", "62238-1", **quantity(55, "mL/min/{1.73_m2}", "mL/s/{1.73_m2}"))
    agree = observation("f", "62238-1", **quantity(1, "mL/s/{1.73_m2}", "mL/s/{1.73_m2}"))
    result = scenario_from_resources([conflict, agree], value_sets=vs)
    assert [o.value for o in result.scenario.observations] == [60]
    assert result.notes == [
        "Observation/e: unit code 'mL/min/{1.73_m2}' and printed unit 'mL/s/{1.73_m2}' give different "
        "values for egfr; left out"
    ]
