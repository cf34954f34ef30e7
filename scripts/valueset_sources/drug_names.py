"""The drug names that put a product in a class (antiretroviral, corticosteroid, TB treatment, ...), read from
a product's or a concept's name."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
