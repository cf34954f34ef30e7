"""The FHIR R4 input adapter (engine.fhir): FHIR resources and Bundles in, one Scenario and notes out."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine import Evaluator, load_knowledge_base
from engine.fhir import FhirImport, looks_like_fhir, scenario_from_bundle, scenario_from_resources
from engine.scenario import CodeSystem, ConditionStatus, MedicationStatus, ObservationKind, Sex

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
ASSESSMENT = "urn:clinrules:assessment"
AT = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)

Resource = dict[str, Any]


def fixture(name: str) -> Resource:
    data: Resource = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@cache
def evaluator() -> Evaluator:
    return Evaluator(load_knowledge_base())


def patient(pid: str = "p1", **extra: Any) -> Resource:
    return {"resourceType": "Patient", "id": pid, **extra}


def observation(
    oid: str,
    code: str,
    *,
    system: str = LOINC,
    when: str | None = "2026-05-01T08:00:00Z",
    status: str = "final",
    **value: Any,
) -> Resource:
    resource: Resource = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": {"coding": [{"system": system, "code": code}]},
        **value,
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    return resource


def quantity(value: Any, code: str | None = None, unit: str | None = None, **extra: Any) -> Resource:
    q: Resource = {"value": value, **extra}
    if code is not None:
        q["code"] = code
        q.setdefault("system", UCUM)
    if unit is not None:
        q["unit"] = unit
    return {"valueQuantity": q}


def cd4(oid: str, value: Any, code: str | None = "/uL", unit: str | None = None, **kw: Any) -> Resource:
    return observation(oid, "24467-3", **quantity(value, code, unit), **kw)


def condition(
    cid: str,
    codings: Sequence[tuple[str, str, str | None]] = (),
    *,
    text: str | None = None,
    clinical: str | None = "active",
    verification: str | None = None,
    **extra: Any,
) -> Resource:
    code: Resource = {}
    if codings:
        code["coding"] = [{"system": s, "code": c, **({"display": d} if d else {})} for s, c, d in codings]
    if text:
        code["text"] = text
    resource: Resource = {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "code": code,
        **extra,
    }
    if clinical:
        resource["clinicalStatus"] = {"coding": [{"code": clinical}]}
    if verification:
        resource["verificationStatus"] = {"coding": [{"code": verification}]}
    return resource


def med_request(
    mid: str,
    text: str | None = None,
    *,
    rxnorm: tuple[str, str | None] | None = None,
    status: str = "active",
    intent: str = "order",
    **extra: Any,
) -> Resource:
    concept: Resource = {}
    if rxnorm:
        coding: Resource = {"system": RXNORM, "code": rxnorm[0]}
        if rxnorm[1]:
            coding["display"] = rxnorm[1]
        concept["coding"] = [coding]
    if text:
        concept["text"] = text
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": intent,
        "subject": {"reference": "Patient/p1"},
        **extra,
    }
    if concept:
        resource["medicationCodeableConcept"] = concept
    return resource


def bundle(*resources: Resource, **extra: Any) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
        **extra,
    }


def read(*resources: Any, drafts: tuple[Resource, ...] = ()) -> FhirImport:
    return scenario_from_resources(list(resources), draft_orders=drafts)


# ---- recognising FHIR -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"resourceType": "Bundle", "type": "collection"}, True),
        ({"resourceType": "Observation"}, True),
        ({"patient": {}, "observations": []}, False),
        ({"resourceType": 3}, False),
        ([{"resourceType": "Patient"}], False),
        ("Patient", False),
        (None, False),
    ],
)
def test_looks_like_fhir(data: Any, expected: bool) -> None:
    assert looks_like_fhir(data) is expected


# ---- the fixtures, end to end -----------------------------------------------------------------------------


def test_hiv_bundle_becomes_a_scenario() -> None:
    result = scenario_from_bundle(fixture("hiv-art-start-bundle.json"))
    s = result.scenario
    assert result.notes == []
    assert result.patient_id == "pat-hiv-1"
    assert s.patient.id == "pat-hiv-1"
    assert s.patient.sex is Sex.male
    assert s.patient.birth_date is not None and s.patient.birth_date.isoformat() == "1986-07-14"
    [hiv] = s.conditions
    assert (hiv.code, hiv.system, hiv.concepts) == ("B20", CodeSystem.icd10cm, ["hiv"])
    assert hiv.text == "HIV infection"
    cd4_obs, vl_obs = s.observations
    assert cd4_obs.kind is ObservationKind.cd4
    assert cd4_obs.value == pytest.approx(45.0)
    assert cd4_obs.unit == "cells/uL"
    assert vl_obs.kind is ObservationKind.viral_load and vl_obs.value == 250000
    assert vl_obs.time == datetime(2026, 4, 20, 8, 30, tzinfo=UTC)  # from effectivePeriod.start
    [art] = s.medications
    assert art.classes == ["art"]  # product-level code, ingredients recognised in the display
    assert art.code == "1999563"
    assert art.ingredient.startswith("TLD tablet; dolutegravir")
    assert art.start == datetime(2026, 4, 28, 10, tzinfo=UTC)  # authoredOn wins over the dispense validity
    assert not art.draft


def test_end_to_end_bundle_fires_iris_risk() -> None:
    result = scenario_from_bundle(fixture("hiv-art-start-bundle.json"), evaluation_time=AT)
    evaluation = evaluator().evaluate(result.scenario, at=AT)
    assert "iris-risk" in [f.rule_id for f in evaluation.findings]
    assert evaluation.facts.baseline_cd4 == pytest.approx(45.0)
    assert evaluation.facts.art_days == 17


def test_end_to_end_draft_order_fires_iris_risk() -> None:
    prefetch = [
        patient("pat-hiv-2", gender="female", birthDate="1992-01-05"),
        bundle(
            condition("hiv", [(ICD10, "Z21", None)], subject={"reference": "Patient/pat-hiv-2"}),
            cd4("cd4", 0.045, "10*9/L", subject={"reference": "Patient/pat-hiv-2"}),
        ),
    ]
    result = scenario_from_resources(prefetch, draft_orders=[fixture("draft-orders-bundle.json")])
    assert result.notes == []
    [draft] = result.scenario.medications
    assert draft.draft and draft.status is MedicationStatus.draft and draft.classes == ["art"]
    evaluation = evaluator().evaluate(result.scenario, at=AT)
    assert evaluation.facts.art_starting_now is True
    assert "iris-risk" in [f.rule_id for f in evaluation.findings]


def test_mixed_quality_bundle_keeps_what_it_can_and_says_what_it_left_out() -> None:
    result = scenario_from_bundle(fixture("mixed-quality-bundle.json"))
    s = result.scenario
    kinds = [o.kind for o in s.observations]
    assert kinds == [
        ObservationKind.viral_load,
        ObservationKind.pregnancy_status,
        ObservationKind.transplant_ineligible,
    ]
    assert [c.concepts for c in s.conditions] == [["poems"]]
    assert [m.ingredient for m in s.medications] == ["prednisone"]
    assert len(result.notes) == 2
    assert any(
        n.startswith("Observation/obs-cd4-abc: not valid FHIR R4B (valueQuantity.value") for n in result.notes
    )
    assert "Observation/obs-cd4-mg: unit 'mg' cannot be converted for cd4; left out" in result.notes


# ---- conditions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("B45.1", {"iris-associated", "cryptococcal-meningitis"}),
        ("B451", {"iris-associated", "cryptococcal-meningitis"}),
        ("B45", {"iris-associated"}),
        ("B45.9", {"iris-associated"}),
        ("A17.0", {"iris-associated", "tuberculosis", "tb-meningitis"}),
        ("B20", {"hiv"}),
        ("O09.90", {"pregnancy"}),
    ],
)
def test_condition_codes_match_their_children(code: str, expected: set[str]) -> None:
    [c] = read(condition("c", [(ICD10, code, None)])).scenario.conditions
    assert set(c.concepts) == expected


def test_condition_prefers_the_first_icd10_coding_and_keeps_the_text() -> None:
    codings = [
        (SNOMED, "86406008", "HIV infection"),
        (ICD10, "B45.1", "Cryptococcal meningitis"),
        (ICD10, "B20", None),
    ]
    c, *others = read(condition("c", codings, text="Cryptococcal meningitis in HIV")).scenario.conditions
    assert (c.system, c.code, c.text) == (CodeSystem.icd10cm, "B45.1", "Cryptococcal meningitis in HIV")
    # The HIV codings name a concept the first does not: they are kept too (SNOMED first, B20 then adds none).
    assert [(o.system, o.code, o.concepts) for o in others] == [(CodeSystem.snomed, "86406008", ["hiv"])]


def test_a_pregnancy_in_a_later_coding_is_not_lost() -> None:
    codings = [(ICD10, "Z3A.20", "20 weeks"), (ICD10, "Z34.82", "Supervision of normal pregnancy")]
    concepts = {c for cond in read(condition("c", codings)).scenario.conditions for c in cond.concepts}
    assert "pregnancy" in concepts


def test_a_medication_reference_to_a_medication_in_the_request_is_resolved() -> None:
    order = med_request("thal", status="draft", medicationReference={"reference": "Medication/m1"})
    medication = {"resourceType": "Medication", "id": "m1", "code": {"text": "Thalomid 50 mg capsule"}}
    [m] = read(order, medication).scenario.medications
    assert m.classes == ["thalidomide-class"]


def test_a_primitive_extension_beside_a_date_is_valid() -> None:
    obs = cd4("o", 40)
    obs["_effectiveDateTime"] = {"extension": [{"url": "http://example.org/x", "valueCode": "unknown"}]}
    imported = read(obs)
    assert imported.problems == [] and len(imported.scenario.observations) == 1


def test_condition_falls_back_to_snomed_and_to_the_display() -> None:
    codings = [("http://example.org/local", "X1", None), (SNOMED, "86406008", "HIV infection")]
    [c] = read(condition("c", codings)).scenario.conditions
    assert (c.system, c.code, c.text, c.concepts) == (CodeSystem.snomed, "86406008", "HIV infection", ["hiv"])


@pytest.mark.parametrize(
    "resource",
    [
        condition("poems", text="POEMS syndrome"),
        condition("cf", [("http://example.org/local", "77", "Crow-Fukase syndrome")]),
        condition("both", [(ICD10, "D47.Z9", "Other neoplasms")], text="poems"),
    ],
)
def test_poems_is_recognised_by_text(resource: Resource) -> None:
    [c] = read(resource).scenario.conditions
    assert "poems" in c.concepts


def test_a_recognising_display_is_kept_beside_the_text() -> None:
    codings = [("http://example.org/local", "77", "POEMS syndrome")]
    [c] = read(condition("c", codings, text="Plasma cell disorder")).scenario.conditions
    assert c.text == "Plasma cell disorder; POEMS syndrome"
    assert c.concepts == ["poems"]


def test_condition_with_neither_known_code_nor_text_is_skipped_silently() -> None:
    result = read(condition("c", [("http://example.org/local", "77", None)]))
    assert result.scenario.conditions == [] and result.notes == []


@pytest.mark.parametrize(
    ("clinical", "expected"),
    [
        ("active", ConditionStatus.active),
        ("recurrence", ConditionStatus.recurrence),
        ("relapse", ConditionStatus.relapse),
        ("inactive", ConditionStatus.inactive),
        ("remission", ConditionStatus.remission),
        ("resolved", ConditionStatus.resolved),
        ("something-else", ConditionStatus.unknown),
        (None, ConditionStatus.unknown),
    ],
)
def test_clinical_status_is_mapped(clinical: str | None, expected: ConditionStatus) -> None:
    [c] = read(condition("c", [(ICD10, "B20", None)], clinical=clinical)).scenario.conditions
    assert c.status is expected


def test_condition_dates() -> None:
    resource = condition(
        "c",
        [(ICD10, "B45.1", None)],
        onsetPeriod={"start": "2026-05-03"},
        recordedDate="2026-05-04T10:00:00+02:00",
    )
    [c] = read(resource).scenario.conditions
    assert c.onset == datetime(2026, 5, 3, tzinfo=UTC)
    assert c.recorded == datetime(2026, 5, 4, 8, tzinfo=UTC)


# ---- statuses to ignore -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource",
    [
        cd4("o", 40, status="entered-in-error"),
        cd4("o", 40, status="cancelled"),
        condition("c", [(ICD10, "I26.99", None)], verification="refuted"),
        condition("c", [(ICD10, "I26.99", None)], verification="entered-in-error"),
        med_request("m", "thalidomide 50 MG Oral Capsule", status="entered-in-error"),
        {**med_request("m", "efavirenz 600 MG"), "doNotPerform": True},
        {
            "resourceType": "MedicationStatement",
            "id": "ms",
            "status": "entered-in-error",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"text": "prednisone"},
        },
    ],
)
def test_ignored_statuses_leave_nothing_and_no_note(resource: Resource) -> None:
    result = read(resource)
    s = result.scenario
    assert (s.observations, s.conditions, s.medications, result.notes) == ([], [], [], [])


def test_preliminary_and_confirmed_are_kept() -> None:
    s = read(
        cd4("o", 40, status="preliminary"), condition("c", [(ICD10, "B20", None)], verification="confirmed")
    ).scenario
    assert len(s.observations) == 1 and len(s.conditions) == 1


# ---- observations -----------------------------------------------------------------------------------------


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
        (cd4("o-7", "12"), "Observation/o-7.valueQuantity.value: '12' is not a JSON number; left out"),
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


def test_unrecognised_observation_codes_are_skipped_silently() -> None:
    result = read(
        observation("hb", "718-7", **quantity(12, "g/dL")),
        observation("a", "some-other-assessment", system=ASSESSMENT, valueBoolean=True),
        observation("x", "24467-3", system="http://example.org/local", **quantity(45, "/uL")),
    )
    assert result.scenario.observations == [] and result.notes == []


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


# ---- wrong types and invalid resources --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "starts"),
    [
        (cd4("bad-1", "abc"), "Observation/bad-1: not valid FHIR R4B (valueQuantity.value"),
        ({**cd4("bad-2", 45), "valueQuantity": [45]}, "Observation/bad-2: not valid FHIR R4B (valueQuantity"),
        ({**cd4("bad-3", 45), "status": 7}, "Observation/bad-3: not valid FHIR R4B (status"),
        (
            cd4("bad-4", 45, when="2026-05-01T08:00:00"),
            "Observation/bad-4: not valid FHIR R4B (effectiveDateTime",
        ),
        ({**cd4("bad-5", 45), "unexpected": 1}, "Observation/bad-5: not valid FHIR R4B (unexpected"),
        (
            {**condition("bad-6", [(ICD10, "B20", None)]), "code": "B20"},
            "Condition/bad-6: not valid FHIR R4B (code",
        ),
        (
            {**med_request("bad-7", "efavirenz"), "intent": None},
            "MedicationRequest/bad-7: not valid FHIR R4B",
        ),
        (patient("bad-8", birthDate="14/07/1986"), "Patient/bad-8: not valid FHIR R4B (birthDate"),
        ({"resourceType": "Observation", "id": 7}, "Observation (item 1): not valid FHIR R4B (id"),
    ],
)
def test_invalid_resources_are_reported_not_raised(resource: Resource, starts: str) -> None:
    result = read(resource, cd4("good", 45))
    assert [o.value for o in result.scenario.observations] == [45]
    [note] = result.notes
    assert note.startswith(starts), note
    assert note.endswith("; left out")


@pytest.mark.parametrize("junk", ["Patient", None, 42, [], {"no": "type"}, {"resourceType": None}])
def test_things_that_are_not_resources_are_reported(junk: Any) -> None:
    result = read(junk, cd4("good", 45))
    assert len(result.scenario.observations) == 1
    assert result.notes == ["item 1: not a FHIR resource (no resourceType); left out"]


def test_resource_types_not_used_are_not_validated() -> None:
    # An invalid Encounter costs nothing and says nothing: the rules do not use encounters.
    result = read({"resourceType": "Encounter", "id": "e", "status": 12, "nonsense": True})
    assert result.notes == []


def test_observations_with_no_relevant_code_are_not_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.fhir as fhir

    validated: list[str] = []
    real = fhir._MODELS["Observation"]

    class Counting:
        @staticmethod
        def model_validate(raw: Resource) -> Any:
            validated.append(raw["id"])
            return real.model_validate(raw)

    monkeypatch.setitem(fhir._MODELS, "Observation", Counting)
    result = read(
        observation("hb", "718-7", **quantity("abc", "g/dL")),  # invalid, but irrelevant: skipped unread
        cd4("cd4", 45),
        {**cd4("odd", 45), "code": "24467-3"},  # a malformed code could matter: validated and reported
    )
    assert validated == ["cd4", "odd"]
    assert [o.value for o in result.scenario.observations] == [45]
    assert [n.split(":")[0] for n in result.notes] == ["Observation/odd"]


def test_the_input_is_not_modified() -> None:
    data = fixture("mixed-quality-bundle.json")
    before = copy.deepcopy(data)
    scenario_from_bundle(data)
    assert data == before


# ---- medications ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "classes"),
    [
        (med_request("m", "Efavirenz 600 MG Oral Tablet", rxnorm=("1876364", None)), ["art"]),
        (med_request("m", rxnorm=("195085", None)), ["art"]),  # ingredient code, no name at all
        (med_request("m", "Sustiva", rxnorm=("1876364", "efavirenz 600 MG Oral Tablet [Sustiva]")), ["art"]),
        (med_request("m", "PredniSONE 20 mg tablet"), ["corticosteroid"]),
        (
            med_request("m", "Revlimid", rxnorm=("1", "lenalidomide 10 MG Oral Capsule [Revlimid]")),
            ["thalidomide-class"],
        ),
        (med_request("m", "Rifampin 300 MG / isoniazid 150 MG"), ["tb-treatment", "tb-treatment-core"]),
    ],
)
def test_medication_classes_from_names_and_codes(resource: Resource, classes: list[str]) -> None:
    [m] = read(resource).scenario.medications
    assert m.classes == classes


def test_irrelevant_conditions_and_medications_are_skipped_without_validation() -> None:
    # Invalid as FHIR (a number where a date belongs) yet not reported: nothing in them could matter.
    pneumonia = condition("c", [(ICD10, "J18.9", "Pneumonia")])
    pneumonia["onsetDateTime"] = 12
    paracetamol = med_request("m", "Paracetamol 500 mg")
    paracetamol["authoredOn"] = 12
    imported = read(pneumonia, paracetamol)
    assert imported.scenario.conditions == [] and imported.scenario.medications == []
    assert imported.notes == []


def test_a_relevant_resource_is_still_validated_and_reported() -> None:
    crypto = condition("c", [(ICD10, "B45.1", None)])
    crypto["onsetDateTime"] = 12
    imported = read(crypto)
    assert imported.scenario.conditions == []
    assert [p.field for p in imported.problems] == ["Condition/c.onsetDateTime"]
    assert any(
        note.startswith("Condition/c.onsetDateTime: a date or time must be a string")
        for note in imported.notes
    )


def test_medication_ingredient_and_code() -> None:
    [m] = read(
        med_request("m", "Sustiva", rxnorm=("1876364", "efavirenz 600 MG Oral Tablet [Sustiva]"))
    ).scenario.medications
    assert m.ingredient == "Sustiva; efavirenz 600 MG Oral Tablet [Sustiva]"
    assert m.code == "1876364"
    [same] = read(
        med_request("m", "Efavirenz 600mg tab", rxnorm=("1876364", "Efavirenz 600 MG Oral Tablet"))
    ).scenario.medications
    assert same.ingredient == "Efavirenz 600mg tab"  # the display adds nothing the text does not say


def test_medication_reference_display_and_contained_medication() -> None:
    by_display = {
        **med_request("a"),
        "medicationReference": {"reference": "Medication/x", "display": "dolutegravir"},
    }
    contained = {
        **med_request("b"),
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": RXNORM, "code": "8640", "display": "prednisone"}]},
            }
        ],
        "medicationReference": {"reference": "#med"},
    }
    first, second = read(by_display, contained).scenario.medications
    assert (first.ingredient, first.classes) == ("dolutegravir", ["art"])
    assert (second.ingredient, second.code, second.classes) == ("prednisone", "8640", ["corticosteroid"])


def test_medication_without_name_or_code_is_reported() -> None:
    result = read({**med_request("m"), "medicationReference": {"reference": "Medication/x"}})
    assert result.scenario.medications == []
    assert result.notes == ["MedicationRequest/m: no medication name or RxNorm code; left out"]


def test_medication_request_dates() -> None:
    authored = med_request("a", "efavirenz", authoredOn="2026-04-01T09:00:00Z")
    validity = med_request(
        "b",
        "efavirenz",
        authoredOn="2026-03-30",
        dispenseRequest={"validityPeriod": {"start": "2026-04-02", "end": "2026-07-01"}},
    )
    a, b = read(authored, validity).scenario.medications
    assert (a.start, a.end) == (datetime(2026, 4, 1, 9, tzinfo=UTC), None)
    assert (b.start, b.end) == (datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))


def test_medication_statement_dates_and_status() -> None:
    base: Resource = {
        "resourceType": "MedicationStatement",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "prednisone 40 mg"},
    }
    period = {
        **base,
        "id": "a",
        "status": "completed",
        "effectivePeriod": {"start": "2026-01-01", "end": "2026-02-01"},
    }
    moment = {**base, "id": "b", "status": "not-taken", "effectiveDateTime": "2026-03-01"}
    a, b = read(period, moment).scenario.medications
    assert (a.status, a.start, a.end) == (
        MedicationStatus.completed,
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert (b.status, b.start, b.end) == (MedicationStatus.not_taken, datetime(2026, 3, 1, tzinfo=UTC), None)


@pytest.mark.parametrize("status", ["active", "on-hold", "cancelled", "completed", "stopped", "unknown"])
def test_medication_request_status_is_mapped(status: str) -> None:
    [m] = read(med_request("m", "efavirenz", status=status)).scenario.medications
    assert m.status.value == status and not m.draft


def test_medication_ending_before_it_starts_is_reported() -> None:
    resource = med_request(
        "m", "efavirenz", dispenseRequest={"validityPeriod": {"start": "2026-04-02", "end": "2026-04-01"}}
    )
    result = read(resource)
    assert result.scenario.medications == []
    assert result.notes == [
        "MedicationRequest/m: medication not usable (end: ends before it starts); left out"
    ]


# ---- draft orders -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "intent"), [("draft", "order"), ("draft", "proposal"), ("draft", "plan")])
def test_draft_status_in_prefetch_is_a_draft(status: str, intent: str) -> None:
    [m] = read(med_request("m", "dolutegravir", status=status, intent=intent)).scenario.medications
    assert m.draft and m.is_draft


def test_every_medication_request_in_draft_orders_is_a_draft() -> None:
    drafts = (
        med_request("d1", "dolutegravir 50 MG", status="active"),
        bundle(med_request("d2", "prednisone 40 MG", status="draft")),
        {"resourceType": "ServiceRequest", "id": "lab", "status": "draft", "intent": "order"},
        patient("other"),  # not an order: ignored
    )
    result = read(drafts=drafts)
    assert [(m.ingredient, m.draft) for m in result.scenario.medications] == [
        ("dolutegravir 50 MG", True),
        ("prednisone 40 MG", True),
    ]
    assert result.patient_id is None and result.notes == []


def test_a_draft_order_wins_over_its_prefetch_copy() -> None:
    order = med_request("d1", "dolutegravir 50 MG", status="draft")
    stale = med_request("d1", "dolutegravir 50 MG", status="active")
    [m] = read(stale, drafts=(order,)).scenario.medications
    assert m.draft and m.status is MedicationStatus.draft


# ---- bundles, duplicates, patients ------------------------------------------------------------------------


def test_nested_bundles_are_flattened() -> None:
    inner = bundle(cd4("o2", 60))
    outer = bundle(patient(), cd4("o1", 50), inner, type="searchset")
    result = read(outer, bundle(condition("c", [(ICD10, "B20", None)])))
    assert [o.value for o in result.scenario.observations] == [50, 60]
    assert len(result.scenario.conditions) == 1
    assert result.patient_id == "p1"


def test_bundle_entries_without_resources_are_skipped() -> None:
    data = bundle(cd4("o1", 50))
    data["entry"].append({"fullUrl": "http://example.org/Observation/gone", "request": {"method": "DELETE"}})
    result = scenario_from_bundle(data)
    assert len(result.scenario.observations) == 1 and result.notes == []


def test_an_invalid_bundle_shell_is_noted_but_its_entries_are_read() -> None:
    data = bundle(cd4("o1", 50), id="b1")
    del data["type"]
    result = scenario_from_bundle(data)
    assert len(result.scenario.observations) == 1
    [note] = result.notes
    assert note.startswith("Bundle/b1: not a valid R4B Bundle (type")


def test_a_bundle_whose_entry_is_not_a_list_is_reported() -> None:
    result = scenario_from_bundle(
        {"resourceType": "Bundle", "id": "b", "type": "collection", "entry": {"x": 1}}
    )
    assert result.scenario.observations == []
    assert [p.field for p in result.problems] == ["Bundle/b.entry"]
    assert any(n.startswith("Bundle/b.entry:") for n in result.notes)


def test_an_unknown_resource_type_is_a_problem_and_an_unused_known_type_is_not() -> None:
    result = scenario_from_resources([{"resourceType": "Banana", "id": "x"}, {"resourceType": "Encounter"}])
    assert [p.field for p in result.problems] == ["Banana/x"]


def test_the_same_resource_twice_is_used_once() -> None:
    result = read(cd4("o1", 50), bundle(cd4("o1", 50)))
    assert len(result.scenario.observations) == 1 and result.notes == []
    changed = read(cd4("o1", 50), cd4("o1", 70))
    assert [o.value for o in changed.scenario.observations] == [50]
    assert changed.notes == ["Observation/o1: given twice with different content; the first is used"]


def test_resources_of_another_patient_are_left_out() -> None:
    theirs = {**cd4("o2", 10), "subject": {"reference": "Patient/someone-else"}}
    ours = {**cd4("o1", 50), "subject": {"reference": "https://ehr.example.org/fhir/Patient/p1"}}
    result = read(patient("p1"), ours, theirs)
    assert [o.value for o in result.scenario.observations] == [50]
    assert result.notes == ["Observation/o2: subject Patient/someone-else is not the patient given; left out"]


def test_urn_uuid_subjects_resolve_against_the_patient_full_url() -> None:
    data = fixture("hiv-art-start-bundle.json")
    stranger = {**cd4("o-x", 10), "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-00000000dead"}}
    data["entry"].append({"resource": stranger})
    result = scenario_from_bundle(data)
    assert [o.value for o in result.scenario.observations if o.kind is ObservationKind.cd4] == [
        pytest.approx(45.0)
    ]
    assert result.notes == [
        f"Observation/o-x: subject {stranger['subject']['reference']} is not the patient given; left out"
    ]


def test_a_second_patient_is_reported() -> None:
    result = read(patient("p1", gender="female"), patient("p2", gender="male"))
    assert result.patient_id == "p1" and result.scenario.patient.sex is Sex.female
    assert result.notes == ["Patient/p2: a second patient; left out (the patient is Patient/p1)"]


@pytest.mark.parametrize(
    ("gender", "expected"),
    [("female", Sex.female), ("male", Sex.male), ("other", Sex.other), (None, Sex.unknown)],
)
def test_patient_gender(gender: str | None, expected: Sex) -> None:
    extra = {"gender": gender} if gender else {}
    assert read(patient(**extra)).scenario.patient.sex is expected


def test_no_patient_gives_an_empty_patient() -> None:
    result = read(cd4("o", 45))
    assert result.patient_id is None
    assert result.scenario.patient.id is None and result.scenario.patient.sex is Sex.unknown


def test_partial_dates_are_taken_as_their_first_day_and_noted() -> None:
    result = read(patient(birthDate="1984-03"), condition("c", [(ICD10, "B20", None)], onsetDateTime="2025"))
    s = result.scenario
    assert s.patient.birth_date is not None and s.patient.birth_date.isoformat() == "1984-03-01"
    assert s.conditions[0].onset == datetime(2025, 1, 1, tzinfo=UTC)
    assert result.notes == [
        "Patient/p1: birthDate '1984-03' is a partial date; taken as 1984-03-01",
        "Condition/c: onset '2025' is a partial date; taken as 2025-01-01",
    ]


def test_evaluation_time_is_passed_on() -> None:
    result = scenario_from_bundle(bundle(cd4("o", 45)), evaluation_time=datetime(2026, 5, 15, 12))
    assert result.scenario.evaluation_time == datetime(2026, 5, 15, 12, tzinfo=UTC)


def test_a_single_resource_in_place_of_a_list_is_read_as_one_resource() -> None:
    result = scenario_from_resources(cd4("o", 45), draft_orders=med_request("d", "dolutegravir"))  # type: ignore[arg-type]
    assert len(result.scenario.observations) == 1 and result.notes == []
    assert [m.draft for m in result.scenario.medications] == [True]


def test_a_patient_without_id_does_not_exclude_references_by_id() -> None:
    nameless = {"resourceType": "Patient", "gender": "female"}
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:6f1e3c1a-0000-4000-8000-0000000000aa", "resource": nameless},
            {"resource": {**cd4("o", 45), "subject": {"reference": "Patient/123"}}},
        ],
    }
    result = scenario_from_bundle(data)
    assert len(result.scenario.observations) == 1 and result.notes == []
    assert result.patient_id is None and result.scenario.patient.sex is Sex.female


def test_a_single_resource_works_as_a_bundle() -> None:
    result = scenario_from_bundle(patient("solo", birthDate="2000-01-01"))
    assert result.patient_id == "solo"
