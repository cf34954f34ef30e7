"""Readers of the HIV programme sources: CIEL (OpenMRS) and the WHO SMART HIV concepts."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict

from valueset_sources.base import BuilderBase
from valueset_sources.drug_names import HBV_ONLY_PRODUCTS, classify_drug
from valueset_sources.meaning import (
    DAK_BIRTH_OUTCOME,
    DAK_CURRENT_DELIVERY,
    DAK_DELIVERED,
    DAK_PREGNANT,
    DAK_SINGLE_ARV,
    NOT_WORDS,
    OUTCOME_OF_DELIVERY_WHO,
    WORDS,
    means,
    under,
)

# A CIEL regimen concept: drug names joined by " / ", maybe then "adult", "child" or "30 mg" "regimen".
_REGIMEN = re.compile(r"^[A-Za-z-]+( / [A-Za-z-]+)+( (adult|child|\d+ mg) regimen)?$")


def _without_hbv_brands(names: str) -> str:
    """A CIEL concept's names without its hepatitis-B-only brand synonyms.

    The ingredient concept lamivudine lists "Epivir HBV" among its brands; that synonym must not take the
    ingredient out of the antiretrovirals (an HBV-only *product* is still left out: all its names are HBV's).
    """
    kept = [n for n in names.split(" | ") if not re.search(HBV_ONLY_PRODUCTS, n, re.I)]
    return " | ".join(kept)


def _dates_this_delivery(row: dict[str, str], icd10: str) -> bool:
    """True for a data element that records the current pregnancy's delivery or its outcome (a live birth)."""
    label = row["Data Element Label"]
    if not re.search(DAK_DELIVERED, label, re.I):
        return False
    if re.search(DAK_CURRENT_DELIVERY, row["Description and Definition"], re.I):
        return True
    return bool(re.search(DAK_BIRTH_OUTCOME, label, re.I)) and under(icd10, OUTCOME_OF_DELIVERY_WHO)


class ProgrammeReaders(BuilderBase):
    """CIEL concepts and mappings; the WHO SMART HIV code system and its data dictionary."""

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
                found = {c for c in found if c not in WORDS or means(c, names)}
                for concept in found:
                    self.add("conditions", concept, "ciel", key, cid)
                    for m in maps[cid]:
                        if m["to_source"] == "SNOMED-CT" and m["map_type"] == "SAME-AS":
                            self.add("conditions", concept, "snomed", key, m["to_code"])
            elif row["concept_class"] == "Drug":
                for concept in classify_drug(_without_hbv_brands(names)):
                    self.add("medications", concept, "ciel", key, cid)
            elif row["concept_class"] == "Misc" and _REGIMEN.match(row["display_name"]):
                # ART regimens as OpenMRS programmes order and record them ("Lamivudine / Efavirenz /
                # Tenofovir adult regimen"): every part a drug name, the whole classified like a product.
                for concept in classify_drug(row["display_name"]):
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
        question = ""
        for row in rows:
            code = row["Data Element ID"]
            answer = row["Multiple Choice Type (if applicable)"].strip() == "Input Option"
            if not answer:
                question = f"{row['Data Element Label']} | {row['Description and Definition']}"
            if code not in known or row["Data Type"] not in ("Codes", "Coding", "Boolean"):
                continue
            label = f"{row['Data Element Label']} | {row['Description and Definition']}"
            # An answer is about what its question asks about: "HIV-positive" under "Partner HIV test result"
            # is the partner's HIV, not the patient's.
            about_other = answer and question
            icd10 = row["ICD-10 Code"].strip()
            if re.fullmatch(r"[A-Z]\d\d(\.\w+)?", icd10):
                for concept in self.who_icd10_concepts(icd10, row["Data Element Label"]):
                    if concept in WORDS and not means(concept, label):
                        continue
                    if about_other and concept in NOT_WORDS and re.search(NOT_WORDS[concept], question, re.I):
                        self.rejected.append(
                            f"{key} {code} {row['Data Element Label']!r}: answers {question!r}"
                        )
                        continue
                    if concept == "pregnancy" and not re.search(
                        DAK_PREGNANT, row["Data Element Label"], re.I
                    ):
                        continue  # the DAK files past-pregnancy history under O-codes too
                    if concept == "delivery" and not _dates_this_delivery(row, icd10):
                        # a past forceps delivery is filed under O81 (breastfeeding, Z39.1, is no delivery at
                        # all): it does not date the end of the current pregnancy
                        self.rejected.append(f"{key} {code} {row['Data Element Label']!r}: not this delivery")
                        continue
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
        equivalent = row["SNOMED GPS Relationship"] == "Equivalent" and code.isdigit()
        if equivalent and (concept not in WORDS or means(concept, name)):
            self.add("conditions", concept, "snomed", key, code)
