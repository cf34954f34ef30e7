"""Regenerate ``rules/valuesets.published.json`` from the published artefacts in ``../shared/terminology``.

Every code written carries the published source it was read from (value-set OID and version, map release,
code-system version). A source's code is kept only when its meaning is the concept's: ICD codes must fall in
the concept's definition (KNOWLEDGE.md §4 categories), SNOMED CT, LOINC, CIEL and WHO SMART HIV codes are
checked by their display against the concept's words, and known errors of the sources are excluded by name
below. Run: ``python scripts/build_valuesets.py [--terminology DIR] [--check]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "rules" / "valuesets.published.json"
DEFAULT_TERMINOLOGY = ROOT / ".." / "shared" / "terminology"

Codes = dict[str, dict[str, dict[str, set[str]]]]  # concept -> system -> source -> codes

# ---- what each concept means, per classification (categories match their children) ---------------------

ICD10_CM: dict[str, list[str]] = {
    "hiv": ["B20", "Z21", "B97.35", "O98.7"],
    "iris": ["D89.3"],
    "tuberculosis": ["A15", "A16", "A17", "A18", "A19"],
    "tb-meningitis": ["A17.0"],
    "cryptococcal-meningitis": ["B45.1"],
    "kaposi-sarcoma": ["C46"],
    "hepatitis-b": ["B16", "B18.0", "B18.1", "B19.1", "Z22.51"],
    "crps": ["G90.5", "G56.4", "G57.7"],
    "chronic-intractable-pain": ["G89.29", "G89.4"],
    "peripheral-neuropathy": [
        "G60",
        "G61",
        "G62",
        "G63",
        "G64",
        "E08.42",
        "E09.42",
        "E10.42",
        "E11.42",
        "E13.42",
    ],
    "renal-failure": ["N17", "N18.4", "N18.5", "N18.6", "Z99.2"],
    "pregnancy": ["Z33.1", "Z34", "O"],
    "delivery": ["O80", "O82", "Z37", "Z39"],
    "vte-history": ["I26", "I80.1", "I80.2", "I82.4", "I82.5", "I82.62", "Z86.711", "Z86.718"],
    "no-reproductive-potential": ["Z90.710", "Z90.711", "N95.1", "Z78.0"],
}
IRIS_ASSOCIATED_ICD10 = [
    "A15",
    "A16",
    "A17",
    "A18",
    "A19",
    "B45",
    "B25",
    "A31",
    "A81.2",
    "B02",
    "B00",
    "A60",
    "B08.1",
    "B16",
    "B18.0",
    "B18.1",
    "B19.1",
    "Z22.51",
    "B17.1",
    "B18.2",
    "R59",
    "C46",
    "B59",
]
ICD10_CM["iris-associated"] = IRIS_ASSOCIATED_ICD10
NOT_PREGNANCY_CM = ["O80", "O82"]  # delivery codes end a pregnancy (KNOWLEDGE.md §4)

ICD10_WHO: dict[str, list[str]] = {
    **{
        k: v
        for k, v in ICD10_CM.items()
        if k
        not in (
            "hiv",
            "pregnancy",
            "delivery",
            "crps",
            "chronic-intractable-pain",
            "no-reproductive-potential",
            "peripheral-neuropathy",
            "vte-history",
        )
    },
    "hiv": ["B20", "B21", "B22", "B23", "B24", "Z21", "O98.7"],
    "pregnancy": ["Z32.1", "Z33", "Z34", "Z35", "Z36", "O"],
    "delivery": ["O80", "O81", "O82", "O83", "O84", "Z37", "Z39"],
    "crps": ["G56.4"],
    "chronic-intractable-pain": ["R52.1"],
    "peripheral-neuropathy": ["G60", "G61", "G62", "G63", "G64"],
    "vte-history": ["I26", "I80.1", "I80.2", "I82.4", "I82.5", "I82.6", "Z86.7"],
    "no-reproductive-potential": ["N95.1"],
}
NOT_PREGNANCY_WHO = ["O80", "O81", "O82", "O83", "O84"]
NOT_IN_CONCEPT_WHO = {"vte-history": ["Z86.70", "Z86.72", "Z86.73", "Z86.74", "Z86.75", "Z86.79"]}

# ICD-11 MMS: stems taken from WHO's ICD-11 table, children included; each checked by its title.
ICD11: dict[str, list[str]] = {
    "hiv": ["1C60", "1C61", "1C62"],
    "iris": ["4B23"],
    "tuberculosis": ["1B10", "1B11", "1B12", "1B13", "1B14", "1B1Z"],
    "tb-meningitis": ["1B11.0"],
    "cryptococcal-meningitis": ["1F27.1"],
    "kaposi-sarcoma": ["2B57"],
    "hepatitis-b": ["1E50.1", "1E51.0"],
    "crps": ["8D8A.0"],
    "peripheral-neuropathy": ["8C0"],
    "renal-failure": ["GB60", "GB61.4", "GB61.5"],
    "vte-history": ["BD71", "BB00"],
}
ICD11["iris-associated"] = (
    ICD11["tuberculosis"]
    + ICD11["hepatitis-b"]
    + ICD11["kaposi-sarcoma"]
    + ["1F27", "1D82", "1B21", "8A45.02", "1E91", "1F00", "1E76", "1E50.2", "1E51.1", "MA01", "CA40.20"]
)

# Words a display must contain for a SNOMED CT, CIEL or WHO SMART HIV code to mean the concept.
WORDS: dict[str, str] = {
    "hiv": r"human immunodeficiency virus|\bHIV\b|acquired immun\w* deficiency syndrome|\bAIDS\b",
    "iris": r"immune reconstitution",
    "tuberculosis": r"tubercul|\bTB\b",
    "tb-meningitis": r"tubercul\w*( of( the)?)? (lepto)?mening|mening\w* tubercul|\bTB meningitis",
    "cryptococcal-meningitis": r"cryptococc\w* mening|mening\w* cryptococc|cerebral cryptococc",
    "kaposi-sarcoma": r"kaposi",
    "hepatitis-b": r"hepatitis b\b|\bHBV\b|hepatitis type b",
    "crps": r"complex regional pain|causalgia|reflex sympathetic dystrophy",
    "chronic-intractable-pain": r"chronic intractable pain",
    "peripheral-neuropathy": r"polyneuropathy|peripheral neuropathy",
    "renal-failure": r"renal failure|kidney failure|end stage renal|end-stage renal"
    r"|chronic kidney disease stage [45]"
    r"|dependence on (renal )?dialysis",
    "vte-history": r"venous thrombo|deep vein|pulmonary embol|\bDVT\b",
    "no-reproductive-potential": r"hysterectomy|premature menopause|postmenopausal",
}
WORDS["iris-associated"] = "|".join(
    [
        WORDS["tuberculosis"],
        WORDS["hepatitis-b"],
        WORDS["kaposi-sarcoma"],
        r"cryptococc",
        r"cytomegalovir",
        r"mycobacteri",
        r"avium",
        r"leukoencephalopathy",
        r"zoster|shingles",
        r"herpes simplex|genital herpes",
        r"molluscum",
        r"hepatitis c\b",
        r"lymphadenopathy",
        r"pneumocyst",
    ]
)
NOT_WORDS: dict[str, str] = {
    "tb-meningitis": r"tuberculoma",  # a meningeal tuberculoma is not meningitis (ICD-10 A17.1, not A17.0)
    "iris-associated": r"\bvaccin|immuniz|screen|exposure|contact|latent|\bnegative|\bimmune\b"
    r"|history of|suspected"
    r"|leukoencephalopathy(?! with| co-| progressive)|HIV leukoencephalopathy"
    r"|human immunodeficiency virus leukoencephalopathy",
    "tuberculosis": r"\bvaccin|immuniz|screen|exposure|contact|latent|\bnegative|history of|suspected|test\b",
    "hepatitis-b": r"\bvaccin|immuniz|screen|exposure|contact|\bnegative|immune\b|antibody|history of",
    "vte-history": r"superficial|suspected|risk|prophyla|no history",
    "no-reproductive-potential": r"supracervical|subtotal|partial",
    "renal-failure": r"risk|no history",
}
NOT_WORDS["iris-associated"] += r"|varicella(?!.*zoster)|chickenpox|chicken pox"
DAK_SINGLE_ARV = r"(ABC|3TC|ATV|AZT|ZDV|DRV|DTG|EFV|FTC|LPV|NVP|RAL|TDF|TAF|ETV|RPV|CAB|BIC|DOR)"
DAK_PREGNANT = r"^(currently pregnant|pregnancy|pregnant at ART start|pregnancy in HIV-infected woman)$"
DAK_DELIVERED = r"deliver|birth|caesar|forceps"
# SNOMED CT obstetric displays say where the episode stands: "- not delivered" and "antepartum" mean still
# pregnant,
# "- delivered" and "delivery" date its end; postpartum and puerperal findings mean neither.
STILL_PREGNANT = r"not delivered|undelivered|antepartum|before delivery|threatened"
DELIVERED = r"(?<!un)delivered\b|\bdelivery\b|liveborn|live birth|stillbirth|caesarean|cesarean"
AFTER_PREGNANCY = r"postpartum|post-partum|puerper|postnatal|lactat|breast"


def _dotless(code: str) -> str:
    return code.replace(".", "").strip().upper()


def _under(code: str, prefixes: Iterable[str]) -> bool:
    return _dotless(code).startswith(tuple(_dotless(p) for p in prefixes))


def _means(concept: str, display: str) -> bool:
    words, not_words = WORDS.get(concept), NOT_WORDS.get(concept)
    if words is None or re.search(words, display, re.IGNORECASE) is None:
        return False
    return not_words is None or re.search(not_words, display, re.IGNORECASE) is None


class Builder:
    """Reads the artefacts and collects codes per concept, system and source."""

    def __init__(self, terminology: Path) -> None:
        self.t = terminology
        self.sources: dict[str, dict[str, str]] = {}
        self.codes: dict[str, Codes] = {
            k: defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
            for k in ("conditions", "medications", "observations")
        }
        self.rejected: list[str] = []

    def source(self, key: str, **about: str) -> str:
        self.sources.setdefault(key, about)
        return key

    def add(self, kind: str, concept: str, system: str, source: str, code: str) -> None:
        self.codes[kind][concept][system][source].add(code.strip())

    # ---- VSAC and NACHC ValueSets -------------------------------------------------------------------

    def value_sets(self) -> Iterable[tuple[str, list[tuple[str, str, str]]]]:
        for path in sorted([*self.t.glob("vsac/*/*.json"), *self.t.glob("nachc-hiv-cds/*.json")]):
            data = json.loads(path.read_text(encoding="utf-8"))
            members = [
                (c["system"], c["code"], c.get("display", ""))
                for c in data.get("expansion", {}).get("contains", [])
            ]
            if not members:
                members = [
                    (inc["system"], c["code"], c.get("display", ""))
                    for inc in data.get("compose", {}).get("include", [])
                    for c in inc.get("concept", [])
                ]
            oid = (data.get("url") or "").rsplit("/", 1)[-1]
            origin = "VSAC" if path.parent.parent.name == "vsac" else "NACHC HIV CDS IG"
            key = self.source(
                f"{origin.split()[0].lower()}:{oid}:{data.get('version', '')}",
                name=f"{origin} {data.get('title') or data.get('name')}",
                oid=oid,
                version=str(data.get("version", "")),
                file=str(path.relative_to(self.t)),
            )
            if oid == "nachc-f2-de905":
                # pregnancy *observations* (tests, not-pregnant findings): the status answers are hand-kept
                continue
            yield key, members

    def from_value_sets(self) -> None:
        for key, members in self.value_sets():
            title = self.sources[key]["name"].lower().removeprefix("nachc hiv cds ig ").removeprefix("vsac ")
            for system, code, display in members:
                if system.endswith("icd-10-cm") or (key.startswith("nachc") and system.endswith("icd-10")):
                    self._icd10cm(key, code, display)
                elif system == "http://snomed.info/sct":
                    self._snomed(key, title, code, display)
                elif system == "http://loinc.org":
                    self._loinc(key, title, code, display)
                elif system.endswith("rxnorm"):
                    pass  # RxNorm comes from rxnorm_engine_concepts.csv, which already gathers these sets

    def _icd10cm(self, key: str, code: str, display: str) -> None:
        for concept, prefixes in ICD10_CM.items():
            if not _under(code, prefixes):
                continue
            if concept == "pregnancy" and _under(code, NOT_PREGNANCY_CM):
                continue
            self.add("conditions", concept, "icd10cm", key, code)

    def _snomed(self, key: str, title: str, code: str, display: str) -> None:
        if "hiv" in title and "lab" not in title and "viral" not in title:
            self.add("conditions", "hiv", "snomed", key, code)
            for concept in WORDS:
                if concept != "hiv" and _means(concept, display):
                    self.add("conditions", concept, "snomed", key, code)
            if re.search(r"renal failure|kidney failure", display, re.I):
                self.add("conditions", "renal-failure", "snomed", key, code)
            return
        if "pregnan" in title or "obstetric" in title:
            if "pregnant state" in title and code == "60001007":
                return
            if re.search(STILL_PREGNANT, display, re.I):
                self.add("conditions", "pregnancy", "snomed", key, code)
            elif re.search(DELIVERED, display, re.I):
                self.add("conditions", "delivery", "snomed", key, code)
            elif not re.search(AFTER_PREGNANCY, display, re.I):
                self.add("conditions", "pregnancy", "snomed", key, code)
            return
        for concept, words in (
            ("iris", "immune"),
            ("tuberculosis", "tubercul"),
            ("tb-meningitis", "tubercul"),
            ("hepatitis-b", "hepatitis b"),
            ("iris-associated", "tubercul|hepatitis|zoster|herpes"),
            ("renal-failure", "renal|kidney"),
            ("vte-history", "thrombo"),
            ("no-reproductive-potential", "hysterectomy|menopause"),
        ):
            if re.search(words, title) and _means(concept, display):
                self.add("conditions", concept, "snomed", key, code)
            elif (
                re.search(words, title)
                and concept in ("renal-failure", "vte-history")
                and not _means(concept, display)
            ):
                self.rejected.append(f"{key} SNOMED {code} {display!r}: not {concept}")

    def _loinc(self, key: str, title: str, code: str, display: str) -> None:
        if "viral load" in title:
            if re.search(r"HIV 1 RNA", display) and "[#/volume]" in display and "log" not in display.lower():
                self.add("observations", "viral-load", "loinc", key, code)
            else:
                self.rejected.append(f"{key} LOINC {code} {display!r}: not an HIV-1 RNA count in copies/mL")
        elif "glomerular" in title:
            self.add("observations", "egfr", "loinc", key, code)

    # ---- WHO ICD-10 and ICD-11 ----------------------------------------------------------------------

    def from_who_tables(self) -> None:
        key10 = self.source(
            "who-icd10-2016",
            name="WHO ICD-10 2016 (WHO ICD-10/ICD-11 mapping tables)",
            version="2016; tables 2020-Jan-22",
            file="who-icd10-icd11/10To11MapToOneCategory.txt",
        )
        with (self.t / "who-icd10-icd11/10To11MapToOneCategory.txt").open(encoding="utf-8") as fh:
            rows10 = list(csv.DictReader(fh, delimiter="\t"))
        for row in rows10:
            code, title = row["icd10Code"], row["icd10Title"]
            if row["10ClassKind"] != "category":
                continue
            for concept in self.who_icd10_concepts(code, title):
                self.add("conditions", concept, "icd10", key10, code)
        key11 = self.source(
            "who-icd11-mms-2020",
            name="WHO ICD-11 MMS (WHO ICD-11/ICD-10 mapping tables)",
            version="2020-Jan-22 (release 11 beta MMS)",
            file="who-icd10-icd11/11To10MapToOneCategory.txt",
        )
        with (self.t / "who-icd10-icd11/11To10MapToOneCategory.txt").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                code, title = row["icd11Code"], row["icd11Title"]
                if not code:
                    continue
                for concept, stems in ICD11.items():
                    if _under(code, stems) and not re.search(r"\bunspecified\b.*residual", title):
                        self.add("conditions", concept, "icd11", key11, code)
                if _under(code, ICD11["hiv"]) and "without mention" not in title:
                    for concept in ("tuberculosis", "kaposi-sarcoma", "iris-associated"):
                        if _means(concept, title):
                            self.add("conditions", concept, "icd11", key11, code)

    @staticmethod
    def who_icd10_concepts(code: str, title: str) -> set[str]:
        found = set()
        for concept, prefixes in ICD10_WHO.items():
            if _under(code, prefixes) and not _under(code, NOT_IN_CONCEPT_WHO.get(concept, ["~"])):
                found.add(concept)
        if "pregnancy" in found and _under(code, NOT_PREGNANCY_WHO):
            found.discard("pregnancy")
        if _under(code, ["B20", "B21", "B22", "B23"]):
            # B20.0 "HIV disease resulting in mycobacterial infection" is where WHO ICD-10 puts HIV with TB.
            if _under(code, ["B20.0"]):
                found |= {"tuberculosis", "iris-associated"}
            for concept in ("iris-associated", "kaposi-sarcoma"):
                if _means(concept, title):
                    found.add(concept)
        return found

    # ---- CIEL and the WHO SMART HIV concepts ---------------------------------------------------------

    def from_ciel(self) -> None:
        key = self.source(
            "ciel",
            name="CIEL via Open Concept Lab (OpenMRS HIV collection exports 2023-2025)",
            version="HIVCT 2024-10-07; DRCHIV2024 v19; OCT 202308082043; BasicLabTests v7; BasicDrugs v2",
            file="ciel/ciel_concepts.csv, ciel/ciel_mappings.csv",
        )
        with (self.t / "ciel/ciel_concepts.csv").open(encoding="utf-8") as fh:
            concepts = {r["ciel_id"]: r for r in csv.DictReader(fh) if r["retired"] != "True"}
        maps: dict[str, list[dict[str, str]]] = defaultdict(list)
        with (self.t / "ciel/ciel_mappings.csv").open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["retired"] != "True":
                    maps[r["ciel_id"]].append(r)
        for cid, row in concepts.items():
            names = f"{row['display_name']} | {row['en_names']}"
            if row["concept_class"] in ("Diagnosis", "Finding", "Symptom/Finding"):
                found: set[str] = set()
                for m in maps[cid]:
                    if m["to_source"] == "ICD-10-WHO" and m["map_type"] in ("SAME-AS", "NARROWER-THAN"):
                        found |= self.who_icd10_concepts(m["to_code"], m["to_name"] or row["display_name"])
                found = {c for c in found if c not in WORDS or _means(c, names)}
                for concept in found:
                    self.add("conditions", concept, "ciel", key, cid)
                    for m in maps[cid]:
                        if m["to_source"] == "SNOMED-CT" and m["map_type"] == "SAME-AS":
                            self.add("conditions", concept, "snomed", key, m["to_code"])
            elif row["concept_class"] == "Drug":
                for concept in classify_drug(names):
                    self.add("medications", concept, "ciel", key, cid)
        observations = {"5497": "cd4", "856": "viral-load", "5272": "pregnancy-status"}
        for cid, kind in observations.items():
            self.add("observations", kind, "ciel", key, cid)
            for m in maps[cid]:
                if m["to_source"] in ("LOINC", "SNOMED-CT") and m["map_type"] in ("SAME-AS", "BROADER-THAN"):
                    system = "loinc" if m["to_source"] == "LOINC" else "snomed"
                    if kind == "cd4" and m["map_type"] != "SAME-AS":
                        continue  # 20605-2 is broader (CD4 in another specimen); only the SAME-AS codes
                    self.add("observations", kind, system, key, m["to_code"])

    def from_dak(self) -> None:
        cs = json.loads((self.t / "who-smart-hiv/CodeSystem-HIVConcepts.json").read_text(encoding="utf-8"))
        key = self.source(
            "who-smart-hiv:0.4.4",
            name="WHO SMART Guidelines HIV IG, CodeSystem HIVConcepts, with "
            "the HIV DAK 2023 Annex A data dictionary",
            version=str(cs.get("version")),
            file="who-smart-hiv/CodeSystem-HIVConcepts.json, "
            "who-smart-hiv/HIV_DAK_2023_AnnexA_data_dictionary_codes.csv",
        )
        known = {c["code"]: c for c in cs["concept"]}
        with (self.t / "who-smart-hiv/HIV_DAK_2023_AnnexA_data_dictionary_codes.csv").open(
            encoding="utf-8"
        ) as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            code = row["Data Element ID"]
            if code not in known or row["Data Type"] not in ("Codes", "Coding", "Boolean"):
                continue
            label = f"{row['Data Element Label']} | {row['Description and Definition']}"
            icd10 = row["ICD-10 Code"].strip()
            if re.fullmatch(r"[A-Z]\d\d(\.\w+)?", icd10):
                for concept in self.who_icd10_concepts(icd10, row["Data Element Label"]):
                    if concept in WORDS and not _means(concept, label):
                        continue
                    if concept == "pregnancy" and not re.search(
                        DAK_PREGNANT, row["Data Element Label"], re.I
                    ):
                        continue  # the DAK files past-pregnancy history under O-codes too
                    if concept == "delivery" and not re.search(
                        DAK_DELIVERED, row["Data Element Label"], re.I
                    ):
                        continue  # breastfeeding is filed under Z39 but does not date the end of a pregnancy
                    self.add("conditions", concept, "hiv-dak", key, code)
                    self._dak_snomed(row, concept, key)
            if (
                re.fullmatch(DAK_SINGLE_ARV, row["Data Element Label"].strip())
                or re.search(r"\+|/r\b|regimen|backbone", row["Data Element Label"], re.I)
                or re.search(r"^(rifampicin|isoniazid|rifapentine)", row["Data Element Label"], re.I)
            ):
                for concept in classify_drug(label):
                    self.add("medications", concept, "hiv-dak", key, code)
        for row in rows:
            label, code = row["Data Element Label"].strip(), row["Data Element ID"]
            if row["Data Type"] != "Quantity" or code not in known:
                continue
            if re.fullmatch(r"(baseline )?CD4 count", label, re.I):
                self.add("observations", "cd4", "hiv-dak", key, code)
            elif re.fullmatch(r"(first )?viral load test result", label, re.I):
                self.add("observations", "viral-load", "hiv-dak", key, code)
        self.rejected.append(
            "who-smart-hiv HIV.G.DE1 'CD4 count' -> LOINC 80223-1: a CD4 percentage code, not taken"
        )

    def _dak_snomed(self, row: dict[str, str], concept: str, key: str) -> None:
        """The data element's SNOMED CT code (GPS) when the DAK calls it equivalent and its name agrees."""
        code, name = row["SNOMED GPS Code"].strip().lstrip("'"), row["SNOMED GPS Comments / Considerations"]
        if row["SNOMED GPS Relationship"] == "Equivalent" and code.isdigit():
            if concept not in WORDS or _means(concept, name):
                self.add("conditions", concept, "snomed", key, code)

    # ---- medications --------------------------------------------------------------------------------

    def from_rxnorm(self) -> None:
        file_to_key = {about.get("file"): k for k, about in self.sources.items()}
        with (self.t / "rxnorm/rxnorm_engine_concepts.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                key = file_to_key.get(row["source_file"]) or self._rxnorm_source(row["source_file"])
                name = f"{row['name']} | {row['ingredients_matched']}"
                if row["corticosteroid_route_hint"].startswith("non-systemic"):
                    self.rejected.append(f"RxNorm {row['rxcui']} {row['name']!r}: not systemic")
                    continue
                for concept in classify_drug(name):
                    self.add("medications", concept, "rxnorm", key, row["rxcui"])

    def _rxnorm_source(self, file: str) -> str:
        about = {
            "rxnorm/cds-hooks-sandbox-medication-list.json": (
                "cds-hooks-sandbox",
                "CDS Hooks sandbox RxNorm medication list",
                "2018-04-20",
            ),
            "rxnorm/ValueSet-us-core-allergy-substance.json": (
                "us-core:allergy-substance",
                "US Core allergy substance (RxNorm ingredients)",
                "3.1.1",
            ),
            "ciel/ciel_mappings.csv": ("ciel", "CIEL RxNorm maps", ""),
        }
        if file in about:
            key, name, version = about[file]
            return self.source(key, name=name, version=version, file=file) if key not in self.sources else key
        return self.source(
            f"ecr:{Path(file).stem}",
            name=f"HL7 eCR RCTC example {Path(file).stem}",
            version="RxNorm 2022-01",
            file=file,
        )

    def from_atc(self) -> None:
        key = self.source(
            "who-atc:2026",
            name="WHO ATC/DDD index",
            version="2026-04-25",
            file="atc/WHO_ATC-DDD_2026-04-25.csv",
        )
        with (self.t / "atc/WHO_ATC-DDD_2026-04-25.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                code, name = row["atc_code"], row["atc_name"]
                if len(code) != 7 or _under(code, ["J05AF08", "J05AF10", "J05AF11", "J05AF12"]):
                    continue  # substances only; adefovir, entecavir, telbivudine, besifovir treat HBV only
                group = (
                    "art"
                    if _under(code, ["J05AE", "J05AF", "J05AG", "J05AJ", "J05AR", "J05AX"])
                    else "corticosteroid"
                    if _under(code, ["H02AB"])
                    else "tb"
                    if _under(code, ["J04A"])
                    else "other"
                )
                for concept in classify_drug(name):
                    if group == "other" and concept not in ("thalidomide-class", "il2", "pk-booster"):
                        continue
                    if concept == "corticosteroid" and group != "corticosteroid":
                        continue
                    self.add("medications", concept, "atc", key, code)

    # ---- output -------------------------------------------------------------------------------------

    def build(self) -> dict[str, object]:
        self.from_value_sets()
        self.from_who_tables()
        self.from_ciel()
        self.from_dak()
        self.from_rxnorm()
        self.from_atc()
        out: dict[str, object] = {
            "about": "Generated by scripts/build_valuesets.py from ../shared/terminology; do not edit. "
            "concept -> code system -> source -> codes; the sources table names each source.",
            "sources": dict(sorted(self.sources.items())),
        }
        for kind, concepts in self.codes.items():
            out[kind] = {
                c: {
                    s: {k: sorted(v) for k, v in sorted(srcs.items()) if v}
                    for s, srcs in sorted(systems.items())
                }
                for c, systems in sorted(concepts.items())
            }
        used = {
            k for kind in self.codes.values() for sy in kind.values() for srcs in sy.values() for k in srcs
        }
        out["sources"] = {k: v for k, v in self.sources.items() if k in used}
        return out


ART_NAMES = [
    "abacavir",
    "atazanavir",
    "bictegravir",
    "cabotegravir",
    "darunavir",
    "dolutegravir",
    "doravirine",
    "efavirenz",
    "elvitegravir",
    "emtricitabine",
    "etravirine",
    "indinavir",
    "lamivudine",
    "lopinavir",
    "maraviroc",
    "nevirapine",
    "raltegravir",
    "rilpivirine",
    "stavudine",
    "tenofovir",
    "zidovudine",
    "didanosine",
    "fosamprenavir",
    "nelfinavir",
    "saquinavir",
    "tipranavir",
    "enfuvirtide",
    "fostemsavir",
    "ibalizumab",
    "lenacapavir",
    "islatravir",
]
ART_ABBREVIATIONS = [
    "ABC",
    "3TC",
    "ATV",
    "AZT",
    "ZDV",
    "DRV",
    "DTG",
    "EFV",
    "FTC",
    "LPV",
    "NVP",
    "RAL",
    "TDF",
    "TAF",
    "d4T",
    "ddI",
    "ETV",
    "RPV",
    "CAB",
    "BIC",
    "DOR",
]
HBV_ONLY_PRODUCTS = r"vemlidy|epivir[- ]hbv|baraclude|hepsera|tyzeka|entecavir|adefovir|telbivudine"
STEROIDS = [
    "prednisone",
    "prednisolone",
    "methylprednisolone",
    "dexamethasone",
    "hydrocortisone",
    "betamethasone",
    "cortisone",
    "deflazacort",
]
NOT_SYSTEMIC = (
    r"topical|cream|ointment|lotion|\bgel\b|foam|shampoo|inhal|nasal|ophthalmic|otic|eye|\bear\b"
    r"|rectal|enema|suppositor|dental|paste|\bpad\b|medicated|intravitreal"
)
TB_CORE = ["rifampicin", "rifampin", "rifabutin", "rifapentine", "pyrazinamide", "ethambutol"]


def _has(names: Iterable[str], text: str) -> bool:
    return re.search(r"(?<![a-z])(" + "|".join(names) + r")(?![a-z])", text, re.I) is not None


def classify_drug(text: str) -> set[str]:
    """The medication classes a drug's names (ingredients, product, description) put it in."""
    found = set()
    abbreviations = re.search(r"(?<![\w])(" + "|".join(ART_ABBREVIATIONS) + r")(?![\w])", text) is not None
    if (_has(ART_NAMES, text) or abbreviations) and not re.search(HBV_ONLY_PRODUCTS, text, re.I):
        found.add("art")
    if _has(["ritonavir", "cobicistat"], text) or re.search(r"/r\b", text):
        found.add("pk-booster")
    if _has(STEROIDS, text) and not re.search(NOT_SYSTEMIC, text, re.I):
        found.add("corticosteroid")
    if _has(["thalidomide", "lenalidomide", "pomalidomide"], text):
        found.add("thalidomide-class")
    if _has(["aldesleukin", "interleukin-2"], text):
        found.add("il2")
    if _has(TB_CORE, text):
        found |= {"tb-treatment", "tb-treatment-core"}
    if _has(["isoniazid"], text):
        found.add("tb-treatment")
    return found


def render(data: dict[str, object]) -> str:
    """JSON with one line per code list, so that a change shows as a small diff."""
    lines = ["{"]
    items = list(data.items())
    for i, (key, value) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if key in ("conditions", "medications", "observations"):
            assert isinstance(value, dict)
            lines.append(f" {json.dumps(key)}: {{")
            concepts = list(value.items())
            for j, (concept, systems) in enumerate(concepts):
                lines.append(f"  {json.dumps(concept)}: {{")
                pairs = [(s, k, v) for s, srcs in systems.items() for k, v in srcs.items()]
                by_system: dict[str, list[str]] = defaultdict(list)
                for s, k, v in pairs:
                    by_system[s].append(f"    {json.dumps(k)}: {json.dumps(v)}")
                blocks = [
                    f"   {json.dumps(s)}: {{\n" + ",\n".join(b) + "\n   }" for s, b in by_system.items()
                ]
                lines.append(",\n".join(blocks))
                lines.append("  }" + ("," if j < len(concepts) - 1 else ""))
            lines.append(" }" + end)
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build the file (or with ``--check``, fail when the committed file differs from a fresh build)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminology", type=Path, default=DEFAULT_TERMINOLOGY)
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    parser.add_argument("--rejected", action="store_true", help="list the published codes left out, and why")
    args = parser.parse_args(argv)
    if not (args.terminology / "SOURCES.md").is_file():
        parser.error(f"{args.terminology} holds no terminology artefacts (SOURCES.md missing)")
    builder = Builder(args.terminology.resolve())
    text = render(builder.build())
    if args.rejected:
        print("\n".join(builder.rejected))
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT.name} differs from a fresh build", file=sys.stderr)
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
