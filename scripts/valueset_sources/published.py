"""Readers of the VSAC and NACHC value sets and of WHO's ICD-10/ICD-11 tables."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable

from valueset_sources.base import BuilderBase
from valueset_sources.meaning import (
    ICD10_CM,
    ICD11,
    NOT_IN_CONCEPT_11,
    NOT_IN_CONCEPT_CM,
    NOT_PREGNANCY_11,
    NOT_PREGNANCY_CM,
    WORDS,
    means,
    obstetric_concept,
    under,
)


class PublishedReaders(BuilderBase):
    """VSAC and NACHC ValueSet expansions; WHO ICD-10 and ICD-11 by their mapping tables."""

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
            if not under(code, prefixes):
                continue
            if concept == "pregnancy" and under(code, NOT_PREGNANCY_CM):
                continue
            if under(code, NOT_IN_CONCEPT_CM.get(concept, [])):
                self.rejected.append(f"{key} ICD-10-CM {code}: not {concept}")
                continue
            self.add("conditions", concept, "icd10cm", key, code)

    def _snomed(self, key: str, title: str, code: str, display: str) -> None:
        if "hiv" in title and "lab" not in title and "viral" not in title:
            self.add("conditions", "hiv", "snomed", key, code)
            for concept in WORDS:
                if concept != "hiv" and means(concept, display):
                    self.add("conditions", concept, "snomed", key, code)
            if re.search(r"renal failure|kidney failure", display, re.I):
                self.add("conditions", "renal-failure", "snomed", key, code)
            return
        if means("hepatitis-b", display):
            # hepatitis B wherever it is published: NACHC files "Occult chronic type B viral hepatitis"
            # under its hepatitis C grouper, and hepatitis B must stop the TB-IRIS prednisone proposal
            self.add("conditions", "hepatitis-b", "snomed", key, code)
        if "pregnan" in title or "obstetric" in title:
            if "pregnant state" in title and code == "60001007":
                return
            obstetric = obstetric_concept(display)
            if obstetric is not None:
                self.add("conditions", obstetric, "snomed", key, code)
            else:
                self.rejected.append(f"{key} SNOMED {code} {display!r}: neither a pregnancy nor its end")
            return
        for concept, words in (
            ("iris", "immune"),
            ("tuberculosis", "tubercul"),
            ("tb-meningitis", "tubercul"),
            ("iris-associated", "tubercul|hepatitis|zoster|herpes"),
            ("renal-failure", "renal|kidney"),
            ("vte-history", "thrombo"),
            ("no-reproductive-potential", "hysterectomy|menopause"),
        ):
            if re.search(words, title) and means(concept, display):
                self.add("conditions", concept, "snomed", key, code)
            elif (
                re.search(words, title)
                and concept in ("renal-failure", "vte-history")
                and not means(concept, display)
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
                    if concept == "pregnancy" and under(code, NOT_PREGNANCY_11):
                        continue
                    if under(code, NOT_IN_CONCEPT_11.get(concept, [])):
                        continue
                    if under(code, stems) and not re.search(r"\bunspecified\b.*residual", title):
                        self.add("conditions", concept, "icd11", key11, code)
                if under(code, ICD11["hiv"]) and "without mention" not in title:
                    for concept in ("tuberculosis", "kaposi-sarcoma", "iris-associated"):
                        if means(concept, title):
                            self.add("conditions", concept, "icd11", key11, code)
