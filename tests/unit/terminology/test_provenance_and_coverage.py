"""Value sets: every code has its source, and what KNOWLEDGE.md §4 names is recognised."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.errors import KnowledgeBaseError
from engine.paths import default_rules_dir
from engine.valueset_files import load_value_sets
from engine.valuesets import HAND_KEPT, ValueSets
from tests.unit.terminology.codes import ICD10, published

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
        ("Biktarvy tablet", None, {"art"}),  # ART by brand alone (real-records audit)
        ("Tivicay 50 mg", None, {"art"}),
        ("Epivir-HBV 100 mg", None, set()),  # sold for hepatitis B: not a brand the list holds
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
