"""Code system URIs the terminology tests write codes in, and the published value-set file."""

from __future__ import annotations

import json

from engine.paths import default_rules_dir

SNOMED, LOINC = "http://snomed.info/sct", "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
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


def published() -> dict[str, object]:
    data = json.loads((default_rules_dir() / "valuesets.published.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
