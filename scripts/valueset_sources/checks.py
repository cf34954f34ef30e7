"""Look-ups of the hand-kept codes: what each one is called in a published list, or that no list has it.

A hand-kept code is never taken on trust: the generator records, for each, its name in WHO's ICD-10 table
(the code itself, else its category), in a VSAC or NACHC expansion, in an RxNorm list or in CIEL's maps; a
code found nowhere says so, and ``clinrules terms`` shows the result beside the reason it is kept.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml


def _displays(terminology: Path) -> dict[tuple[str, str], str]:
    """(system short name, code) -> display, from every ValueSet expansion, the RxNorm and CIEL lists and the
    WHO SMART HIV code system."""
    names: dict[tuple[str, str], str] = {}
    short = {"http://snomed.info/sct": "snomed", "http://loinc.org": "loinc",
             "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
             "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm"}  # fmt: skip
    for path in sorted([*terminology.glob("vsac/*/*.json"), *terminology.glob("nachc-hiv-cds/*.json")]):
        data = json.loads(path.read_text(encoding="utf-8"))
        for c in data.get("expansion", {}).get("contains", []):
            if c.get("system") in short and c.get("display"):
                names.setdefault((short[c["system"]], c["code"]), f"{c['display']} (VSAC/NACHC)")
    sandbox = json.loads((terminology / "rxnorm/cds-hooks-sandbox-medication-list.json").read_text("utf-8"))
    for cui, name in sandbox["cuiToName"].items():
        names.setdefault(("rxnorm", cui), f"{name} (CDS Hooks sandbox RxNorm list)")
    us_core = json.loads((terminology / "rxnorm/ValueSet-us-core-allergy-substance.json").read_text("utf-8"))
    for inc in us_core.get("compose", {}).get("include", []):
        for c in inc.get("concept", []):
            names.setdefault(("rxnorm", c["code"]), f"{c.get('display', '')} (US Core ingredients)")
    with (terminology / "ciel/ciel_concepts.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["retired"] != "True":
                names[("ciel", row["ciel_id"])] = f"CIEL {row['display_name']} ({row['concept_class']})"
    dak = json.loads((terminology / "who-smart-hiv/CodeSystem-HIVConcepts.json").read_text("utf-8"))
    for c in dak["concept"]:
        names[("hiv-dak", c["code"])] = f"{c.get('display', '')} (WHO SMART HIV HIVConcepts {dak['version']})"
    with (terminology / "ciel/ciel_mappings.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            system = {"RxNORM": "rxnorm", "LOINC": "loinc", "SNOMED-CT": "snomed"}.get(row["to_source"])
            if system and row["map_type"] == "SAME-AS":
                names.setdefault(
                    (system, row["to_code"]), f"CIEL {row['ciel_id']} {row['ciel_display_name']}"
                )
    return names


def hand_kept_checks(terminology: Path, valuesets: Path) -> dict[str, dict[str, str]]:
    """For every hand-kept code of ``valuesets.yaml``: its name in a published list, or 'not found'."""
    with (terminology / "who-icd10-icd11/10To11MapToOneCategory.txt").open(encoding="utf-8") as fh:
        who = {r["icd10Code"]: r["icd10Title"] for r in csv.DictReader(fh, delimiter="\t")}
    with (terminology / "who-icd10-icd11/11To10MapToOneCategory.txt").open(encoding="utf-8") as fh:
        who |= {f"11:{r['icd11Code']}": r["icd11Title"] for r in csv.DictReader(fh, delimiter="\t")}
    names = _displays(terminology)
    data: Any = yaml.safe_load(valuesets.read_text(encoding="utf-8"))
    wanted: set[tuple[str, str]] = set()
    for kind in ("conditions", "medications"):
        for spec in (data.get(kind) or {}).values():
            for table in ("hand_kept", "excluded"):
                for system, kept in (spec.get(table) or {}).items():
                    wanted |= {(system, str(code)) for code in kept["codes"]}
    for spec in (data.get("observations") or {}).values():
        wanted |= {("loinc", str(code)) for code in spec.get("loinc", [])}
    for systems in (data.get("status_questions") or {}).values():
        for system, kept in systems.items():
            wanted |= {(system, str(code)) for code in kept["codes"]}
    checks: dict[str, dict[str, str]] = {}
    for system, code in sorted(wanted):
        checks.setdefault(system, {})[code] = _look_up(system, code, who, names)
    return checks


def _look_up(system: str, code: str, who: dict[str, str], names: dict[tuple[str, str], str]) -> str:
    found = []
    if (system, code) in names:
        found.append(names[(system, code)])
    if system in ("icd10cm", "icd10"):
        if len(code) == 1:
            found.append(f"WHO ICD-10 chapter {code}00-{code}99")
        elif code in who:
            found.append(f"WHO ICD-10 {code} {who[code]}")
        elif code[:3] in who:
            found.append(f"WHO ICD-10 category {code[:3]} {who[code[:3]]}; {code} itself is ICD-10-CM only")
    if system == "icd11" and f"11:{code}" in who:
        found.append(f"WHO ICD-11 MMS {code} {who[f'11:{code}']}")
    return "; ".join(found) if found else "not found in any published list here"
