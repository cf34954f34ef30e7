"""`clinrules terms`, the catalogue's code systems, pregnancy answers and codes kept by hand."""

from __future__ import annotations

import json

import pytest

from engine.valuesets import HAND_KEPT, ValueSets
from tests.unit.terminology.codes import ATC, CIEL, SNOMED, published

# ---- clinrules terms ------------------------------------------------------------------------------------


def _terms(*args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from service.cli import app

    result = CliRunner().invoke(app, ["terms", *args])
    return result.exit_code, result.output


def test_terms_prints_each_concept_with_its_source() -> None:
    code, output = _terms("714464009", "--json")
    assert code == 0
    found = json.loads(output)
    assert {f["concept"] for f in found} == {"hiv", "iris"}
    assert all(f["system"] == SNOMED and f["source"] for f in found)


def test_terms_shows_a_delivery_code_leaving_pregnancy() -> None:
    code, output = _terms("O80.1", "--system", "http://hl7.org/fhir/sid/icd-10-cm", "--json")
    assert code == 0
    found = json.loads(output)
    assert {(f["concept"], f["recognised"]) for f in found} == {("delivery", True), ("pregnancy", False)}
    assert {f["entry"] for f in found} == {"O80"}


def test_terms_piped_is_as_wide_as_the_other_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Piped, rich would wrap the table at 80 columns, splitting each source over many lines.
    monkeypatch.delenv("COLUMNS", raising=False)
    code, output = _terms("10432")
    assert code == 0
    assert max(len(line) for line in output.splitlines()) > 120
    assert "ingredient codes, unverified there and in every source here" in output


def test_terms_refuses_a_system_it_does_not_read() -> None:
    code, output = _terms("B20", "--system", "http://hospital.example.org/codes")
    assert code == 2
    assert "not a code system the knowledge base reads" in output


def test_terms_says_when_a_code_means_nothing() -> None:
    code, output = _terms("12345")
    assert code == 1
    assert "not recognised" in output


def test_the_catalogue_lists_each_concept_with_its_code_systems() -> None:
    from engine.knowledge import load_knowledge_base
    from service.catalogue import build_catalogue

    concepts = {c["concept"]: c for c in build_catalogue(load_knowledge_base())["concepts"]}
    hiv = {s["label"]: s["codes"] for s in concepts["hiv"]["systems"]}
    assert {"SNOMED CT", "ICD-10-CM", "WHO ICD-10", "ICD-11 MMS", "CIEL (OpenMRS)", "WHO SMART HIV"} <= set(
        hiv
    )
    assert hiv["SNOMED CT"] > 200
    assert concepts["poems"]["systems"] == [] and "POEMS" in concepts["poems"]["names"]
    assert {"LOINC", "CIEL (OpenMRS)", "SNOMED CT"} <= {s["label"] for s in concepts["cd4"]["systems"]}


@pytest.mark.parametrize(
    ("system", "code", "value"),
    [
        (SNOMED, "77386006", "pregnant"),
        (SNOMED, "60001007", "not-pregnant"),
        (CIEL, "1065", "pregnant"),
        ("https://openconceptlab.org", "1066", "not-pregnant"),
        (CIEL, "1067", None),
        (SNOMED, "1065", None),
        ("http://hospital.example.org/codes", "77386006", None),
    ],
)
def test_pregnancy_status_answers(vs: ValueSets, system: str, code: str, value: str | None) -> None:
    assert vs.observation_value("pregnancy-status", system, code) == value


def test_a_draft_order_coded_only_by_atc_is_found_for_card_suggestions(vs: ValueSets) -> None:
    from service.cds.draft_orders import medication_classes_of

    order = {
        "resourceType": "MedicationRequest",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L04AX02"}]},
    }
    assert medication_classes_of(order, vs) == {"thalidomide-class"}
    local = {
        "medicationCodeableConcept": {
            "coding": [{"system": "http://hospital.example.org/drugs", "code": "L04AX02"}]
        }
    }
    assert medication_classes_of(local, vs) == set()


def test_every_hand_kept_code_was_looked_up(vs: ValueSets) -> None:
    """The generator looked each hand-kept code up in the published lists (regenerate after adding one)."""
    checks = published()["hand_kept_checks"]
    for kind in ("conditions", "medications", "observations"):
        for system, code, concept, sources in vs.terminology.sources_of(kind):
            for source in sources:
                if source.startswith(HAND_KEPT):
                    assert "[look-up: " in source, (kind, concept, system, code)
    assert checks["rxnorm"]["117466"] == "not found in any published list here"  # type: ignore[index]
    assert "Causalgia" in checks["icd10cm"]["G56.4"]  # type: ignore[index]
