"""The value-set generator (scripts/build_valuesets.py): what its display checks let in, and what it built.

The display checks run on their own; the build itself reads ``../shared/terminology`` beside the checkout
(or ``CLINRULES_TERMINOLOGY_DIR``) and is checked against the sources' displays, when that folder is there.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path

import pytest

from engine.valuesets import ValueSets
from tests.unit.terminology.codes import DAK, ICD11, LOINC, SNOMED

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from valueset_sources.meaning import means, obstetric_concept  # noqa: E402

NOT_A_DELIVERY = (
    r"\bhistory\b|\bpast\b|\bprevious (deliver|pregnan|forceps|vacuum)|without delivery"
    r"|spontaneous onset of lab"
)


def terminology_dir() -> Path | None:
    """``../shared/terminology`` beside the checkout (or ``CLINRULES_TERMINOLOGY_DIR``), if it is there."""
    given = os.environ.get("CLINRULES_TERMINOLOGY_DIR")
    folder = Path(given) if given else ROOT.parent / "shared" / "terminology"
    return folder if (folder / "SOURCES.md").is_file() else None


@pytest.mark.parametrize(
    ("display", "concept"),
    [
        ("Past pregnancy history of previous forceps delivery (situation)", None),
        ("Past pregnancy history of previous delivery by vacuum extraction (situation)", None),
        ("Preterm labor without delivery (finding)", "pregnancy"),
        (
            "Spontaneous onset of labor between 37 and 39 weeks gestation with planned cesarean section",
            "pregnancy",
        ),
        ("Delivery normal (finding)", "delivery"),
        ("Vaginal delivery following previous cesarean section (finding)", "delivery"),
        ("Preterm labor with preterm delivery (finding)", "delivery"),
        ("Placenta previa without hemorrhage - not delivered (disorder)", "pregnancy"),
        ("Postpartum hemorrhage (disorder)", None),
    ],
)
def test_obstetric_displays(display: str, concept: str | None) -> None:
    assert obstetric_concept(display) == concept


@pytest.mark.parametrize(
    ("concept", "display", "meant"),
    [
        ("vte-history", "Pulmonary thromboembolism (disorder)", True),
        ("vte-history", "Thromboembolism of vein (disorder)", True),
        ("vte-history", "Deep thrombophlebitis (disorder)", True),
        ("vte-history", "Thrombophlebitis of the femoral vein (disorder)", True),
        ("vte-history", "Pulmonary thrombosis (disorder)", True),
        ("vte-history", "Thrombosis of inferior vena cava (disorder)", True),
        ("vte-history", "Superficial thrombophlebitis of the femoral vein", False),
        ("vte-history", "Thrombophlebitis of lower extremities (disorder)", False),
        ("vte-history", "Portal vein thrombosis (disorder)", False),
        ("hepatitis-b", "Chronic type B viral hepatitis (disorder)", True),
        ("iris-associated", "Chronic type B viral hepatitis (disorder)", True),
        ("iris-associated", "Viral hepatitis type C (disorder)", True),
        ("iris-associated", "Progressive multifocal leukoencephalopathy", True),
        ("iris-associated", "HIV leukoencephalopathy", False),
        ("iris-associated", "Toxic leukoencephalopathy", False),
    ],
)
def test_display_checks(concept: str, display: str, meant: bool) -> None:
    assert means(concept, display) is meant


@pytest.mark.parametrize(
    ("system", "code", "concepts"),
    [
        (SNOMED, "161813007", set()),
        (SNOMED, "726624001", set()),
        (DAK, "HIV.E.DE26", set()),
        (DAK, "HIV.E.DE33", set()),
        (DAK, "HIV.E.DE53", {"delivery"}),
        (SNOMED, "10761341000119105", {"pregnancy"}),
        (SNOMED, "10751701000119102", {"pregnancy"}),
        (ICD11, "QA41", {"pregnancy"}),
        (ICD11, "JA63.0", {"pregnancy"}),
        (ICD11, "JB20.0", {"delivery"}),
        (ICD11, "JB21", {"delivery"}),
        (ICD11, "QA46.0", {"delivery"}),
        (ICD11, "GA30.00", {"no-reproductive-potential"}),
        (SNOMED, "233935004", {"vte-history"}),
        (SNOMED, "61977001", {"hepatitis-b", "iris-associated"}),
        (SNOMED, "50711007", {"iris-associated"}),
        (SNOMED, "22255007", {"iris-associated"}),
    ],
)
def test_built_codes(vs: ValueSets, system: str, code: str, concepts: set[str]) -> None:
    assert vs.condition_concepts(system, code, None) == concepts


@pytest.mark.parametrize(
    ("code", "name"), [("1184930", "Thalomid"), ("1182529", "Revlimid"), ("1369723", "Pomalyst")]
)
def test_sandbox_brand_pills_by_code(vs: ValueSets, code: str, name: str) -> None:
    assert vs.medication_classes(None, code) == {"thalidomide-class"}, name


@pytest.mark.parametrize(
    ("code", "value"), [("LA15173-0", "pregnant"), ("LA26683-5", "not-pregnant"), ("LA4489-6", None)]
)
def test_loinc_pregnancy_answers(vs: ValueSets, code: str, value: str | None) -> None:
    assert vs.observation_value("pregnancy-status", LOINC, code) == value


def test_no_delivery_code_is_a_history_or_a_labour_without_delivery(vs: ValueSets) -> None:
    """Every SNOMED CT and WHO SMART HIV code the build files under ``delivery``, read by the sources' own
    displays: none is a past pregnancy's delivery, a labour without delivery or the onset of labour."""
    folder = terminology_dir()
    if folder is None:
        return  # no sources beside this checkout: the code-level checks above still run
    from build_valuesets import Builder

    builder = Builder(folder)
    displays: dict[str, set[str]] = {}
    for _, members in builder.value_sets():
        for system, code, display in members:
            if system == SNOMED:
                displays.setdefault(code, set()).add(display)
    dak = folder / "who-smart-hiv" / "HIV_DAK_2023_AnnexA_data_dictionary_codes.csv"
    with dak.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = f"{row['Data Element Label']} | {row['Description and Definition']}"
            displays.setdefault(row["Data Element ID"], set()).add(text)
            displays.setdefault(row["SNOMED GPS Code"].strip().lstrip("'"), set()).add(
                row["SNOMED GPS Comments / Considerations"]
            )
    built = builder.build()
    delivery = built["conditions"]["delivery"]  # type: ignore[index]
    checked = 0
    for system in ("snomed", "hiv-dak"):
        for codes in delivery[system].values():
            for code in codes:
                for display in displays.get(code, set()):
                    assert not re.search(NOT_A_DELIVERY, display, re.I), (code, display)
                    checked += 1
    assert checked > 500
    assert "HIV.E.DE26" in {line.split()[1] for line in builder.rejected if line.startswith("who-smart-hiv")}
