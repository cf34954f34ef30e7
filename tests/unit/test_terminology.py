"""Code recognition from the published and hand-kept value sets: provenance, meaning, combinations, units."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.errors import KnowledgeBaseError
from engine.paths import default_rules_dir
from engine.valuesets import HAND_KEPT, ValueSets, default_value_sets, load_value_sets

SNOMED, LOINC = "http://snomed.info/sct", "http://loinc.org"
ICD10, ICD11, ICD11_DAK = (
    "http://hl7.org/fhir/sid/icd-10",
    "http://id.who.int/icd/release/11/mms",
    ("http://hl7.org/fhir/sid/icd-11"),
)
ATC, CIEL, DAK = (
    "http://www.whocc.no/atc",
    "https://cielterminology.org",
    ("http://smart.who.int/hiv/CodeSystem/HIVConcepts"),
)


@pytest.fixture(scope="module")
def vs() -> ValueSets:
    return default_value_sets()


def published() -> dict[str, object]:
    data = json.loads((default_rules_dir() / "valuesets.published.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ---- provenance ----------------------------------------------------------------------------------------


def test_every_code_has_a_source(vs: ValueSets) -> None:
    """Each code entry names a published source or says why it is kept by hand."""
    names = {f"{a['name']}" for a in published()["sources"].values()}  # type: ignore[attr-defined]
    seen = 0
    for kind in ("conditions", "medications", "observations"):
        for system, code, concept, sources in vs.terminology.sources_of(kind):
            assert sources, f"{kind} {concept} {system} {code} has no source"
            for source in sources:
                kept = source.startswith(HAND_KEPT) and len(source) > len(HAND_KEPT) + 10
                assert kept or any(source.startswith(n) for n in names), (concept, system, code, source)
            seen += 1
    assert seen > 5_000


def test_every_published_source_says_what_and_which_version() -> None:
    for key, about in published()["sources"].items():  # type: ignore[attr-defined]
        assert about["name"] and about["file"], key
        assert about.get("version") or about.get("oid"), key


def test_a_code_under_an_unlisted_source_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    root.mkdir()
    shutil.copy(default_rules_dir() / "valuesets.yaml", root / "valuesets.yaml")
    data = published()
    data["conditions"]["hiv"]["snomed"]["nobody:said"] = ["86406008"]  # type: ignore[index]
    (root / "valuesets.published.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="unknown source"):
        load_value_sets(root / "valuesets.yaml")


def test_hand_kept_codes_need_a_reason(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    root.mkdir()
    text = (default_rules_dir() / "valuesets.yaml").read_text(encoding="utf-8")
    shutil.copy(default_rules_dir() / "valuesets.published.json", root / "valuesets.published.json")
    broken = text.replace(
        'reason: "KNOWLEDGE.md §4; no published ICD-10-CM or SNOMED CT set covers CRPS"', ""
    )
    (root / "valuesets.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="reason"):
        load_value_sets(root / "valuesets.yaml")


# ---- KNOWLEDGE.md §4 is covered ------------------------------------------------------------------------

SECTION_4 = [
    ("icd10cm", "B20", "hiv"),
    ("icd10cm", "Z21", "hiv"),
    ("snomed", "86406008", "hiv"),
    ("icd10cm", "D89.3", "iris"),
    ("icd10cm", "A15.0", "iris-associated"),
    ("icd10cm", "B45.1", "iris-associated"),
    ("icd10cm", "B25.9", "iris-associated"),
    ("icd10cm", "A31.2", "iris-associated"),
    ("icd10cm", "A81.2", "iris-associated"),
    ("icd10cm", "B02.9", "iris-associated"),
    ("icd10cm", "B00.9", "iris-associated"),
    ("icd10cm", "B08.1", "iris-associated"),
    ("icd10cm", "B19.10", "hepatitis-b"),
    ("icd10cm", "B19.11", "hepatitis-b"),
    ("icd10cm", "Z22.51", "hepatitis-b"),
    ("icd10cm", "B18.1", "iris-associated"),
    ("icd10cm", "B17.10", "iris-associated"),
    ("icd10cm", "B18.2", "iris-associated"),
    ("icd10cm", "R59.0", "iris-associated"),
    ("icd10cm", "C46.9", "kaposi-sarcoma"),
    ("icd10cm", "B59", "iris-associated"),
    ("icd10cm", "B45.1", "cryptococcal-meningitis"),
    ("icd10cm", "A17.0", "tb-meningitis"),
    ("icd10cm", "G90.50", "crps"),
    ("icd10cm", "G56.40", "crps"),
    ("icd10cm", "G57.70", "crps"),
    ("icd10cm", "G89.29", "chronic-intractable-pain"),
    ("icd10cm", "G89.4", "chronic-intractable-pain"),
    ("icd10cm", "G62.9", "peripheral-neuropathy"),
    ("icd10cm", "G64", "peripheral-neuropathy"),
    ("icd10cm", "E11.42", "peripheral-neuropathy"),
    ("icd10cm", "E08.42", "peripheral-neuropathy"),
    ("icd10cm", "N17.9", "renal-failure"),
    ("icd10cm", "N18.4", "renal-failure"),
    ("icd10cm", "Z99.2", "renal-failure"),
    ("icd10cm", "Z33.1", "pregnancy"),
    ("icd10cm", "Z34.01", "pregnancy"),
    ("icd10cm", "O24.419", "pregnancy"),
    ("icd10cm", "O80", "delivery"),
    ("icd10cm", "O82", "delivery"),
    ("icd10cm", "Z37.0", "delivery"),
    ("icd10cm", "Z39.2", "delivery"),
    ("icd10", "O84.0", "delivery"),
    ("icd10cm", "I26.99", "vte-history"),
    ("icd10cm", "I80.10", "vte-history"),
    ("icd10cm", "I80.20", "vte-history"),
    ("icd10cm", "I82.40", "vte-history"),
    ("icd10cm", "I82.5", "vte-history"),
    ("icd10cm", "I82.621", "vte-history"),
    ("icd10cm", "Z86.711", "vte-history"),
    ("icd10cm", "Z86.718", "vte-history"),
    ("icd10cm", "Z90.710", "no-reproductive-potential"),
    ("icd10cm", "N95.1", "no-reproductive-potential"),
    ("icd10cm", "Z78.0", "no-reproductive-potential"),
]


@pytest.mark.parametrize(("system", "code", "concept"), SECTION_4)
def test_knowledge_section_4_codes_are_recognised(
    vs: ValueSets, system: str, code: str, concept: str
) -> None:
    assert concept in vs.condition_concepts(system, code, None)


@pytest.mark.parametrize("code", ["O80", "O80.0", "O82", "Z37.0"])
def test_a_delivery_is_not_a_pregnancy(vs: ValueSets, code: str) -> None:
    assert vs.condition_concepts("icd10cm", code, None) == {"delivery"}


def test_who_delivery_codes_leave_the_pregnancy_chapter(vs: ValueSets) -> None:
    assert vs.condition_concepts(ICD10, "O83.1", None) == {"delivery"}
    assert vs.condition_concepts(ICD10, "O24.4", None) == {"pregnancy"}


@pytest.mark.parametrize(
    ("ingredient", "rxnorm", "classes"),
    [
        (None, "195085", {"art"}),
        (None, "1433868", {"art"}),
        (None, "117466", {"art"}),
        (None, "8640", {"corticosteroid"}),
        (None, "6038", {"tb-treatment"}),
        ("betamethasone 0.5 mg tablet", None, {"corticosteroid"}),
        ("cortisone", None, {"corticosteroid"}),
        ("deflazacort", None, {"corticosteroid"}),
        ("betamethasone cream", None, set()),
        ("ritonavir 100 mg", None, {"pk-booster"}),
        ("cobicistat", None, {"pk-booster"}),
        ("lopinavir/ritonavir", None, {"art", "pk-booster"}),
        ("nirmatrelvir/ritonavir", None, {"pk-booster"}),
        ("isoniazid", None, {"tb-treatment"}),
        ("rifapentine", None, {"tb-treatment", "tb-treatment-core"}),
        ("ethambutol", None, {"tb-treatment", "tb-treatment-core"}),
    ],
)
def test_medication_classes(
    vs: ValueSets, ingredient: str | None, rxnorm: str | None, classes: set[str]
) -> None:
    assert vs.medication_classes(ingredient, rxnorm) == classes


# ---- every system, and combination codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "code", "concepts"),
    [
        (SNOMED, "714464009", {"hiv", "iris"}),
        (SNOMED, "421403008", {"hiv", "iris-associated"}),
        (SNOMED, "713722001", {"hiv", "iris-associated"}),
        (SNOMED, "421571007", {"hiv", "tuberculosis", "iris-associated"}),
        (SNOMED, "713487008", {"hiv", "iris-associated"}),
        (SNOMED, "420524008", {"hiv", "kaposi-sarcoma", "iris-associated"}),
        (SNOMED, "713507008", {"hiv", "iris-associated"}),
        (SNOMED, "713490002", {"hiv", "iris-associated"}),
        (SNOMED, "421597001", {"hiv", "peripheral-neuropathy"}),
        (SNOMED, "77386006", {"pregnancy"}),
        (SNOMED, "72892002", {"pregnancy"}),
        (SNOMED, "426202004", {"iris"}),
        (ICD10, "B24", {"hiv"}),
        (ICD10, "B20.0", {"hiv", "tuberculosis", "iris-associated"}),
        (ICD10, "B20.2", {"hiv", "iris-associated"}),
        (ICD10, "B20.6", {"hiv", "iris-associated"}),
        (ICD10, "B21.0", {"hiv", "kaposi-sarcoma", "iris-associated"}),
        (ICD10, "B23.1", {"hiv", "iris-associated"}),
        (ICD10, "R75", set()),
        (ICD11, "1C62.3", {"hiv"}),
        (ICD11_DAK, "1C62.Z", {"hiv"}),
        (ICD11, "1C60.Z", {"hiv", "tuberculosis", "iris-associated"}),
        (ICD11, "1C60.30", {"hiv", "tuberculosis", "kaposi-sarcoma", "iris-associated"}),
        (ICD11, "1C62.3&XS25", {"hiv"}),
        (ICD11, "4B23", {"iris"}),
        (ICD11, "1F27.1", {"cryptococcal-meningitis", "iris-associated"}),
        (CIEL, "138571", {"hiv"}),
        (CIEL, "1294", {"cryptococcal-meningitis", "iris-associated"}),
        ("https://openconceptlab.org", "1434", {"pregnancy"}),
        (DAK, "HIV.B.DE116", {"hiv"}),
        (DAK, "HIV.D.DE935", {"tuberculosis", "iris-associated"}),
        (
            DAK,
            "HIV.B.DE32",
            set(),
        ),  # breastfeeding: filed under Z39 by the DAK, but it does not end a pregnancy
        ("http://hospital.example.org/codes", "B20", set()),
    ],
)
def test_conditions_in_every_system(vs: ValueSets, system: str, code: str, concepts: set[str]) -> None:
    assert vs.condition_concepts(system, code, None) == concepts


@pytest.mark.parametrize(
    ("system", "code", "classes"),
    [
        (ATC, "L04AX02", {"thalidomide-class"}),
        (ATC, "L04AX04", {"thalidomide-class"}),
        (ATC, "J05AJ03", {"art"}),
        (ATC, "J05AE03", {"pk-booster"}),
        (ATC, "J05AR10", {"art", "pk-booster"}),
        (ATC, "J05AE30", {"pk-booster"}),
        (ATC, "J05AF10", set()),
        (ATC, "J05AF08", set()),
        (ATC, "H02AB02", {"corticosteroid"}),
        (ATC, "L03AC01", {"il2"}),
        (ATC, "J04AB02", {"tb-treatment", "tb-treatment-core"}),
        (ATC, "J04AC01", {"tb-treatment"}),
        ("rxnorm", "200390", {"thalidomide-class"}),
        ("rxnorm", "846192", {"corticosteroid"}),
        (CIEL, "165085", {"art"}),
        (CIEL, "83412", {"pk-booster"}),
        (CIEL, "767", {"tb-treatment", "tb-treatment-core"}),
        (DAK, "HIV.D.DE91", {"art", "pk-booster"}),
        (DAK, "HIV.D.DE914", {"pk-booster"}),
    ],
)
def test_medications_by_code_alone(vs: ValueSets, system: str, code: str, classes: set[str]) -> None:
    assert vs.medication_classes(None, code, system) == classes


@pytest.mark.parametrize(
    ("system", "code", "kind"),
    [
        (LOINC, "24467-3", "cd4"),
        (CIEL, "5497", "cd4"),
        (SNOMED, "313660005", "cd4"),
        (DAK, "HIV.G.DE1", "cd4"),
        (LOINC, "80223-1", None),  # the WHO DAK's "CD4 count" code is a CD4 *percentage*
        (LOINC, "20447-9", "viral-load"),
        (LOINC, "25836-8", "viral-load"),
        (CIEL, "856", "viral-load"),
        (LOINC, "29541-0", None),  # log10 copies/mL: a different scale
        (LOINC, "44871-2", None),  # proviral DNA presence, not an RNA count
        (LOINC, "25841-8", None),  # HIV-2, not HIV-1
        (LOINC, "33914-3", "egfr"),
        (LOINC, "62238-1", "egfr"),
        (LOINC, "98979-8", "egfr"),
        (LOINC, "77147-7", "egfr"),
        (LOINC, "82810-3", "pregnancy-status"),
        (CIEL, "5272", "pregnancy-status"),
    ],
)
def test_observation_kinds(vs: ValueSets, system: str, code: str, kind: str | None) -> None:
    assert vs.observation_kind(code, system) == kind


def test_observation_kind_defaults_to_loinc(vs: ValueSets) -> None:
    assert vs.observation_kind("24467-3") == "cd4"
    assert vs.observation_kind("5497") is None


@pytest.mark.parametrize(
    ("kind", "unit", "factor"),
    [
        ("cd4", "cells/µL", 1),
        ("cd4", "cells/μL", 1),
        ("cd4", "cells/mm³", 1),
        ("cd4", "/µL", 1),
        ("cd4", "cells/uL", 1),
        ("cd4", "10^9/L", 1000),
        ("cd4", "10*9/L", 1000),
        ("cd4", "x10^9/L", 1000),
        ("cd4", "%", None),
        ("cd4", "cells", None),
        ("viral-load", "copies/ml", 1),
        ("viral-load", "copies/mL", 1),
        ("viral-load", "log copies/mL", None),
        ("viral-load", "{log_copies}/mL", None),
        ("egfr", "mL/min/1.73 m²", 1),
        ("egfr", "mL/min", None),
    ],
)
def test_units_as_laboratories_print_them(vs: ValueSets, kind: str, unit: str, factor: float | None) -> None:
    assert vs.unit_factor(kind, unit) == factor


@pytest.mark.parametrize(
    ("uri", "known"),
    [
        (SNOMED, True),
        (ICD10, True),
        (ICD11, True),
        (ICD11_DAK, True),
        (ATC, True),
        (CIEL, True),
        (DAK, True),
        ("http://openconceptlab.org/orgs/CIEL/sources/CIEL", True),
        ("urn:oid:2.16.840.1.113883.6.96", True),
        ("http://www.nlm.nih.gov/research/umls/rxnorm", True),
        ("http://hl7.org/fhir/sid/icd-10-cm", True),
        ("http://hospital.example.org/codes", False),
        ("urn:oid:1.2.3", False),
        (None, False),
    ],
)
def test_known_systems(vs: ValueSets, uri: str | None, known: bool) -> None:
    assert vs.is_known_system(uri) is known


def test_explain_names_each_source(vs: ValueSets) -> None:
    found = vs.explain("714464009", SNOMED)
    concepts = {r.concept for r in found}
    assert concepts == {"hiv", "iris"}
    assert any("VSAC" in r.source for r in found)
    delivery = vs.explain("O80.0", "icd10cm")
    assert any(r.concept == "pregnancy" and r.excluded for r in delivery)
    assert any(r.concept == "delivery" and not r.excluded for r in delivery)


def test_coverage_lists_the_systems_of_each_concept(vs: ValueSets) -> None:
    coverage = vs.terminology.coverage("conditions")
    assert {"icd10cm", "icd10", "icd11", "snomed", "ciel", "hiv-dak"} <= set(coverage["hiv"])
    meds = vs.terminology.coverage("medications")
    assert {"rxnorm", "atc", "ciel", "hiv-dak"} <= set(meds["art"])


# ---- clinrules terms ------------------------------------------------------------------------------------


def _terms(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

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
    from service.cds.cards import medication_classes_of

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
