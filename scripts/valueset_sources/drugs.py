"""Readers of the medication sources: the RxNorm lists gathered in rxnorm/, and the WHO ATC index."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from valueset_sources.base import BuilderBase
from valueset_sources.drug_names import classify_drug
from valueset_sources.meaning import under


class DrugReaders(BuilderBase):
    """RxNorm ingredients, products and packs; ATC substances."""

    def from_rxnorm(self) -> None:
        file_to_key = {about.get("file"): k for k, about in self.sources.items()}
        seen: set[str] = set()
        with (self.t / "rxnorm/rxnorm_engine_concepts.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                seen.add(row["rxcui"])
                key = file_to_key.get(row["source_file"]) or self._rxnorm_source(row["source_file"])
                name = f"{row['name']} | {row['ingredients_matched']}"
                if row["corticosteroid_route_hint"].startswith("non-systemic"):
                    self.rejected.append(f"RxNorm {row['rxcui']} {row['name']!r}: not systemic")
                    continue
                for concept in classify_drug(name):
                    self.add("medications", concept, "rxnorm", key, row["rxcui"])
        self._from_sandbox_list(seen)

    def _from_sandbox_list(self, seen: set[str]) -> None:
        """The sandbox list's other codes, classified by their names and, for a dose-form group ("Thalomid
        Pill"), by the names of the strengths it groups ("Thalidomide 50 MG [Thalomid]")."""
        file = "rxnorm/cds-hooks-sandbox-medication-list.json"
        data = json.loads((self.t / file).read_text(encoding="utf-8"))
        names: dict[str, str] = data["cuiToName"]
        parts: dict[str, list[list[str]]] = data["pillToComponentSets"]
        key = self._rxnorm_source(file)
        for cui, name in names.items():
            if cui in seen:
                continue  # rxnorm_engine_concepts.csv already classified (or rejected) it
            text = " | ".join([name, *(names.get(c, "") for sets in parts.get(cui, []) for c in sets)])
            for concept in classify_drug(text):
                self.add("medications", concept, "rxnorm", key, cui)

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
                if len(code) != 7 or under(code, ["J05AF08", "J05AF10", "J05AF11", "J05AF12"]):
                    continue  # substances only; adefovir, entecavir, telbivudine, besifovir treat HBV only
                group = (
                    "art"
                    if under(code, ["J05AE", "J05AF", "J05AG", "J05AJ", "J05AR", "J05AX"])
                    else "corticosteroid"
                    if under(code, ["H02AB"])
                    else "tb"
                    if under(code, ["J04A"])
                    else "other"
                )
                for concept in classify_drug(name):
                    if group == "other" and concept not in ("thalidomide-class", "il2", "pk-booster"):
                        continue
                    if concept == "corticosteroid" and group != "corticosteroid":
                        continue
                    self.add("medications", concept, "atc", key, code)
