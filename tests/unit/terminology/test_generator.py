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
from tests.unit.terminology.codes import DAK, ICD10, ICD10CM, ICD11, LOINC, SNOMED, published

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from valueset_sources.base import BuilderBase  # noqa: E402
from valueset_sources.meaning import means, obstetric_concept  # noqa: E402
from valueset_sources.programmes import _dates_this_delivery  # noqa: E402

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
        # a lactating mother (breastfeeding) is neither a delivery nor a pregnancy; the rest of Z39 and
        # QA48 (postpartum care) stay delivery
        (ICD10CM, "Z39.1", set()),
        (ICD10CM, "Z39.0", {"delivery"}),
        (ICD10, "Z39.1", set()),
        (ICD10, "Z39.2", {"delivery"}),
        (ICD11, "QA48.1", set()),
        (ICD11, "QA48.0", {"delivery"}),
        (DAK, "HIV.B.DE32", set()),
        (DAK, "HIV.D.DE453", set()),
        # the DAK's live births are outcomes of delivery (Z37.0), as HIV.E.DE48 is
        (DAK, "HIV.E.DE48", {"delivery"}),
        (DAK, "HIV.E.DE58", {"delivery"}),
        (DAK, "HIV.E.DE59", {"delivery"}),
        # published only under NACHC's hepatitis C grouper, yet hepatitis B by its display
        (SNOMED, "713966008", {"hepatitis-b", "iris-associated"}),
        # puerperal osteomalacia is ICD-10 M83.0, outside chapter O; the rest of JB44 and QA45 stay pregnancy
        (ICD11, "JB44.6", set()),
        (ICD11, "JB44.5", {"pregnancy"}),
        (ICD11, "QA45.0", {"pregnancy"}),
        (SNOMED, "50711007", {"iris-associated"}),
        (SNOMED, "22255007", {"iris-associated"}),
        (DAK, "HIV.B.DE116", {"hiv"}),  # the client is HIV-positive
        (DAK, "HIV.B.DE137", set()),  # the client's partner is: not the patient's HIV
        # "HIV-positive" as the answer to "Partner HIV test result": the partner's HIV, not the patient's
        (DAK, "HIV.B.DE133", set()),
        (DAK, "HIV.B.DE112", {"hiv"}),  # the same answer to the client's own test result
        (DAK, "HIV.C.DE116", set()),  # symptoms that could suggest acute HIV: no diagnosis
    ],
)
def test_built_codes(vs: ValueSets, system: str, code: str, concepts: set[str]) -> None:
    assert vs.condition_concepts(system, code, None) == concepts


@pytest.mark.parametrize(
    ("code", "concepts"), [("Z39.1", set()), ("Z39.0", {"delivery"}), ("Z37.0", {"delivery"})]
)
def test_who_icd10_lactating_mother_is_no_delivery(code: str, concepts: set[str]) -> None:
    """The generator's WHO ICD-10 reading (the WHO table, CIEL's and the DAK's maps) leaves Z39.1 out."""
    assert BuilderBase.who_icd10_concepts(code, "") == concepts


@pytest.mark.parametrize(
    ("label", "definition", "icd10", "dates"),
    [
        ("Live birth", "The woman had a live birth", "Z37.0", True),
        ("Live birth to an HIV-positive woman", "A woman living with HIV had a live birth", "Z37.0", True),
        ("Live birth", "Outcome of pregnancy was a live birth", "Z37.0", True),
        ("Forceps", "Woman required forceps delivery", "O81.3", False),
        ("Vacuum delivery", "Woman required vacuum delivery", "O81.4", False),
        ("Breastfeeding", "Client is giving infant breast milk", "Z39.1", False),
    ],
)
def test_dak_elements_that_date_this_delivery(label: str, definition: str, icd10: str, dates: bool) -> None:
    row = {"Data Element Label": label, "Description and Definition": definition}
    assert _dates_this_delivery(row, icd10) is dates


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


@pytest.mark.parametrize(
    ("concept", "system", "code"),
    [("delivery", "icd10cm", "Z39.1"), ("delivery", "icd10", "Z39.1"), ("delivery", "icd11", "QA48.1"),
     ("pregnancy", "icd11", "JB44.6")],
)  # fmt: skip
def test_generator_leaves_out_the_excluded_children(concept: str, system: str, code: str) -> None:
    """The generated file lists none of them (valuesets.yaml's ``excluded`` keeps their stems off them)."""
    conditions = published()["conditions"]
    assert isinstance(conditions, dict)
    listed = {c for codes in conditions[concept].get(system, {}).values() for c in codes}
    assert code not in listed
