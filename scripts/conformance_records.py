"""The conformance records of ``scripts/conformance_cards.py`` and what the catalogue gives each.

Each expectation is the clinical reasoning of a reviewer, one line each, with the why: the cards a
``patient-view`` with the record as its prefetch should answer with (KNOWLEDGE.md §3), and, where the record
is read, a probe: a draft order added and evaluated at a fixed time near the record's own dates.
"""

from __future__ import annotations

from dataclasses import dataclass

ATC = "http://www.whocc.no/atc"
THALIDOMIDE = ("L04AX02", "thalidomide")
ALDESLEUKIN = ("L03AC01", "aldesleukin")


@dataclass(frozen=True)
class Probe:
    """A draft order added to the record, evaluated at a fixed time, and the findings expected."""

    order: tuple[str, str]
    at: str
    expected: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Record:
    """One patient-level set of conformance files and what the catalogue gives it."""

    name: str
    files: tuple[str, ...]
    patient_view: tuple[str, ...]
    why: str
    probe: Probe | None = None


SYNTHEA = "synthea-r4/"
RECORDS = (
    Record(
        "Synthea Ardith Welch (girl, 12)",
        (SYNTHEA + "Ardith_Welch_2513dd98-e1c9-4476-b879-5a2142caccde.json",),
        (),
        "prednisone stopped, nothing else the rules read",
        Probe(
            THALIDOMIDE,
            "2026-12-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "female aged 12: reproductive potential; the stopped prednisone is no VTE risk",
        ),
    ),
    Record(
        "Synthea Dirk Kuhlman (man, CKD 1, diabetic neuropathy)",
        (SYNTHEA + "Dirk_Kuhlman_1e503533-b8c2-42cb-a6d5-bbd7d70d07ad.json",),
        ("data-quality",),
        "two eGFRs in 'mL/min' (not a per-1.73 m² unit) left out and reported; no rule fires",
        Probe(
            THALIDOMIDE,
            "2021-04-01T12:00:00Z",
            ("thalidomide-teratogenicity", "thalidomide-neuropathy"),
            "SNOMED CT 368581000119106 neuropathy due to type 2 diabetes is peripheral neuropathy",
        ),
    ),
    Record(
        "Synthea Karena Pfeffer (woman, two resolved pregnancies)",
        (SYNTHEA + "Karena_Pfeffer_1f99a0cb-594b-476a-b9cb-502594c1ee6b.json",),
        (),
        "pregnancies resolved (SNOMED CT 72892002): not pregnant",
        Probe(
            THALIDOMIDE,
            "2020-06-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "female aged 25, not pregnant (resolved), so no pregnancy card",
        ),
    ),
    Record(
        "Synthea Kathe Zieme (woman, old miscarriage and tubal pregnancy)",
        (SYNTHEA + "Kathe_Zieme_646ca118-b7c4-45d3-b1a4-f01e8973873b.json",),
        (),
        "the pregnancy codes are from 2005 and 2007: stale, not pregnant",
        Probe(
            THALIDOMIDE,
            "2020-06-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "female aged 52, pregnancy evidence older than 300 days does not count",
        ),
    ),
    Record(
        "Synthea Madalyn Frami (woman, diabetic neuropathy, resolved pregnancies)",
        (SYNTHEA + "Madalyn_Frami_b0e18f77-1be9-4d29-9982-8cd0d04a07ab.json",),
        (),
        "nothing the rules alert on without an order",
        Probe(
            THALIDOMIDE,
            "2020-08-01T12:00:00Z",
            ("thalidomide-teratogenicity", "thalidomide-neuropathy"),
            "female aged 32 with SNOMED CT diabetic neuropathy",
        ),
    ),
    Record(
        "Synthea Olen Kulas (man, deceased, chronic pain)",
        (SYNTHEA + "Olen_Kulas_bf2aac98-44db-4ac3-87d6-bfc62a111ca6.json",),
        ("data-quality",),
        "an eGFR in 'mL/min' left out and reported",
        Probe(
            THALIDOMIDE,
            "2020-06-01T12:00:00Z",
            ("thalidomide-teratogenicity",),
            "male: warning; 'chronic pain' is not chronic intractable pain assessed as refractory",
        ),
    ),
    Record(
        "Synthea Parker Casper (man, diabetic neuropathy)",
        (SYNTHEA + "Parker_Casper_6d0c6969-6843-47e1-9921-d9bf11b1df31.json",),
        ("data-quality",),
        "an eGFR in 'mL/min' left out and reported",
        Probe(
            THALIDOMIDE,
            "2020-10-01T12:00:00Z",
            ("thalidomide-teratogenicity", "thalidomide-neuropathy"),
            "SNOMED CT diabetic neuropathy",
        ),
    ),
    Record(
        "US Core examples (woman, pregnancy status 2022-08-24)",
        ("us-core/",),
        (),
        "the pregnancy status is years old; ulcer, creatinine, nizatidine and paracetamol concern no rule",
        Probe(
            THALIDOMIDE,
            "2022-09-01T12:00:00Z",
            ("thalidomide-pregnancy", "thalidomide-teratogenicity"),
            "LOINC 82810-3 answered SNOMED CT 77386006 a week before: pregnant",
        ),
    ),
    Record(
        "OpenHIE HIV IG examples (woman with HIV)",
        ("openhie-hiv-ig/",),
        ("data-quality",),
        "viral loads coded only in the IG's own code system: reported by system",
        Probe(ALDESLEUKIN, "2021-06-01T12:00:00Z", ("il2-not-recommended",), "HIV from SNOMED CT 86406008"),
    ),
    Record(
        "OpenHIE HIV IG Bundle example",
        ("openhie-hiv-ig/Bundle-HIVBundleExample.json",),
        ("data-quality",),
        "the same record as one Bundle",
        Probe(ALDESLEUKIN, "2021-06-01T12:00:00Z", ("il2-not-recommended",), "HIV from SNOMED CT 86406008"),
    ),
    Record(
        "WHO SMART HIV examples (man with HIV on ART)",
        ("who-smart-hiv/",),
        (),
        "HIV and ART (ABC + 3TC + ATV/r since 2022) in WHO SMART HIV concepts; no CD4, no TB: no rule fires",
        Probe(
            ALDESLEUKIN,
            "2023-02-01T12:00:00Z",
            ("il2-not-recommended",),
            "HIV from the WHO SMART HIV concept HIV.B.DE116",
        ),
    ),
)
