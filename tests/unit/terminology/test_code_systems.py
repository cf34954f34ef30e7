"""Code recognition in every code system: combination codes, observation kinds, printed units."""

from __future__ import annotations

import pytest

from engine.valuesets import ValueSets
from tests.unit.terminology.codes import ATC, CIEL, DAK, ICD10, ICD11, ICD11_DAK, LOINC, SNOMED

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
